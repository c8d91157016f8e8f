"""CSV and XLSX writers: what a spreadsheet opens is the data, never a formula it runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import openpyxl
import pytest

from cloud_hub.exports.formats import csv_chunks, safe_text, xlsx_chunks

HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_looking_text_is_escaped(text: str) -> None:
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["SKU-1", "A-01", "", "100", "ok=yes"])
def test_ordinary_text_is_untouched(text: str) -> None:
    assert safe_text(text) == text


def test_csv_reads_back_as_the_data_with_formulas_defused() -> None:
    rows = [(t, Decimal("-1.5"), date(2027, 1, 31), None) for t in HOSTILE] + \
           [("北京仓 A-01", 3, datetime(2026, 12, 7, 9, tzinfo=UTC), True)]
    data = b"".join(csv_chunks(["text", "qty", "when", "flag"], rows))
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so Excel reads UTF-8"
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert back[0] == ["text", "qty", "when", "flag"]
    assert [r[0] for r in back[1:7]] == ["'" + t for t in HOSTILE]
    assert back[1][1] == "-1.5", "a negative number is a number, not escaped"
    assert back[7] == ["北京仓 A-01", "3", "2026-12-07T09:00:00+00:00", "True"]


def test_csv_streams_in_chunks() -> None:
    chunks = list(csv_chunks(["a"], (("x" * 100,) for _ in range(5000))))
    assert len(chunks) > 3 and max(map(len, chunks)) < 128 * 1024


def test_xlsx_cells_are_typed_and_no_text_becomes_a_formula() -> None:
    later = datetime(2026, 12, 7, 17, 30, tzinfo=timezone(timedelta(hours=8)))
    rows = [(t, 1) for t in HOSTILE] + [("SKU-1", Decimal("2.5")), (later, date(2027, 1, 31))]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx_chunks("Stock", ["a", "b"], rows))))
    ws = book["Stock"]
    assert [c.value for c in ws[1]] == ["a", "b"]
    for r, text in enumerate(HOSTILE, start=2):
        cell = ws.cell(r, 1)
        assert cell.data_type == "s", "stored as text, never 'f'"
        assert cell.value == text.replace("\r", "_x000D_"), "(XLSX writes CR as _x000D_)"
    assert ws.cell(8, 2).value == 2.5
    assert ws.cell(9, 1).value == datetime(2026, 12, 7, 9, 30), "instants in UTC"
    assert ws.cell(9, 2).value == datetime(2027, 1, 31)
