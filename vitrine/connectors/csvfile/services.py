"""Writes of the CSV / folder store: the shop, the import, the export folder."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from vitrine.connectors import services as connector_services
from vitrine.connectors.base import RemoteProduct
from vitrine.connectors.csvfile.connector import PROVIDER, CsvFileConnector
from vitrine.connectors.csvfile.csvformat import CsvProduct, RowIssue
from vitrine.platform import events
from vitrine.platform.catalog import catalog_sync
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Market, Product, Shop, Variant
from vitrine.platform.validators import validate_language_tag

logger = logging.getLogger(__name__)


_LOCALE = re.compile(r"^([A-Za-z]{2,3})[-_]([A-Za-z]{2})$")


@dataclass(frozen=True)
class MarketSpec:
    locale: str  # language-REGION, e.g. de-DE
    region: str = ""
    name: str = ""

    def normalized(self) -> MarketSpec:
        match = _LOCALE.match(self.locale.strip())
        if match is None:
            raise ValueError(f"market {self.locale!r} is not a locale such as de-DE or zh-CN")
        language, region = match.group(1).lower(), match.group(2).upper()
        validate_language_tag(f"{language}-{region}")
        return MarketSpec(f"{language}-{region}", self.region or region, self.name or f"{language}-{region}")


def csv_shop_ensure(*, name: str, csv_path: Path | None = None, images_dir: Path | None = None,
                    export_dir: Path | None = None, markets: Iterable[MarketSpec] = ()) -> Shop:
    """The csvfile shop called ``name`` (created and installed on first use), with its paths and markets."""
    external_id = slugify(name)
    if not external_id:
        raise ValueError(f"{name!r} cannot name a shop: use letters or digits")
    with transaction.atomic():
        shop, created = Shop.objects.select_for_update().get_or_create(
            provider=PROVIDER, external_id=external_id,
            defaults={"name": name, "installed_at": timezone.now()},
        )
        csv_shop_paths_set(shop=shop, csv_path=csv_path, images_dir=images_dir, export_dir=export_dir)
        for spec in (market.normalized() for market in markets):
            Market.objects.get_or_create(shop=shop, locale=spec.locale,
                                         defaults={"region": spec.region, "name": spec.name})
        if created:
            events.emit(events.SHOP_INSTALLED, {"shop_id": shop.pk, "provider": PROVIDER}, shop=shop)
    return shop


def csv_shop_paths_set(*, shop: Shop, csv_path: Path | None = None, images_dir: Path | None = None,
                       export_dir: Path | None = None) -> Shop:
    """Record the shop's CSV, images folder and export folder (absolute); None leaves one as it is."""
    paths = {"csv_path": csv_path, "images_dir": images_dir, "export_dir": export_dir}
    changed = {key: str(Path(value).resolve()) for key, value in paths.items() if value is not None}
    if changed:
        shop.settings = {**(shop.settings or {}), **changed}
        shop.save(update_fields=["settings"])
    return shop


@dataclass
class ImportReport:
    csv_path: str
    encoding: str = ""
    products: int = 0
    images: int = 0
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def errors(self) -> list[RowIssue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [issue for issue in self.issues if issue.severity == "warning"]


def catalogue_import(*, shop: Shop, csv_path: Path | None = None, images_dir: Path | None = None,
                     connector: CsvFileConnector | None = None,
                     on_product: Callable[[Product], None] | None = None) -> ImportReport:
    """Import the shop's product CSV through the kernel's sync driver: every readable product is upserted,
    products no longer in the file are marked deleted, every problem is reported by line.

    Each product is stored in its own transaction (its ``catalog.product_synced`` goes out when it
    commits), so one bad product never stops the others. Raises CsvFileError when the file itself is not
    a product CSV, ApiNotFound when it cannot be read.
    """
    if shop.provider != PROVIDER:
        raise ValueError(f"shop {shop} is a {shop.provider} shop; only csvfile shops import CSV files")
    csv_shop_paths_set(shop=shop, csv_path=csv_path, images_dir=images_dir)
    connector = connector or CsvFileConnector(shop)
    catalogue = connector.catalogue()  # a file that is no product CSV is refused before any run starts
    report = ImportReport(csv_path=str(connector.paths.csv_path), encoding=catalogue.encoding,
                          issues=list(catalogue.issues))

    def taken_in(remote: RemoteProduct, saved: Product) -> None:
        report.issues.extend(connector.issues_take())
        report.products += 1
        report.images += len(remote.images)
        _report_rejected(saved, catalogue.products[remote.external_id], report)
        if on_product is not None:
            on_product(saved)

    catalog_sync(shop=shop, connector=connector, on_product=taken_in)
    report.issues.extend(connector.issues_take())
    for issue in report.issues:
        log = logger.warning if issue.severity == "error" else logger.info
        log("import of %s for shop %s: %s", report.csv_path, shop.pk, issue)
    return report


def _report_rejected(product: Product, csv_product: CsvProduct, report: ImportReport) -> None:
    """Images the intake refused (corrupt, too small, not an image) become errors on their lines."""
    synced = (
        Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED, shop=product.shop,
                             payload__product_id=product.pk)
        .order_by("-pk")
        .first()
    )
    lines = {image.remote_id: image.line for image in csv_product.images}
    for rejected in (synced.payload.get("rejected_images", []) if synced else []):
        report.images -= 1
        report.issues.append(RowIssue(lines.get(rejected["remote_id"], csv_product.line),
                                      f"image {rejected['remote_id']!r} was refused: {rejected['message']}",
                                      csv_product.handle))


def export_write(*, shop: Shop) -> list[Path]:
    """Publish the shop's approved variants not yet exported, then write every market's CSV.

    Returns the CSV files written. Publishing goes through the same service as automatic publishing.
    """
    approved = Variant.objects.filter(shop=shop, state=VariantState.APPROVED).order_by("pk")
    for variant_id in approved.values_list("pk", flat=True):
        connector_services.variant_publish(variant_id=variant_id)
    connector = CsvFileConnector(shop)
    return [connector.export_write(market) for market in shop.markets.filter(enabled=True).order_by("locale")]
