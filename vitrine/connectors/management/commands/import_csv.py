"""``manage.py import_csv PATH --shop NAME [--images DIR] [--market de-DE ...]``: import a product CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from vitrine.connectors.csvfile.csvformat import CsvFileError
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.connectors.errors import ApiError


class Command(BaseCommand):
    help = ("Import a Shopify product CSV (with images from a folder or URLs) into a CSV / folder shop, "
            "creating the shop on first use. Every bad row is reported; the good rows are imported.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the product CSV (Shopify's export format)")
        parser.add_argument("--shop", required=True, help="the shop's name")
        parser.add_argument("--images", type=Path, help="folder of the images (default: the CSV's folder)")
        parser.add_argument("--market", action="append", default=[], metavar="LOCALE",
                            help="add a market, e.g. de-DE (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        images: Path | None = options["images"]
        if images is not None and not images.is_dir():
            raise CommandError(f"{images} is not a folder")
        try:
            markets = [MarketSpec(locale) for locale in options["market"]]
            shop = csv_shop_ensure(name=options["shop"], markets=markets)
            report = catalogue_import(shop=shop, csv_path=path, images_dir=images)
        except (CsvFileError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        except ApiError as exc:
            raise CommandError(exc.message) from None
        for issue in report.issues:
            style = self.style.ERROR if issue.severity == "error" else self.style.WARNING
            self.stderr.write(style(f"{issue.severity}: {issue}"))
        self.stdout.write(self.style.SUCCESS(
            f"Imported {report.products} products with {report.images} images into shop {shop} "
            f"(read as {report.encoding}; {len(report.errors)} errors, {len(report.warnings)} warnings)."
        ))
