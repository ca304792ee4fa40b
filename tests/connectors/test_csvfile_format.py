"""Reading and writing Shopify's product CSV: continuation rows, bad rows, encodings."""

from __future__ import annotations

import csv
import io

import pytest

from vitrine.connectors.csvfile import csvformat
from vitrine.connectors.csvfile.csvformat import CsvFileError, NewImageRow

HEADER = [
    "Handle",
    "Title",
    "Body (HTML)",
    "Vendor",
    "Type",
    "Tags",
    "Published",
    "Option1 Name",
    "Option1 Value",
    "Variant SKU",
    "Variant Price",
    "Image Src",
    "Image Position",
    "Image Alt Text",
    "Variant Image",
    "Status",
]


def csv_bytes(rows: list[dict[str, str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row.get(column, "") for column in HEADER])
    return out.getvalue().encode(encoding)


def test_rows_that_repeat_a_handle_continue_the_product() -> None:
    data = csv_bytes(
        [
            {
                "Handle": "mug",
                "Title": "Mug",
                "Vendor": "Harbor",
                "Type": "Mug",
                "Tags": "kitchen, blue ,",
                "Published": "TRUE",
                "Option1 Name": "Color",
                "Option1 Value": "Blue",
                "Image Src": "mug-1.png",
                "Image Position": "1",
                "Image Alt Text": "Blue mug",
            },
            {
                "Handle": "mug",
                "Option1 Value": "Green",
                "Variant SKU": "MUG-G",
                "Variant Image": "mug-green.png",
            },
            {"Handle": "mug", "Image Src": "mug-2.png", "Image Position": "2", "Image Alt Text": "Side"},
            {
                "Handle": "tee",
                "Title": "Tee",
                "Status": "draft",
                "Image Src": "https://cdn.example/tee.jpg?v=3",
            },
        ]
    )
    catalogue = csvformat.parse(data)
    assert catalogue.issues == []
    mug, tee = catalogue.products["mug"], catalogue.products["tee"]
    assert (mug.title, mug.vendor, mug.product_type, mug.tags, mug.status) == (
        "Mug",
        "Harbor",
        "Mug",
        ("kitchen", "blue"),
        "active",
    )
    assert [(i.src, i.position, i.alt, i.line) for i in mug.images] == [
        ("mug-1.png", 1, "Blue mug", 2),
        ("mug-green.png", 2, "", 3),
        ("mug-2.png", 2, "Side", 4),
    ]
    assert tee.status == "draft" and tee.images[0].remote_id == "https://cdn.example/tee.jpg?v=3"


def test_bad_rows_are_reported_by_line_and_the_rest_is_read() -> None:
    good = {"Handle": "mug", "Title": "Mug", "Image Src": "mug.png"}
    text = csv_bytes([good]).decode()
    text += "broken,Row,with,too,few,fields\n"
    text += ",Nameless,,,,,,,,,,x.png,1,,,\n"
    text += "lamp,,,,,,,,,,,lamp.png,one,,,\n"
    text += "bottle,Bottle,,,,,,,,,,bottle.png,0,,,\n"
    text += "mug,,,,,,,,,,,mug-back.png,2,,,\n"
    text += 'quote,"Unclosed,,,,,,,,,,q.png,1,,,\n'
    catalogue = csvformat.parse(text.encode())
    messages: dict[int, tuple[str, str]] = {}
    for issue in catalogue.issues:
        if issue.severity == "error" or issue.line not in messages:  # a line's error outranks its warnings
            messages[issue.line] = (issue.severity, issue.message)
    assert messages[3] == (
        "error",
        "the row has 6 fields but the header has 16 (a missing or extra delimiter, "
        "or an unclosed quote); it was skipped",
    )
    assert messages[4] == ("error", "the Handle is empty; the row was skipped")
    assert messages[5] == ("error", "product 'lamp' has no Title on any of its rows; it was skipped")
    assert messages[6][0] == "warning" and "Image Position '0' is not a whole number" in messages[6][1]
    assert messages[7] == (
        "warning",
        "rows of product 'mug' are not next to each other (it started on line 2); they were read together",
    )
    assert messages[8][0] == "error" and "unclosed quote" in messages[8][1]
    assert sorted(catalogue.products) == ["bottle", "mug"]
    assert [image.position for image in catalogue.products["bottle"].images] == [1]
    assert len(catalogue.errors) == 4


def test_a_file_that_is_not_a_product_csv_is_refused_with_the_reason() -> None:
    with pytest.raises(CsvFileError, match="lacks Handle"):
        csvformat.parse(b"Name,Price\nMug,3\n", name="prices.csv")
    with pytest.raises(CsvFileError, match="is empty"):
        csvformat.parse(b"\n\n", name="empty.csv")
    with pytest.raises(CsvFileError, match="names Title more than once"):
        csvformat.parse(b"Handle,Title,Title\n", name="twice.csv")


def test_gbk_from_chinese_tools_is_detected_decoded_and_reported() -> None:
    data = csv_bytes(
        [
            {
                "Handle": "longjing",
                "Title": "龙井绿茶 特级",
                "Tags": "茶叶，绿茶",  # noqa: RUF001 (Chinese tools separate tags with a full-width comma)
                "Image Src": "茶.png",
                "Image Alt Text": "绿茶罐",
            }
        ],
        encoding="gbk",
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    catalogue = csvformat.parse(data, name="products.csv")
    product = catalogue.products["longjing"]
    assert product.title == "龙井绿茶 特级" and product.images[0].src == "茶.png"
    assert product.tags == ("茶叶", "绿茶")
    assert product.images[0].alt == "绿茶罐"
    assert catalogue.encoding == "gb18030"
    (warning,) = catalogue.issues
    assert warning.severity == "warning" and "read as GBK/GB18030" in warning.message


def test_windows_1252_is_the_last_resort_and_says_so() -> None:
    catalogue = csvformat.parse(csv_bytes([{"Handle": "cafe", "Title": "Café crème"}], encoding="cp1252"))
    assert catalogue.products["cafe"].title == "Café crème"
    assert catalogue.encoding == "cp1252" and "Windows-1252" in catalogue.issues[0].message


def test_utf8_with_bom_and_semicolons_as_excel_writes_them() -> None:
    data = b"\xef\xbb\xbf" + csv_bytes([{"Handle": "mug", "Title": "Becher; blau"}], delimiter=";")
    catalogue = csvformat.parse(data)
    assert (catalogue.encoding, catalogue.delimiter, catalogue.issues) == ("utf-8-sig", ";", [])
    assert catalogue.products["mug"].title == "Becher; blau"


def test_render_adds_and_replaces_image_rows_and_keeps_everything_else() -> None:
    catalogue = csvformat.parse(
        csv_bytes(
            [
                {
                    "Handle": "mug",
                    "Title": "Mug",
                    "Variant SKU": "M-1",
                    "Image Src": "mug-1.png",
                    "Image Position": "1",
                },
                {"Handle": "mug", "Image Src": "mug-2.png", "Image Position": "2"},
                {"Handle": "tee", "Title": "Tee", "Variant Price": "9.50", "Image Src": "tee.png"},
            ]
        )
    )
    rendered = csvformat.render(
        catalogue,
        [
            NewImageRow("mug", "images/v1.png", "Becher vor weißem Hintergrund"),
            NewImageRow("mug", "images/v2.png", "Becher, Studio"),
            NewImageRow("tee", "images/v3.png", "T-Shirt", replaces="tee.png"),
        ],
    )
    rows = list(csv.DictReader(io.StringIO(rendered.decode("utf-8"))))
    assert [(r["Handle"], r["Image Src"], r["Image Position"], r["Image Alt Text"]) for r in rows] == [
        ("mug", "mug-1.png", "1", ""),
        ("mug", "mug-2.png", "2", ""),
        ("mug", "images/v1.png", "3", "Becher vor weißem Hintergrund"),
        ("mug", "images/v2.png", "4", "Becher, Studio"),
        ("tee", "images/v3.png", "", "T-Shirt"),  # replaced in place: its position stays
    ]
    assert rows[0]["Variant SKU"] == "M-1" and rows[4]["Variant Price"] == "9.50"
    assert csvformat.parse(rendered).issues == []  # it reads back cleanly
