"""``manage.py export_csv --shop NAME [--out DIR]``: write a CSV shop's export folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vitrine.connectors.csvfile.connector import PROVIDER
from vitrine.connectors.csvfile.csvformat import CsvFileError
from vitrine.connectors.csvfile.services import csv_shop_paths_set, export_write
from vitrine.connectors.errors import ApiError
from vitrine.platform.models import Shop


class Command(BaseCommand):
    help = ("Export a CSV / folder shop: approved variants not yet exported are published, and every "
            "market's folder gets its images and a products.csv ready to import into the store.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="the shop's name")
        parser.add_argument("--out", type=Path, help="export folder (remembered for the shop)")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["shop"]
        shop = (Shop.objects.filter(provider=PROVIDER, name=name).first()
                or Shop.objects.filter(provider=PROVIDER, external_id=name).first())
        if shop is None:
            raise CommandError(f"there is no CSV / folder shop called {name!r}; import a CSV first")
        if options["out"] is not None:
            csv_shop_paths_set(shop=shop, export_dir=options["out"])
        try:
            written = export_write(shop=shop)
        except CsvFileError as exc:
            raise CommandError(str(exc)) from None
        except ApiError as exc:
            raise CommandError(exc.message) from None
        for path in written:
            self.stdout.write(f"wrote {path}")
        if not written:
            self.stdout.write(self.style.WARNING(f"shop {shop} has no enabled market: nothing to export"))
