"""Reading lot-import rows (pure): each bad row named with its number and why, the good ones
kept; a file too big, too long or without the sku and lot columns refused whole."""

from __future__ import annotations

from datetime import date

import pytest

from cloud_hub.work.lot_import import (
    MAX_ROWS,
    BadRow,
    ImportRefused,
    LotRow,
    read_csv,
    read_rows,
)


def test_good_rows_are_read_and_bad_ones_named() -> None:
    got = read_rows([
        {"sku": " S1 ", "lot": "A", "expiry": "2027-01-31", "origin": "NL"},
        {"sku": "S1", "lot": "B", "expiry": "2027-02-30"},
        {"sku": "S1", "lot": "C", "colour": "red"},
        {"sku": "S1", "lot": "x" * 129},
        {"sku": "S1", "lot": "D\x00"},
        {"sku": 5, "lot": "E"},
        ["S1", "F"],
        {"sku": "S1", "lot": "G", "production_date": "20270101"},
    ])
    assert got[0] == LotRow(1, "S1", "A", date(2027, 1, 31), origin="NL")
    errors = {r.number: r.error for r in got if isinstance(r, BadRow)}
    assert "expiry" in errors[2] and "2027-02-30" in errors[2]
    assert errors[3] == "unknown column(s): colour"
    assert "longer than 128" in errors[4]
    assert "control characters" in errors[5]
    assert errors[6] == "sku must be text"
    assert "object" in errors[7]
    assert "production_date" in errors[8]


def test_a_csv_needs_its_header_and_its_bounds() -> None:
    rows = read_csv("sku,lot,expiry\nS1,A,2027-01-31\nS1,B,2027-01-31,extra\n")
    assert rows[0] == LotRow(1, "S1", "A", date(2027, 1, 31))
    assert rows[1] == BadRow(2, "more values than the header has columns")
    with pytest.raises(ImportRefused, match="sku and lot"):
        read_csv("code,expiry\nS1,2027-01-31\n")
    with pytest.raises(ImportRefused, match="rows"):
        read_csv("sku,lot\n" + "S,L\n" * (MAX_ROWS + 1))
    with pytest.raises(ImportRefused, match="rows"):
        read_rows({"sku": "S", "lot": "L"} for _ in range(MAX_ROWS + 1))
