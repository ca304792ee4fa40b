"""Shopify's product CSV, read and written without Django.

One product spans several rows: the first row of a handle carries the product's fields, the rows after
it that repeat the handle add variants and images (``Image Src``, ``Image Position``, ``Image Alt Text``).
Reading never stops at a bad row: each problem becomes a :class:`RowIssue` with its line number, and the
rest of the file is still read. Files that are not UTF-8 (GBK from Chinese spreadsheet tools, Shift-JIS,
Windows-1252) are detected, decoded and reported.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from vitrine.connectors.csvfile.encoding import detect_encoding

REQUIRED_COLUMNS = ("Handle", "Title")
IMAGE_COLUMNS = ("Image Src", "Image Position", "Image Alt Text")
# Vitrine's own optional column (stores ignore it): the photo's product mask, an alpha PNG or white on black.
MASK_COLUMN = "Image Mask"
# The columns a new image row fills; every other column of such a row stays empty.
NEW_IMAGE_ROW_COLUMNS = ("Handle", *IMAGE_COLUMNS)
REMOTE_ID_MAX = 255



class CsvFileError(ValueError):
    """The file as a whole cannot be read as a product CSV (not a single row can be trusted)."""


@dataclass(frozen=True)
class RowIssue:
    line: int  # 1-based line of the file where the row starts (the header is line 1); 0 = the whole file
    message: str
    handle: str = ""
    severity: str = "error"  # "error": something was skipped; "warning": read with an assumption

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class CsvImage:
    src: str
    position: int
    alt: str
    line: int
    mask: str = ""

    @property
    def remote_id(self) -> str:
        return image_remote_id(self.src)


@dataclass
class CsvProduct:
    handle: str
    line: int
    title: str = ""
    body_html: str = ""
    vendor: str = ""
    product_type: str = ""
    tags: tuple[str, ...] = ()
    status: str = ""
    images: list[CsvImage] = field(default_factory=list)
    # Shopify's "Option1 Name" .. "Option3 Name" (on the product's first row) and the values its variant rows
    # give them, in order of appearance.
    option_names: list[str] = field(default_factory=lambda: ["", "", ""])
    option_values: list[list[str]] = field(default_factory=lambda: [[], [], []])

    @property
    def options(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((name, tuple(values)) for name, values in zip(self.option_names, self.option_values,
                                                                   strict=True) if name)


@dataclass
class CsvCatalogue:
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (line, cells) of every well-formed row, in file order
    products: dict[str, CsvProduct]
    issues: list[RowIssue]
    encoding: str
    delimiter: str

    @property
    def errors(self) -> list[RowIssue]:
        return [issue for issue in self.issues if issue.severity == "error"]


def image_remote_id(src: str) -> str:
    """A stable id for an image within its product: its source as written, or a digest when too long."""
    src = src.strip()
    if len(src) <= REMOTE_ID_MAX:
        return src
    return "sha1:" + hashlib.sha1(src.encode("utf-8")).hexdigest()


# The longest physical line read (characters); a longer one is refused before it can fill memory.
MAX_LINE_CHARS = 4 * 1024 * 1024


def _lines(text: TextIO, *, name: str, issues: list[RowIssue]) -> Iterator[str]:
    """Physical lines, each at most MAX_LINE_CHARS long (the csv module asks for more when a quoted field
    spans lines); NUL characters dropped with one warning."""
    number, nul_reported = 0, False
    while line := text.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise CsvFileError(f"{name}: line {number} is longer than {MAX_LINE_CHARS} characters; this is not "
                               "a product CSV (or its line breaks are not \\n or \\r\\n)")
        if "\x00" in line:
            line = line.replace("\x00", "")
            if not nul_reported:
                issues.append(RowIssue(0, f"{name} contains NUL bytes; they were removed", severity="warning"))
                nul_reported = True
        yield line


def _delimiter(first_line: str) -> str:
    # Excel in many European locales saves "CSV" with semicolons.
    counts = {delimiter: first_line.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _position(raw: str, line: int, handle: str, fallback: int, issues: list[RowIssue]) -> int:
    raw = raw.strip()
    if not raw:
        return fallback
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        issues.append(RowIssue(line, f"Image Position {raw!r} is not a whole number of 1 or more; the image "
                                     f"is placed at position {fallback}", handle, "warning"))
        return fallback
    return value


def parse(data: bytes, *, name: str = "the file") -> CsvCatalogue:
    """Read a Shopify product CSV held in memory (see :func:`parse_stream`)."""
    return parse_stream(io.BytesIO(data), name=name)


def parse_file(path: Path, *, max_bytes: int) -> CsvCatalogue:
    """Read a product CSV from disk as a stream; a file over ``max_bytes`` is refused unread."""
    size = path.stat().st_size
    if size > max_bytes:
        raise CsvFileError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB "
                           "(split the catalogue into several files)")
    with path.open("rb") as stream:
        return parse_stream(stream, name=path.name)


def parse_stream(stream: BinaryIO, *, name: str = "the file") -> CsvCatalogue:
    """Read a Shopify product CSV from a seekable binary stream, a line at a time: memory grows with the
    rows kept, never with a whole copy of the text. Raises :class:`CsvFileError` only when the header is
    unusable."""
    encoding, warning = detect_encoding(stream, name=name)
    issues = [RowIssue(0, warning, severity="warning")] if warning else []
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
    try:
        return _parse_lines(_lines(text, name=name, issues=issues), name=name, encoding=encoding, issues=issues)
    finally:
        text.detach()  # the caller owns the stream


def _parse_lines(lines: Iterator[str], *, name: str, encoding: str, issues: list[RowIssue]) -> CsvCatalogue:
    leading: list[str] = []  # blank lines before the first text: kept, so line numbers stay the file's
    for line in lines:
        leading.append(line)
        if line.strip():
            break
    if not leading or not leading[-1].strip():
        raise CsvFileError(f"{name} is empty")
    delimiter = _delimiter(leading[0].split("\n", 1)[0])
    reader = csv.reader(itertools.chain(leading, lines), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
    except csv.Error as exc:
        raise CsvFileError(f"{name}: the header row cannot be read: {exc}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise CsvFileError(
            f"{name} is not a Shopify product CSV: the header lacks {', '.join(missing)} "
            f"(found: {', '.join(header[:8])}{', ...' if len(header) > 8 else ''})"
        )
    duplicated = sorted({column for column in header if column and header.count(column) > 1})
    if duplicated:
        raise CsvFileError(f"{name}: the header names {', '.join(duplicated)} more than once")
    index = {column: position for position, column in enumerate(header)}
    products: dict[str, CsvProduct] = {}
    rows: list[tuple[int, list[str]]] = []
    last_handle = ""
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            issues.append(RowIssue(line, f"the row cannot be read ({exc}); it was skipped"))
            line = reader.line_num + 1
            continue
        row_line, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            issues.append(RowIssue(
                row_line, f"the row has {len(cells)} fields but the header has {len(header)} (a missing or "
                          "extra delimiter, or an unclosed quote); it was skipped",
                cells[0].strip() if cells else "",
            ))
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            return cells[index[column]].strip() if column in index else ""

        handle = cell("Handle")
        if not handle:
            issues.append(RowIssue(row_line, "the Handle is empty; the row was skipped"))
            continue
        if "\n" in handle or "\r" in handle:
            issues.append(RowIssue(row_line, "the Handle spans several lines (an unclosed quote?); the row "
                                             "was skipped"))
            continue
        rows.append((row_line, cells))
        product = products.get(handle)
        if product is None:
            product = products[handle] = CsvProduct(handle=handle, line=row_line)
        elif handle != last_handle:
            issues.append(RowIssue(row_line, f"rows of product {handle!r} are not next to each other (it "
                                             f"started on line {product.line}); they were read together",
                                   handle, "warning"))
        last_handle = handle
        _merge_product_fields(product, cell, row_line, issues)
        _merge_options(product, cell)
        src = cell("Image Src")
        if src:
            fallback = len(product.images) + 1
            position = _position(cell("Image Position"), row_line, handle, fallback, issues)
            if any(image.src == src for image in product.images):
                issues.append(RowIssue(row_line, f"image {src!r} is listed twice; the second listing was "
                                                 "ignored", handle, "warning"))
            else:
                product.images.append(CsvImage(src=src, position=position, alt=cell("Image Alt Text"),
                                               line=row_line, mask=cell(MASK_COLUMN)))
        variant_image = cell("Variant Image")
        if variant_image and not any(image.src == variant_image for image in product.images):
            product.images.append(CsvImage(src=variant_image, position=len(product.images) + 1, alt="",
                                           line=row_line))
    for handle, product in list(products.items()):
        if not product.title:
            issues.append(RowIssue(product.line, f"product {handle!r} has no Title on any of its rows; it "
                                                 "was skipped", handle))
            del products[handle]
    return CsvCatalogue(header=header, rows=rows, products=products, issues=issues, encoding=encoding,
                        delimiter=delimiter)


def _merge_product_fields(product: CsvProduct, read: Callable[[str], str], line: int,
                          issues: list[RowIssue]) -> None:
    """Take the product's fields from its first row with a Title; ``read`` gives a cell by column."""
    title = read("Title")
    if title and not product.title:
        product.title = title
        product.body_html = read("Body (HTML)")
        product.vendor = read("Vendor")
        product.product_type = read("Type")
        # Chinese spreadsheets often separate tags with the full-width comma.
        product.tags = tuple(tag.strip() for tag in re.split("[,\uff0c]", read("Tags")) if tag.strip())
        product.status = _status(read("Status"), read("Published"))
    elif title and title != product.title:
        issues.append(RowIssue(line, f"a second Title {title!r} for product {product.handle!r} was ignored "
                                     f"(it is {product.title!r})", product.handle, "warning"))


def _merge_options(product: CsvProduct, read: Callable[[str], str]) -> None:
    """Each variant row names its value of every option; the names come with the product's first row."""
    for slot in range(3):
        name, value = read(f"Option{slot + 1} Name"), read(f"Option{slot + 1} Value")
        if name and not product.option_names[slot]:
            product.option_names[slot] = name
        if value and value not in product.option_values[slot]:
            product.option_values[slot].append(value)


def _status(status: str, published: str) -> str:
    if status:
        return status.lower()
    if published:
        return "active" if published.strip().lower() in {"true", "yes", "1"} else "draft"
    return ""


@dataclass(frozen=True)
class NewImageRow:
    handle: str
    src: str
    alt: str
    replaces: str = ""  # remote id of the image this one replaces in place; "" adds a row


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def spreadsheet_safe(value: str) -> str:
    """``value`` as a cell a spreadsheet shows as text: a leading formula character gets a ``'`` before it
    (the OWASP advice; spreadsheets hide the quote, a store import keeps it)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render(catalogue: CsvCatalogue, additions: Sequence[NewImageRow]) -> bytes:
    """The catalogue as UTF-8 CSV with ``additions`` applied, ready to import into a store again.

    Rows keep their order. Replacements swap the ``Image Src`` and alt text of the row holding the image
    they replace; additions come right after their product's last row, numbered after its images. Every cell
    we write (alt text made from product titles and translations, image addresses) is made spreadsheet-safe;
    the merchant's own cells are copied as they came (a price of -5 must stay -5).
    """
    header = catalogue.header
    index = {column: position for position, column in enumerate(header)}
    for column in IMAGE_COLUMNS:
        if column not in index:
            index[column] = len(header)
            header = [*header, column]
    width = len(header)
    existing = _existing_images(catalogue)
    replacing = {(row.handle, row.replaces): row for row in additions
                 if (row.handle, row.replaces) in existing}
    appended: dict[str, list[NewImageRow]] = {}
    for row in additions:
        if replacing.get((row.handle, row.replaces)) is not row:
            appended.setdefault(row.handle, []).append(row)
    last_line = {cells[index["Handle"]].strip(): line for line, cells in catalogue.rows}
    highest = {handle: max((image.position for image in product.images), default=0)
               for handle, product in catalogue.products.items()}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for line, cells in catalogue.rows:
        cells = [*cells, *[""] * (width - len(cells))]
        handle = cells[index["Handle"]].strip()
        src = cells[index["Image Src"]].strip()
        swap = replacing.get((handle, image_remote_id(src))) if src else None
        if swap is not None:
            cells[index["Image Src"]] = spreadsheet_safe(swap.src)
            cells[index["Image Alt Text"]] = spreadsheet_safe(swap.alt)
        writer.writerow(cells)
        if last_line.get(handle) == line:
            for offset, new in enumerate(appended.get(handle, []), start=1):
                fresh = [""] * width
                fresh[index["Handle"]], fresh[index["Image Src"]] = handle, spreadsheet_safe(new.src)
                fresh[index["Image Position"]] = str(highest.get(handle, 0) + offset)
                fresh[index["Image Alt Text"]] = spreadsheet_safe(new.alt)
                writer.writerow(fresh)
    return out.getvalue().encode("utf-8")


def _existing_images(catalogue: CsvCatalogue) -> set[tuple[str, str]]:
    return {(handle, image.remote_id) for handle, product in catalogue.products.items()
            for image in product.images}
