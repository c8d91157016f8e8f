"""A file as a header and numbered rows: XLSX (and XLS, ODS) through python-calamine, CSV in
UTF-8, UTF-8 with a BOM or GB18030/GBK (detected in that order, or named).

Rule kept here: a file is judged by its bytes, not its name, and refused whole (FileRefused)
before anything is parsed when it is over the size cap (checked on the file's size, never by
reading it), empty, password-protected (an encrypted workbook is an OLE compound file holding
an EncryptionInfo stream, not a zip), corrupt, or in an encoding none of these.
Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import python_calamine

from cloud_hub.imports.cells import Raw

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
UNZIPPED_PER_ZIPPED = 20  # an XLSX whose sheets unzip to more than this is a zip bomb
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk")


class FileRefused(ValueError):
    """The file as a whole cannot be imported; the message says why, for a person."""


@dataclass(frozen=True, slots=True)
class Sheet:
    """The header (row `header_row`) and the rows below it, each with its spreadsheet number."""

    header: list[Raw]
    rows: Iterator[tuple[int, list[Raw]]]
    format: str  # "csv" or "xlsx"
    header_row: int = 1


def read_sheet(path: Path, *, sheet: str | None = None, encoding: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> Sheet:
    """The file at `path` as a Sheet (a workbook's sheet named `sheet` if it has one, else its
    first), or FileRefused."""
    size = os.path.getsize(path)
    if size > max_bytes:
        raise FileRefused(f"the file is {size / 1e6:.1f} MB; the limit is "
                          f"{max_bytes / 1e6:.0f} MB: split it")
    if size == 0:
        raise FileRefused("the file is empty: the first row must name the columns")
    with open(path, "rb") as f:
        head = f.read(8)
    if head == OLE_MAGIC:
        return _ole(path, sheet)
    if head.startswith(ZIP_MAGIC):
        return _workbook(path, sheet, size)
    if encoding is not None and encoding.lower().replace("_", "-") not in ENCODINGS:
        raise FileRefused(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
    return _csv(path.read_bytes(), encoding)


def _ole(path: Path, sheet: str | None) -> Sheet:
    with open(path, "rb") as f:
        directory = f.read(1 << 20)  # the stream names live near the start of a small file
    if ENCRYPTED_MARK in directory:
        raise FileRefused("the workbook is password-protected (encrypted): save it without "
                          "a password, or as CSV, and import that")
    return _workbook(path, sheet, None)  # a legacy .xls: calamine reads it


def _workbook(path: Path, name: str | None, size: int | None) -> Sheet:
    if size is not None:
        try:
            with zipfile.ZipFile(path) as z:
                unzipped = sum(i.file_size for i in z.infolist())
        except zipfile.BadZipFile:
            raise FileRefused("the file is corrupt: it starts like an XLSX (a zip) but is not "
                              "one") from None
        if unzipped > max(size, 1 << 20) * UNZIPPED_PER_ZIPPED:
            raise FileRefused(f"the workbook unpacks to {unzipped / 1e6:.0f} MB, too much for "
                              f"its {size / 1e6:.1f} MB: refused")
        if _has_formulas(path):
            return _with_formulas(path, name)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if not names:
            raise FileRefused("the workbook has no sheet")
        chosen = book.get_sheet_by_name(name) if name in names else book.get_sheet_by_index(0)
        rows = chosen.iter_rows()  # Python values are made row by row, as they are read
    except python_calamine.PasswordError:
        raise FileRefused("the workbook is password-protected: save it without a password, "
                          "or as CSV, and import that") from None
    except (python_calamine.CalamineError, ValueError, OSError) as exc:
        if isinstance(exc, FileRefused):
            raise
        raise FileRefused(f"the workbook cannot be read (corrupt or not a spreadsheet): "
                          f"{exc}") from None
    numbered: Iterator[tuple[int, list[Raw]]] = ((i + 1, list[Raw](r))
                                                 for i, r in enumerate(rows))
    # the first row with anything in it names the columns
    found = next((n for n in numbered if any(c not in ("", None) for c in n[1])), None)
    if found is None:
        raise FileRefused("the sheet is empty: the first row must name the columns")
    number, header = found
    return Sheet(header, numbered, "xlsx", number)


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of an XLSX holds a formula (an <f> element), read in chunks."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                continue
            with z.open(info) as member:
                tail = b""
                while chunk := member.read(1 << 20):
                    if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                        return True
                    tail = chunk[-3:]
    return False


def _with_formulas(path: Path, name: str | None) -> Sheet:
    """A workbook with formulas, read by openpyxl so that a formula cell gives its text
    ("=SUM(A1:A3)", kept as text and never evaluated) rather than a value computed by
    whatever saved the file (calamine gives only that value)."""
    import openpyxl
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for a bad file: all mean one thing
        raise FileRefused(f"the workbook cannot be read (corrupt or not a spreadsheet): "
                          f"{exc}") from None
    sheet = book[name] if name in book.sheetnames else book.worksheets[0]
    numbered: Iterator[tuple[int, list[Raw]]] = (
        (i + 1, ["" if c is None else c for c in r])  # type: ignore[misc]
        for i, r in enumerate(sheet.iter_rows(min_row=1, values_only=True)))
    found = next((n for n in numbered if any(c not in ("", None) for c in n[1])), None)
    if found is None:
        raise FileRefused("the sheet is empty: the first row must name the columns")
    number, header = found
    return Sheet(header, numbered, "xlsx", number)


def decode(data: bytes, encoding: str | None = None) -> str:
    """The text of a CSV file: in `encoding` when named, else UTF-8 (a BOM is dropped), else
    GB18030 (a superset of GBK and GB2312)."""
    if encoding is not None:
        try:
            return data.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8")
                               else encoding)
        except UnicodeDecodeError as exc:
            raise FileRefused(f"the file is not {encoding} text (byte {exc.start})") from None
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise FileRefused("the file is neither UTF-8 nor GB18030/GBK text: save it as UTF-8 CSV "
                      "or XLSX, or name its encoding")


def _csv(data: bytes, encoding: str | None) -> Sheet:
    body = decode(data, encoding)
    if "\x00" in body:
        raise FileRefused("the file holds NUL bytes: it is not a CSV text file (or is "
                          "UTF-16: save it as UTF-8)")
    if not body.strip():
        raise FileRefused("the file is empty: the first row must name the columns")
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    with contextlib.suppress(csv.Error):  # a one-column header: plain commas then
        dialect = csv.Sniffer().sniff(body[:8192].split("\n", 1)[0], delimiters=",;\t")
    reader = csv.reader(io.StringIO(body, newline=""), dialect)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise FileRefused(f"row 1 is not valid CSV ({exc})") from None
    return Sheet(list(header), _numbered(reader), "csv")


def _numbered(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[Raw]]]:
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileRefused(f"row {number} is not valid CSV ({exc})") from None
        yield number, list(cells)
