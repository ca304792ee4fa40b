"""``manage.py plan_variants (--shop NAME | --all) [--deferred]``: run the planner by hand."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from vitrine.platform.models import Shop
from vitrine.templates import selectors
from vitrine.templates.planner import PlanOutcome, deferred_plan, shop_plan


class Command(BaseCommand):
    help = (
        "Plan variants for every product of a shop (after adding a rule, a market or a template version), "
        "or with --deferred only what the daily cap held back, as the nightly task does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--shop", help="the shop's name or external id")
        which.add_argument(
            "--all", action="store_true", help="every shop (with --deferred: every shop waiting)"
        )
        parser.add_argument("--deferred", action="store_true", help="plan only the deferred variants")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["shop"]:
            name = options["shop"]
            shops = list(Shop.objects.filter(Q(name=name) | Q(external_id=name)))
            if not shops:
                raise CommandError(f"there is no shop called {name!r}")
        elif options["deferred"]:
            shops = list(selectors.shops_with_deferrals())
        else:
            shops = list(Shop.objects.filter(uninstalled_at__isnull=True))
        actor = "command:plan_variants"
        for shop in shops:
            outcome: PlanOutcome = (
                deferred_plan(shop_id=shop.pk, actor=actor)
                if options["deferred"]
                else shop_plan(shop_id=shop.pk, actor=actor)
            )
            self.stdout.write(
                f"{shop}: {len(outcome.created)} planned, {outcome.existing} planned before, "
                f"{outcome.deferred} deferred by the daily cap of {shop.daily_variant_cap}; "
                f"{selectors.deferred_count(shop)} waiting in all."
            )
