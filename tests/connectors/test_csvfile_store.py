"""The CSV / folder store end to end at the database: import with bad input, URL images, export folder."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from tests.fakes.files import FileServer
from vitrine.connectors import services as connector_services
from vitrine.connectors.base import connector_for
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure, export_write
from vitrine.platform import events
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Product, Shop, SourceImage, Variant
from vitrine.platform.services import blob_put, variant_transition
from vitrine.templates import planner
from vitrine.templates import services as template_services

pytestmark = pytest.mark.django_db

HEADER = [
    "Handle",
    "Title",
    "Vendor",
    "Type",
    "Tags",
    "Variant SKU",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Status",
]


def packshot(path: Path, colour: tuple[int, int, int], size: int = 128) -> Path:
    image = Image.new("RGB", (size, size), (255, 255, 255))
    image.paste(colour, (size // 4, size // 5, size * 3 // 4, size * 4 // 5))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path


def write_csv(path: Path, rows: list[dict[str, str]], *, encoding: str = "utf-8",
              header: list[str] = HEADER) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    packshot(tmp_path / "images" / "mug.png", (30, 60, 150))
    packshot(tmp_path / "images" / "mug-side.png", (40, 70, 160))
    packshot(tmp_path / "images" / "lamp.png", (200, 140, 40))
    (tmp_path / "images" / "broken.png").write_bytes(b"this is not a picture at all")
    return tmp_path


@pytest.fixture
def csv_shop(folder: Path) -> Shop:
    return csv_shop_ensure(
        name="Folder Shop", export_dir=folder / "export", markets=[MarketSpec("de-DE"), MarketSpec("zh_cn")]
    )


def test_import_reports_bad_rows_and_missing_images_without_stopping(csv_shop: Shop, folder: Path) -> None:
    path = write_csv(
        folder / "products.csv",
        [
            {
                "Handle": "mug",
                "Title": "Mug",
                "Tags": "kitchen",
                "Image Src": "images/mug.png",
                "Image Position": "1",
                "Image Alt Text": "Blue mug",
            },
            {"Handle": "mug", "Image Src": "images/mug-side.png", "Image Position": "2"},
            {"Handle": "mug", "Image Src": "images/mug-gone.png", "Image Position": "3"},
            {"Handle": "", "Title": "No handle"},
            {"Handle": "lamp", "Title": "Lamp", "Image Src": "images/broken.png"},
            {"Handle": "lamp", "Image Src": "../secrets/key.png", "Image Position": "2"},
            {"Handle": "lamp", "Image Src": "ftp://files.example/lamp.png", "Image Position": "3"},
            {"Handle": "untitled", "Image Src": "images/lamp.png"},
        ],
    )
    report = catalogue_import(shop=csv_shop, csv_path=path)
    errors = {issue.line: issue.message for issue in report.errors}
    assert errors == {
        4: f"image file 'images/mug-gone.png' was not found in {folder}; the product was imported without it",
        5: "the Handle is empty; the row was skipped",
        6: "image 'images/broken.png' was refused: broken.png is not a recognisable image file",
        7: f"image '../secrets/key.png' points outside the images folder {folder}; the product was imported "
        "without it",
        8: "image 'ftp://files.example/lamp.png' has an unsupported address; use a file path or an http(s) "
        "URL; the product was imported without it",
        9: "product 'untitled' has no Title on any of its rows; it was skipped",
    }
    assert (report.products, report.images, report.encoding) == (2, 2, "utf-8")
    mug = Product.objects.get(shop=csv_shop, external_id="mug")
    assert (mug.title, mug.tags) == ("Mug", ["kitchen"])
    assert list(mug.images.order_by("position").values_list("remote_id", "alt")) == [
        ("images/mug.png", "Blue mug"),
        ("images/mug-side.png", ""),
    ]
    # The lamp's unreadable image is kept as a failed image, with why, and no bytes.
    lamp_images = Product.objects.get(external_id="lamp").images.all()
    assert [(image.fetch_status, image.image_id, bool(image.fetch_error)) for image in lamp_images] in (
        [], [("failed", None, True)])
    assert Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED, shop=csv_shop).count() == 2
    assert sorted(csv_shop.markets.values_list("locale", flat=True)) == ["de-DE", "zh-CN"]


def test_a_gbk_csv_from_a_chinese_tool_imports_with_a_warning(csv_shop: Shop, folder: Path) -> None:
    packshot(folder / "茶叶.png", (20, 100, 60))
    path = write_csv(
        folder / "gbk.csv",
        [{"Handle": "longjing", "Title": "龙井绿茶", "Image Src": "茶叶.png", "Image Alt Text": "绿茶罐"}],
        encoding="gbk",
    )
    report = catalogue_import(shop=csv_shop, csv_path=path, images_dir=folder)
    assert report.errors == [] and report.encoding == "gb18030"
    assert "GBK" in report.warnings[0].message
    image = SourceImage.objects.get(product__title="龙井绿茶")
    assert (image.remote_id, image.alt) == ("茶叶.png", "绿茶罐")


def test_url_images_are_downloaded_and_failures_reported(csv_shop: Shop, folder: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.FETCH_READ_TIMEOUT = 0.3
    with FileServer() as cdn:
        lamp = cdn.serve("/files/desk-lamp.png", (folder / "images" / "lamp.png").read_bytes(),
                         headers={"Content-Type": "image/png"})
        slow = cdn.serve("/files/slow.png", b"late", delay=1.0)
        gone = cdn.base_url + "/files/gone.png"
        path = write_csv(
            folder / "urls.csv",
            [
                {"Handle": "lamp", "Title": "Lamp", "Image Src": lamp + "?v=12"},
                {"Handle": "lamp", "Image Src": gone, "Image Position": "2"},
                {"Handle": "lamp", "Image Src": slow, "Image Position": "3"},
                # Downloaded images kept next to the CSV are read from the folder, not fetched again.
                {"Handle": "mug", "Title": "Mug", "Image Src": cdn.base_url + "/files/mug.png"},
            ],
        )
        csv_shop_ensure(name=csv_shop.name, csv_path=path, images_dir=folder / "images")
        csv_shop.refresh_from_db()
        report = catalogue_import(shop=csv_shop)
    assert [(issue.line, issue.message) for issue in report.errors] == [
        (3, f"image {gone} does not exist (HTTP 404); the product was imported without it"),
        (4, f"image {slow} could not be downloaded (no usable answer); the product was imported without it"),
    ]
    assert "/files/mug.png" not in cdn.hits and cdn.hits.count("/files/slow.png") == 2  # one retry
    lamp_image = SourceImage.objects.get(product__external_id="lamp")
    assert lamp_image.source_url == lamp + "?v=12"
    assert SourceImage.objects.get(product__external_id="mug").source_url.startswith("file://")


def test_importing_again_changes_nothing_and_a_replaced_file_is_new_bytes(
    csv_shop: Shop, folder: Path
) -> None:
    path = write_csv(
        folder / "products.csv", [{"Handle": "mug", "Title": "Mug", "Image Src": "images/mug.png"}]
    )
    catalogue_import(shop=csv_shop, csv_path=path)
    image = SourceImage.objects.get()
    catalogue_import(shop=csv_shop)
    again = SourceImage.objects.get()
    assert (again.pk, again.sha256, again.updated_at) == (image.pk, image.sha256, image.updated_at)
    synced = Event.objects.filter(type=events.CATALOG_PRODUCT_SYNCED).order_by("pk")
    assert synced.last().payload["changed_image_ids"] == []
    packshot(folder / "images" / "mug.png", (150, 30, 30))  # the merchant replaced the photo
    catalogue_import(shop=csv_shop)
    replaced = SourceImage.objects.get()
    assert replaced.pk == image.pk and replaced.sha256 != image.sha256
    assert synced.last().payload["changed_image_ids"] == [image.pk]


def test_a_file_missing_today_keeps_the_image_as_last_imported(csv_shop: Shop, folder: Path) -> None:
    path = write_csv(
        folder / "products.csv", [{"Handle": "mug", "Title": "Mug", "Image Src": "images/mug.png"}]
    )
    catalogue_import(shop=csv_shop, csv_path=path)
    (folder / "images" / "mug.png").unlink()
    report = catalogue_import(shop=csv_shop)
    assert "the image stays as last imported" in report.errors[0].message
    assert SourceImage.objects.get().removed_at is None


def test_import_csv_command_creates_the_shop_and_prints_each_problem(folder: Path, capsys) -> None:
    path = write_csv(
        folder / "products.csv",
        [
            {"Handle": "mug", "Title": "Mug", "Image Src": "images/mug.png"},
            {"Handle": "lamp", "Title": "Lamp", "Image Src": "images/none.png"},
        ],
    )
    call_command("import_csv", str(path), "--shop", "Corner Shop", "--market", "fr-FR")
    output = capsys.readouterr()
    assert "Imported 2 products with 1 images into shop Corner Shop" in output.out
    assert "error: line 3: image file 'images/none.png' was not found" in output.err
    shop = Shop.objects.get(provider="csvfile", external_id="corner-shop")
    assert shop.settings["csv_path"] == str(path.resolve())
    assert list(shop.markets.values_list("locale", flat=True)) == ["fr-FR"]


# --- publishing into the export folder ------------------------------------------------------------
def approved_variant(
    shop: Shop, *, handle: str = "mug", locale: str = "de-DE", alt: str = "Becher", template: str = "studio-sweep-light"
) -> Variant:
    image = SourceImage.objects.get(product__shop=shop, product__external_id=handle, position=1)
    png = io.BytesIO()
    Image.new("RGB", (image.width, image.height), (240, 240, 240)).save(png, format="PNG")
    output = blob_put(data=png.getvalue(), content_type="image/png", width=image.width, height=image.height)
    variant = Variant.objects.create(
        shop=shop,
        source_image=image,
        market=shop.markets.get(locale=locale),
        kind="background",
        template_slug=template,
        template_version=1,
        source_sha256=image.sha256,
        seed=1,
        alt_text=alt,
    )
    for state in ("generating", "generated", "in_review", "approved"):
        variant = variant_transition(variant_id=variant.pk, to=state, actor="test", output=output)
    return variant


@pytest.fixture
def imported(csv_shop: Shop, folder: Path) -> Shop:
    path = write_csv(
        folder / "products.csv",
        [
            {
                "Handle": "mug",
                "Title": "Mug",
                "Variant SKU": "MUG-1",
                "Image Src": "images/mug.png",
                "Image Position": "1",
            },
            {"Handle": "mug", "Image Src": "images/mug-side.png", "Image Position": "2"},
            {"Handle": "lamp", "Title": "Lamp", "Image Src": "images/lamp.png", "Image Position": "1"},
        ],
    )
    catalogue_import(shop=csv_shop, csv_path=path)
    csv_shop.refresh_from_db()
    return csv_shop


def exported_rows(folder: Path, locale: str) -> list[dict[str, str]]:
    text = (folder / "export" / locale / "products.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def test_publishing_writes_the_image_and_a_csv_ready_to_import_again(imported: Shop, folder: Path) -> None:
    variant = approved_variant(imported, alt="Becher vor weißem Hintergrund")
    published = connector_services.variant_publish(variant_id=variant.pk)
    filename = f"vitrine-{variant.pk}-mug-studio-sweep-light.png"
    assert (published.state, published.remote_media_id) == (VariantState.PUBLISHED, filename)
    exported = folder / "export" / "de-DE" / "images" / filename
    assert b"compositeWithTrainedAlgorithmicMedia" in exported.read_bytes()  # the AI disclosure travels along
    rows = exported_rows(folder, "de-DE")
    assert [(r["Handle"], r["Image Src"], r["Image Position"], r["Image Alt Text"]) for r in rows] == [
        ("mug", "images/mug.png", "1", ""),
        ("mug", "images/mug-side.png", "2", ""),
        ("mug", f"images/{filename}", "3", "Becher vor weißem Hintergrund"),
        ("lamp", "images/lamp.png", "1", ""),
    ]
    assert rows[0]["Variant SKU"] == "MUG-1"


def test_publishing_again_after_a_crash_duplicates_nothing(imported: Shop, folder: Path) -> None:
    variant = approved_variant(imported)
    connector = connector_for(imported)
    first = connector.publish_variant(variant)
    second = connector.publish_variant(variant)  # the worker died before recording the first
    assert (first.already_published, second.already_published) == (False, True)
    assert first.remote_media_id == second.remote_media_id
    assert len(exported_rows(folder, "de-DE")) == 4
    assert len(list((folder / "export" / "de-DE" / "images").iterdir())) == 1


def test_replace_mode_swaps_the_source_image_row(imported: Shop, folder: Path) -> None:
    imported.publish_mode = "replace"
    imported.save()
    published = connector_services.variant_publish(variant_id=approved_variant(imported, alt="Ersatz").pk)
    rows = exported_rows(folder, "de-DE")
    assert [(r["Image Src"], r["Image Alt Text"]) for r in rows] == [
        (f"images/{published.remote_media_id}", "Ersatz"),
        ("images/mug-side.png", ""),
        ("images/lamp.png", ""),
    ]


def test_replace_mode_shows_the_variant_published_last_and_supersedes_the_one_it_displaced(
    imported: Shop, folder: Path
) -> None:
    imported.publish_mode = "replace"
    imported.save()
    first = connector_services.variant_publish(variant_id=approved_variant(imported, alt="Erst").pk)
    elsewhere = connector_services.variant_publish(variant_id=approved_variant(imported, locale="zh-CN", alt="Mug").pk)
    second = connector_services.variant_publish(
        variant_id=approved_variant(imported, alt="Zweit", template="studio-sweep-dark").pk
    )
    states = dict(Variant.objects.filter(pk__in=[first.pk, second.pk, elsewhere.pk]).values_list("pk", "state"))
    # Each market has its own export: the Chinese one is not displaced by a German variant.
    assert states == {first.pk: "superseded", second.pk: "published", elsewhere.pk: "published"}
    rows = exported_rows(folder, "de-DE")
    assert [(r["Image Src"], r["Image Alt Text"]) for r in rows] == [
        (f"images/{second.remote_media_id}", "Zweit"),
        ("images/mug-side.png", ""),
        ("images/lamp.png", ""),
    ]
    assert exported_rows(folder, "zh-CN")[0]["Image Src"] == f"images/{elsewhere.remote_media_id}"


def test_revert_takes_the_image_out_again(imported: Shop, folder: Path) -> None:
    variant = connector_services.variant_publish(variant_id=approved_variant(imported).pk)
    reverted = connector_services.variant_revert(variant_id=variant.pk, actor="user:1")
    assert reverted.state == VariantState.SUPERSEDED
    assert not (folder / "export" / "de-DE" / "images" / variant.remote_media_id).exists()
    assert [r["Image Src"] for r in exported_rows(folder, "de-DE")] == [
        "images/mug.png",
        "images/mug-side.png",
        "images/lamp.png",
    ]


def test_importing_the_export_back_never_plans_from_our_own_images(imported: Shop, folder: Path) -> None:
    template_services.rule_set(shop=imported, template_slug="studio-sweep-light")
    variant = connector_services.variant_publish(variant_id=approved_variant(imported).pk)
    export = folder / "export" / "de-DE"
    catalogue_import(shop=imported, csv_path=export / "products.csv", images_dir=export)
    ours = SourceImage.objects.get(remote_id=f"images/{variant.remote_media_id}")
    assert ours.published_by_us
    outcome = planner.product_plan(product_id=ours.product_id)
    assert not Variant.objects.filter(source_image=ours).exists()
    assert outcome.created  # the merchant's own photos are still planned


def test_export_csv_command_publishes_approved_variants_and_writes_every_market(
    imported: Shop, folder: Path, capsys
) -> None:
    approved = approved_variant(imported, locale="zh-CN", alt="马克杯")
    call_command("export_csv", "--shop", "Folder Shop", "--out", str(folder / "elsewhere"))
    assert Variant.objects.get(pk=approved.pk).state == VariantState.PUBLISHED
    written = capsys.readouterr().out
    assert str(folder / "elsewhere" / "de-DE" / "products.csv") in written
    zh_rows = list(csv.DictReader(io.StringIO((folder / "elsewhere" / "zh-CN" / "products.csv").read_text())))
    assert zh_rows[2]["Image Alt Text"] == "马克杯"
    imported.refresh_from_db()
    assert export_write(shop=imported) == [
        folder / "elsewhere" / "de-DE" / "products.csv",
        folder / "elsewhere" / "zh-CN" / "products.csv",
    ]


def test_a_products_options_are_read_from_its_variant_rows_so_csv_shops_get_colourways(
    csv_shop: Shop, folder: Path
) -> None:
    from vitrine.templates.colourways import colourways_overview

    path = write_csv(folder / "products.csv", [
        {"Handle": "tee", "Title": "Tee", "Option1 Name": "Size", "Option1 Value": "S", "Option2 Name": "Color",
         "Option2 Value": "Red", "Image Src": "images/mug.png", "Image Alt Text": "Tee in red"},
        {"Handle": "tee", "Option1 Value": "M", "Option2 Value": "Red"},
        {"Handle": "tee", "Option1 Value": "S", "Option2 Value": "Navy"},
        {"Handle": "lamp", "Title": "Lamp", "Image Src": "images/lamp.png"},
    ], header=[*HEADER, "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value"])
    catalogue_import(shop=csv_shop, csv_path=path)
    tee = Product.objects.get(shop=csv_shop, external_id="tee")
    assert tee.options == [{"name": "Size", "values": ["S", "M"]}, {"name": "Color", "values": ["Red", "Navy"]}]
    assert Product.objects.get(shop=csv_shop, external_id="lamp").options == []
    rows = {row.value: row for row in colourways_overview(tee)}
    assert rows["Red"].photographed and not rows["Navy"].photographed
