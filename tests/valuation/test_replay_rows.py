"""The replay's reading of the CSV: what it accepts, and every bad row refused by its line."""

from __future__ import annotations

import pytest

from cloud_hub.valuation.model import Method
from cloud_hub.valuation.replay import ReplayError, command, replay
from tests.valuation.cases import HEADER, csv_text

GOOD = "2026-01-01,WH1,A,receipt,10,2,,,,R1,"

BAD_ROWS = [
    ("2026-01-02,WH1,A,sell,1,,,,,,", "unknown kind 'sell'"),
    ("2026-01-02,WH1,A,issue,-1,,,,,,", "quantity must be a positive number, got '-1'"),
    ("2026-01-02,WH1,A,issue,0,,,,,,", "quantity must be a positive number, got '0'"),
    ("2026-01-02,WH1,A,issue,,,,,,,", "quantity must be a positive number, got ''"),
    ("2026-01-02,WH1,A,issue,ten,,,,,,", "quantity is not a number: 'ten'"),
    ("2026-01-02,WH1,A,issue,NaN,,,,,,", "quantity is not a number: 'NaN'"),
    ("2026-01-02,WH1,A,issue,Infinity,,,,,,", "quantity is not a number: 'Infinity'"),
    ("2026-01-02,WH1,A,receipt,1,,,,,,", "a receipt needs a unit_cost"),
    ("2026-01-02,WH1,A,adjust_in,1,,,,,,", "an adjust_in needs a unit_cost"),
    ("2026-01-02,WH1,A,receipt,1,-2,,,,,", "unit_cost must not be negative"),
    ("2026-01-02,WH1,A,receipt,1,2 CNY,,,,,", "unit_cost is not a number: '2 CNY'"),
    ("2026-01-02,WH1,A,transfer,1,,,,,,", "a transfer needs a to_warehouse"),
    ("2026-01-02,WH1,A,transfer,1,,,,WH1,,", "a transfer's to_warehouse is its own warehouse"),
    ("2026-01-02,,,landed_cost,,,,,,R9,5", "names receipt 'R9', which no receipt before it has"),
    ("2026-01-02,,,landed_cost,,,,,,,5", "a landed_cost names its receipt in ref"),
    ("2026-01-02,,,landed_cost,,,,,,R1,", "a landed_cost needs a positive amount"),
    ("2026-01-02,,,landed_cost,,,,,,R1,-5", "a landed_cost needs a positive amount"),
    ("2026-01-02,,,landed_cost,3,,,,,R1,5", "a landed_cost takes no quantity"),
    ("2026-01-02,,,landed_cost,,,USD,,,R1,5", "amount is in the base currency CNY"),
    ("2026-01-02,,B,landed_cost,,,,,,R1,5", "receipt 'R1' has no line for any warehouse/B"),
    ("2026-13-01,WH1,A,issue,1,,,,,,", "date is not an ISO date or datetime: '2026-13-01'"),
    ("01/02/2026,WH1,A,issue,1,,,,,,", "date is not an ISO date or datetime: '01/02/2026'"),
    (",WH1,A,issue,1,,,,,,", "date is not an ISO date or datetime: ''"),
    ("2026-01-02,WH1,A,receipt,1,2,USD,,,,", "currency USD needs a rate (base CNY per one USD)"),
    ("2026-01-02,WH1,A,receipt,1,2,USD,0,,,", "rate must be positive, got '0'"),
    ("2026-01-02,WH1,A,receipt,1,2,,7.1,,,", "a cost in the base currency CNY takes no rate"),
    ("2026-01-02,WH1,A,receipt,1,2,dollars,1,,,", "currency is a 3-letter ISO 4217 code"),
    ("2026-01-02,WH1,A,issue,1,2,,,,,", "an issue takes no unit_cost"),
    ("2026-01-02,WH1,A,issue,1,,,,WH2,,", "an issue takes no to_warehouse"),
    ("2026-01-02,WH1,A,receipt,1,2,,,,,9", "a receipt takes no amount"),
    ("2026-01-02,,A,issue,1,,,,,,", "an issue needs a warehouse"),
    ("2026-01-02,WH1,,receipt,1,2,,,,,", "a receipt needs a sku"),
    ("2026-01-02,WH1,A,issue,1,,,,,,,extra", "12 cells, the header has 11"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_a_bad_row_is_refused_with_its_line(row: str, message: str) -> None:
    with pytest.raises(ReplayError) as caught:
        replay(csv_text(GOOD, row), Method.FIFO, "CNY")
    [(line, said)] = caught.value.errors
    assert line == 3 and message in said


def test_every_bad_row_is_named_in_line_order_and_nothing_is_valued() -> None:
    text = csv_text("2026-01-05,,,landed_cost,,,,,,NOPE,1",  # line 2, found while applying
                    GOOD, "2026-01-02,WH1,A,issue,x,,,,,,", "2026-01-03,WH1,A,issue,2,,,,,,",
                    "2026-01-04,WH1,A,teleport,1,,,,,,")
    status, out = command(text, "fifo", "CNY", as_json=True)
    assert status == 2
    assert [line.split(":")[0] for line in out.splitlines()] == ["line 2", "line 4", "line 6"]
    assert "{" not in out


def test_a_landed_cost_dated_before_its_receipt_is_refused() -> None:
    text = csv_text("2026-01-01,,,landed_cost,,,,,,R1,5", "2026-01-02,WH1,A,receipt,1,2,,,,R1,")
    with pytest.raises(ReplayError) as caught:
        replay(text, Method.AVCO, "CNY")
    assert caught.value.errors[0][0] == 2


def test_header_any_order_any_case_with_bom_blank_lines_and_missing_optional_columns() -> None:
    text = ("\ufeffKIND, Quantity ,SKU,Unit_Cost,Date,Warehouse,Ref\n"
            "receipt,10,A,2,2026-01-01,WH1,R1\n\n"
            "issue,4,A,,2026-01-02,WH1,\n")
    book = replay(text, Method.FIFO, "CNY").book
    [position] = book.positions()
    assert (position.quantity, position.value, book.cogs) == (6, 12, 8)
    # a blank line still counts: the bad row after it is line 4
    with pytest.raises(ReplayError) as caught:
        replay(text.replace("issue,4", "issue,-4"), Method.FIFO, "CNY")
    assert caught.value.errors[0][0] == 4


def test_short_rows_are_padded_with_empty_cells() -> None:
    book = replay(csv_text("2026-01-01,WH1,A,receipt,1,2", "2026-01-01,WH1,A,issue,1"),
                  Method.FIFO, "CNY").book
    assert book.cogs == 2


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers_right() -> None:
    text = csv_text('2026-01-01,WH1,A,receipt,1,2,,,,"R\n1",', "2026-01-02,WH1,A,issue,0,,,,,,")
    with pytest.raises(ReplayError) as caught:
        replay(text, Method.FIFO, "CNY")
    assert caught.value.errors[0][0] == 4


@pytest.mark.parametrize(("text", "message"), [
    ("", "line 1: the file is empty"),
    ("date,warehouse,sku,quantity\n", "line 1: missing column(s) kind"),
    (HEADER + ",kind\n", "line 1: column 'kind' twice"),
])
def test_a_bad_header_is_refused_as_line_1(text: str, message: str) -> None:
    status, out = command(text, "fifo", "CNY", as_json=True)
    assert status == 2 and out.startswith(message)


def test_a_bad_base_currency_is_refused() -> None:
    status, out = command(csv_text(GOOD), "fifo", "yuan", as_json=True)
    assert status == 2 and "3-letter ISO 4217" in out


def test_many_bad_rows_are_counted_past_the_first_hundred() -> None:
    status, out = command(csv_text(*["2026-01-01,WH1,A,issue,0,,,,,,"] * 120), "fifo", "CNY",
                          as_json=True)
    assert status == 2
    assert out.splitlines()[-1] == "... and 20 more bad rows"
