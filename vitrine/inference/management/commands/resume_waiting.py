"""``manage.py resume_waiting``: render the variants that waited for a model, now that it is configured."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vitrine.inference.services import variants_resume_waiting
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Variant


class Command(BaseCommand):
    help = ("Send variants that wait for a missing resource (a diffusion model) back to rendering once it is "
            "configured. Workers do the same at start; this is for a deployment that just changed settings.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", type=int, default=None, help="only this shop's variants (shop id)")

    def handle(self, *args: Any, **options: Any) -> None:
        resumed = variants_resume_waiting(shop_id=options["shop"], actor="command:resume_waiting")
        still = Variant.objects.filter(state=VariantState.WAITING)
        if options["shop"] is not None:
            still = still.filter(shop_id=options["shop"])
        self.stdout.write(f"Resumed {len(resumed)} waiting variant(s); {still.count()} still waiting.")
        for variant in still.order_by("pk")[:20]:
            self.stdout.write(f"  #{variant.pk} {variant.kind}: {variant.failure_reason}")
