"""Rows to CSV and XLSX, streamed in chunks, with no cell a spreadsheet would run.

Rule kept here: a text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
is written as text a spreadsheet will not evaluate — in CSV with a leading apostrophe (OWASP's
advice against formula injection), in XLSX as a string cell (never through a writer's
"guess the type" call, which turns `=…` into a formula). Numbers and dates stay what they are.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

import xlsxwriter

CHUNK = 64 * 1024
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | Decimal | date | datetime | bool | None


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _csv_cell(value: Cell) -> object:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (so Excel reads accents and CJK right), in ~64 KiB chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_chunks(sheet: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
                ) -> Iterator[bytes]:
    """One worksheet, written row by row (constant memory) to a spooled file, then streamed."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False,
                                         "strings_to_formulas": False,
                                         "strings_to_urls": False})
        ws = book.add_worksheet(sheet[:31])
        bold = book.add_format({"bold": True})
        stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        for col, name in enumerate(header):
            ws.write_string(0, col, name, bold)
        for r, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                _write(ws, r, col, value, stamp, day)
        book.close()
        out.seek(0)
        while chunk := out.read(CHUNK):
            yield chunk


def _utc(value: datetime) -> datetime:
    """Spreadsheets have no time zones: instants are written in UTC (the header says so)."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _write(ws: xlsxwriter.worksheet.Worksheet, r: int, col: int, value: Cell,
           stamp: object, day: object) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        ws.write_boolean(r, col, value)
    elif isinstance(value, int | float | Decimal):
        ws.write_number(r, col, float(value))
    elif isinstance(value, datetime):
        ws.write_datetime(r, col, _utc(value), stamp)
    elif isinstance(value, date):
        ws.write_datetime(r, col, datetime(value.year, value.month, value.day), day)
    else:
        ws.write_string(r, col, str(value))
