"""Create a personal API token and print it once (only its digest is stored)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from vitrine.api.services import api_token_create
from vitrine.platform.models import Shop
from vitrine.platform.roles import Role


class Command(BaseCommand):
    help = "Create a personal API token for a user in a shop and print it (it is shown only this once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="Shop id, domain or seller id")
        parser.add_argument("--user", required=True, help="Username or e-mail address")
        parser.add_argument("--role", choices=Role.values, help="Defaults to the user's role in the shop")
        parser.add_argument("--name", default="", help="A label to tell tokens apart")

    def handle(self, *args: Any, **options: Any) -> None:
        shop_ref, user_ref = options["shop"], options["user"]
        shops = Shop.objects.filter(Q(external_id=shop_ref) | Q(pk=int(shop_ref) if shop_ref.isdigit() else None))
        if shops.count() != 1:
            raise CommandError(f"no single shop {shop_ref!r} (give its id, domain or seller id)")
        users = get_user_model().objects.filter(Q(username=user_ref) | Q(email__iexact=user_ref))
        if users.count() != 1:
            raise CommandError(f"no single user {user_ref!r} (give the username or e-mail address)")
        try:
            token, raw = api_token_create(shop=shops.get(), user=users.get(), role=options["role"],
                                          name=options["name"], actor="manage.py api_token")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stderr.write(f"token {token.prefix}… ({token.role}) for {token.user} in {token.shop}; "
                          "store it now, it is not shown again")
        self.stdout.write(raw)
