"""The CSV / folder store: a Shopify product CSV plus image files (local or by URL) in, an export folder out.

A csvfile shop keeps its paths in ``Shop.settings``:

* ``csv_path``: the product CSV last imported (Shopify's export format);
* ``images_dir``: where relative ``Image Src`` paths are found (default: the CSV's folder). A URL whose
  file name exists there is read from the folder instead of being downloaded;
* ``export_dir``: where publishing writes, per market, ``<locale>/images/<file>`` and
  ``<locale>/products.csv`` (the catalogue with the approved images added, ready to import again);
* ``export_base_url`` (optional): the address the export folder is served from; without it the new
  rows name their images relative to the exported CSV.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.text import slugify

from vitrine.connectors.base import PublishResult, RemoteImage, RemoteProduct
from vitrine.connectors.csvfile import csvformat
from vitrine.connectors.csvfile.csvformat import CsvCatalogue, CsvImage, CsvProduct, NewImageRow, RowIssue
from vitrine.connectors.disclosure import disclose
from vitrine.connectors.errors import ApiBadRequest, ApiNotFound, ApiUnavailable
from vitrine.connectors.http import image_download
from vitrine.platform.fetcher import FetchRefused
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Market, Shop, SourceImage, Variant
from vitrine.platform.services import blob_read
from vitrine.platform.validators import is_language_tag

if TYPE_CHECKING:
    from vitrine.platform.models import SyncRun

logger = logging.getLogger(__name__)

PROVIDER = "csvfile"
# Files we export start with this; together with the variant id it tells our images from the merchant's.
OWN_FILE_PREFIX = "vitrine-"
HTTP_ATTEMPTS = 2


class ImageUnavailable(Exception):
    """An image named in the CSV that cannot be read: missing file, bad address, failed download."""


@dataclass(frozen=True)
class CsvShopSettings:
    csv_path: Path
    images_dir: Path
    export_dir: Path
    export_base_url: str

    @classmethod
    def of(cls, shop: Shop) -> CsvShopSettings:
        values = shop.settings or {}
        if not values.get("csv_path"):
            raise ApiBadRequest(f"shop {shop} has no CSV file yet: import one with `manage.py import_csv`")
        csv_path = Path(values["csv_path"])
        images_dir = Path(values.get("images_dir") or csv_path.parent)
        default_export = Path(settings.MEDIA_ROOT) / "exports" / shop.external_id
        export_dir = Path(values.get("export_dir") or default_export)
        return cls(csv_path=csv_path, images_dir=images_dir, export_dir=export_dir,
                   export_base_url=str(values.get("export_base_url") or "").rstrip("/"))


def own_filename(variant: Variant) -> str:
    handle = slugify(variant.source_image.product.handle or variant.source_image.product.external_id)[:60]
    return f"{OWN_FILE_PREFIX}{variant.pk}-{handle}-{variant.template_slug}.png"


def _atomic_write(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CsvFileConnector:
    provider: ClassVar[str] = PROVIDER
    lists_everything: ClassVar[bool] = True
    listing_per_market: ClassVar[bool] = True  # one products.csv per market

    def __init__(self, shop: Shop) -> None:
        self.shop = shop
        self._catalogue: CsvCatalogue | None = None
        self._prefetched: dict[str, bytes] = {}
        self._issues: list[RowIssue] = []

    @property
    def paths(self) -> CsvShopSettings:
        return CsvShopSettings.of(self.shop)

    # --- reading the catalogue --------------------------------------------------------------------
    def catalogue(self) -> CsvCatalogue:
        """The shop's CSV, parsed once per connector. Raises CsvFileError or ApiNotFound."""
        if self._catalogue is None:
            path = self.paths.csv_path
            try:
                self._catalogue = csvformat.parse_file(path, max_bytes=settings.CSV_MAX_BYTES)
            except OSError as exc:
                raise ApiNotFound(f"the CSV file {path} cannot be read: {exc.strerror or exc}") from None
        return self._catalogue

    def remote_product(self, product: CsvProduct) -> tuple[RemoteProduct, list[tuple[CsvImage, str]]]:
        """The product as the platform sees it, and the images that could not be found (with why)."""
        images: list[RemoteImage] = []
        unavailable: list[tuple[CsvImage, str]] = []
        for image in sorted(product.images, key=lambda i: i.position):
            try:
                url = self.image_url(image.src)
            except ImageUnavailable as exc:
                unavailable.append((image, str(exc)))
                continue
            mask_url, mask_error = "", ""
            if image.mask:
                try:
                    mask_url = self.image_url(image.mask)
                except ImageUnavailable as exc:
                    mask_error = f"the mask was not used: {exc}"  # the photo itself is still imported
            images.append(
                RemoteImage(remote_id=image.remote_id, url=url, position=image.position, alt=image.alt,
                            mask_url=mask_url, mask_error=mask_error)
            )
        remote = RemoteProduct(
            external_id=product.handle, title=product.title, handle=product.handle,
            product_type=product.product_type, vendor=product.vendor, tags=product.tags,
            options=product.options, status=product.status, images=tuple(images),
        )
        return remote, unavailable

    def fetch_product(self, external_id: str) -> RemoteProduct | None:
        product = self.catalogue().products.get(external_id)
        return None if product is None else self.remote_product(product)[0]

    def iter_products(self, *, updated_since: datetime | None = None, run: SyncRun | None = None
                      ) -> Iterator[RemoteProduct]:
        """Every product of the CSV (a CSV carries no change times: every product is current), with every
        image that can be read; problems with images are kept for :meth:`issues_take`."""
        if run is not None:
            run.mode = "file"
            run.save(update_fields=["mode"])
        for product in self.catalogue().products.values():
            yield self._remote_with_images(product)

    def issues_take(self) -> list[RowIssue]:
        """The image problems :meth:`iter_products` met since the last call."""
        issues, self._issues = self._issues, []
        return issues

    def sync_stats(self) -> dict[str, int | float]:
        return {}

    def _remote_with_images(self, product: CsvProduct) -> RemoteProduct:
        """The product with every image that can be read; a known image that cannot is kept as it was."""
        remote, unavailable = self.remote_product(product)
        known = dict(
            SourceImage.objects.filter(product__shop=self.shop, product__external_id=product.handle,
                                       removed_at__isnull=True).values_list("remote_id", "source_url")
        )
        images: list[RemoteImage] = []
        for image in remote.images:
            if image.url != known.get(image.remote_id):
                try:
                    self.prefetch(image)  # a URL that cannot be read is known here, before anything is stored
                except ImageUnavailable as exc:
                    csv_image = next(i for i in product.images if i.remote_id == image.remote_id)
                    unavailable.append((csv_image, str(exc)))
                    continue
            images.append(image)
        for csv_image, why in unavailable:
            if csv_image.remote_id in known:
                # A file missing today is not a removal: the image stays as last imported.
                self._issues.append(RowIssue(csv_image.line, f"{why}; the image stays as last imported",
                                             product.handle))
                images.append(RemoteImage(remote_id=csv_image.remote_id, url=known[csv_image.remote_id],
                                          position=csv_image.position, alt=csv_image.alt))
            else:
                self._issues.append(unavailable_issue(csv_image, product.handle, why))
        return replace(remote, images=tuple(images))

    # --- images -----------------------------------------------------------------------------------
    def _inside_images_dir(self, path: Path, src: str) -> Path:
        root = self.paths.images_dir.resolve()
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            raise ImageUnavailable(f"image {src!r} points outside the images folder {root}")
        return resolved

    def image_url(self, src: str) -> str:
        """Where an ``Image Src`` is read from: a versioned file:// address, or the URL itself.

        A local file's address carries its size and modification time, so a file replaced under the same
        name is read again (and its variants superseded when its pixels changed).
        """
        parts = urlsplit(src)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            name = unquote(Path(parts.path).name)
            local = self.paths.images_dir / name if name else None
            if local is None or not local.is_file():
                return src
            path = self._inside_images_dir(local, src)
        elif scheme == "file":
            path = self._inside_images_dir(Path(unquote(parts.path)), src)
        elif scheme and len(scheme) > 1:  # one letter is a Windows drive, not a scheme
            raise ImageUnavailable(
                f"image {src!r} has an unsupported address; use a file path or an http(s) URL"
            )
        else:
            path = self._inside_images_dir(self.paths.images_dir / src, src)
        try:
            stat = path.stat()
        except OSError:
            raise ImageUnavailable(f"image file {src!r} was not found in {self.paths.images_dir}") from None
        if not path.is_file():
            raise ImageUnavailable(f"image {src!r} is not a file")
        return f"{path.as_uri()}?v={stat.st_size}-{stat.st_mtime_ns}"

    def prefetch(self, image: RemoteImage) -> None:
        """Download a URL image ahead of its intake, so one that cannot be read is reported on its line (or
        kept as last imported) instead of being recorded as failed. Raises ImageUnavailable."""
        if image.url.startswith("file:") or image.url in self._prefetched:
            return
        try:
            self._prefetched[image.url] = self._download(image.url)
        except (ApiNotFound, ApiBadRequest, ApiUnavailable, FetchRefused) as exc:
            raise ImageUnavailable(exc.message) from None

    def fetch_image_bytes(self, image: RemoteImage) -> bytes:
        if image.url in self._prefetched:
            return self._prefetched.pop(image.url)
        if image.url.startswith("file:"):
            path = self._inside_images_dir(Path(unquote(urlsplit(image.url).path)), image.url)
            try:
                return path.read_bytes()
            except OSError as exc:
                raise ApiNotFound(f"image file {path} cannot be read: {exc.strerror or exc}") from None
        return self._download(image.url)

    def _download(self, url: str) -> bytes:
        """A URL named in the CSV, through the guarded fetcher (any public https host); one retry."""
        return image_download(url, allowed_hosts=None, attempts=HTTP_ATTEMPTS)

    def is_own_media(self, image: RemoteImage) -> bool:
        """An image we exported (the merchant imported our CSV back): never a source for new variants."""
        name = unquote(Path(urlsplit(image.url).path).name) or Path(image.remote_id).name
        if not name.startswith(OWN_FILE_PREFIX):
            return False
        return Variant.objects.filter(shop=self.shop, remote_media_id=name).exists()

    # --- publishing -------------------------------------------------------------------------------
    def market_dir(self, market: Market) -> Path:
        """``<export_dir>/<locale>``: the locale is a validated language tag, checked again here because it
        names a folder (a row written around the model's validation must not escape the export folder)."""
        if not is_language_tag(market.locale):
            raise ApiBadRequest(f"market {market.pk} has the locale {market.locale!r}, not a BCP 47 language tag")
        return self.paths.export_dir / market.locale

    def image_src(self, market: Market, filename: str) -> str:
        base = self.paths.export_base_url
        return f"{base}/{market.locale}/images/{filename}" if base else f"images/{filename}"

    def publish_variant(self, variant: Variant) -> PublishResult:
        """Write the image (with its AI disclosure) into the market's export folder, then rebuild its CSV.

        Idempotent: the file name is fixed per variant and the CSV is rebuilt from scratch each time.
        """
        if variant.output_id is None:
            raise ApiBadRequest(f"variant {variant.pk} has no rendered image to export")
        filename = own_filename(variant)
        target = self.market_dir(variant.market) / "images" / filename
        already = target.is_file()
        if not already:
            original = variant.source_image.original
            data = disclose(blob_read(variant.output), content_type="image/png",
                            title=variant.alt_text or filename, parent=blob_read(original),
                            parent_content_type=original.content_type)
            _atomic_write(target, data)
        self.export_write(variant.market, including=variant)
        return PublishResult(remote_media_id=filename, url=self.image_src(variant.market, filename),
                             already_published=already, replaced_source=self.shop.publish_mode == "replace")

    def revert_variant(self, variant: Variant) -> None:
        """Remove the exported image and its row; the original images were never touched."""
        (self.market_dir(variant.market) / "images" / own_filename(variant)).unlink(missing_ok=True)
        self.export_write(variant.market, excluding=variant)

    def export_write(self, market: Market, *, including: Variant | None = None,
                     excluding: Variant | None = None) -> Path:
        """Write ``<export_dir>/<locale>/products.csv``: the shop's CSV plus every published image."""
        catalogue = self.catalogue()
        published = list(
            Variant.objects.filter(shop=self.shop, market=market, state=VariantState.PUBLISHED)
            .select_related("source_image__product")
            .order_by("pk")
        )
        if including is not None and all(v.pk != including.pk for v in published):
            published.append(including)
        replace = self.shop.publish_mode == "replace"
        if replace:
            # The source image has one place: the variant published last shows there (the one being published
            # now before any other); the variants it displaced are superseded once it is published.
            def shown_last(variant: Variant) -> tuple[bool, datetime, int]:
                is_new = including is not None and variant.pk == including.pk
                return is_new, variant.published_at or datetime.min.replace(tzinfo=UTC), variant.pk

            newest = {variant.source_image_id: variant for variant in sorted(published, key=shown_last)}
            published = list(newest.values())
        additions = [
            NewImageRow(
                handle=variant.source_image.product.external_id,
                src=self.image_src(market, own_filename(variant)),
                alt=variant.alt_text,
                replaces=variant.source_image.remote_id if replace else "",
            )
            for variant in sorted(published, key=lambda v: v.pk)
            if (excluding is None or variant.pk != excluding.pk)
            and variant.source_image.product.external_id in catalogue.products
        ]
        path = self.market_dir(market) / "products.csv"
        _atomic_write(path, csvformat.render(catalogue, additions))
        return path


def unavailable_issue(image: CsvImage, handle: str, why: str) -> RowIssue:
    return RowIssue(image.line, f"{why}; the product was imported without it", handle)
