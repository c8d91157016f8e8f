"""Ledger moves as valuation movements: which moves change value, and how a receipt without a
cost is valued (flagged, never zero silently)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from cloud_hub.valuation.book import Book
from cloud_hub.valuation.ledger import LedgerMove, kind_of, late_holdings, movement_of
from cloud_hub.valuation.model import Kind, Method

AT = datetime(2026, 3, 1)


def move(reason: str, src: str | None, dst: str | None, **kw: object) -> LedgerMove:
    return LedgerMove(7, AT, "A", "L1", Decimal(kw.pop("quantity", 5)),  # type: ignore[arg-type]
                      reason, src, dst, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("reason", "src", "dst", "kind"), [
    ("receive", None, "WH1", Kind.RECEIPT),
    ("count", None, "WH1", Kind.ADJUST_IN),
    ("adjust", None, "WH1", Kind.ADJUST_IN),
    ("ship", "WH1", None, Kind.ISSUE),
    ("pick", "WH1", None, Kind.ISSUE),
    ("count", "WH1", None, Kind.ADJUST_OUT),
    ("adjust", "WH1", None, Kind.ADJUST_OUT),
    ("transfer", "WH1", "WH2", Kind.TRANSFER),
    ("putaway", "WH1", "WH1", None),  # inside a warehouse: no value changes
    ("adjust", "WH1", "WH1", None),  # a status change in place
    ("sighting", None, None, None),
])
def test_which_moves_change_value(reason: str, src: str | None, dst: str | None,
                                  kind: Kind | None) -> None:
    assert kind_of(move(reason, src, dst)) == kind


def test_a_receipt_carries_its_line_cost_and_currency() -> None:
    book = Book(Method.FIFO, "CNY")
    m = movement_of(move("receive", None, "WH1", unit_cost=Decimal(2), currency="USD",
                         rate=Decimal("7.1")), book)
    assert m is not None and (m.kind, m.unit_cost, m.currency, m.rate, m.lot) == \
        (Kind.RECEIPT, 2, "USD", Decimal("7.1"), "L1")
    assert book.apply(m)[0].value == Decimal("71.00")
    assert book.reviews == []


def test_a_receipt_without_cost_takes_the_last_cost_then_the_standard_cost_and_is_flagged(
        ) -> None:
    book = Book(Method.AVCO, "CNY")
    first = movement_of(move("receive", None, "WH1", standard_cost=Decimal(3)), book)
    assert first is not None and first.unit_cost == 3
    book.apply(first)
    book.apply(movement_of(move("receive", None, "WH1", unit_cost=Decimal(4)), book))  # type: ignore[arg-type]
    later = movement_of(move("receive", None, "WH1"), book)
    assert later is not None and later.unit_cost == 4
    assert [r.reason for r in book.reviews] == [
        "receipt without a cost: valued at the SKU's standard cost (unit_value)",
        "receipt without a cost: valued at the last unit cost"]


def test_a_gain_with_no_cost_anywhere_is_flagged_at_zero() -> None:
    book = Book(Method.FIFO, "CNY")
    m = movement_of(move("count", None, "WH1"), book)
    assert m is not None and m.unit_cost == 0
    assert book.reviews[0].reason == "adjust_in without a cost: valued at 0: no cost is known"


def test_a_count_gain_at_the_last_cost_is_not_flagged() -> None:
    book = Book(Method.FIFO, "CNY")
    book.apply(movement_of(move("receive", None, "WH1", unit_cost=Decimal(2)), book))  # type: ignore[arg-type]
    m = movement_of(move("count", None, "WH1"), book)
    assert m is not None and m.unit_cost == 2 and book.reviews == []


def test_late_holdings_are_those_given_a_move_dated_before_one_they_valued() -> None:
    def at(day: int, sku: str = "A", src: str | None = None, dst: str | None = "WH1",
           seq: int = 0) -> LedgerMove:
        return LedgerMove(seq, AT + timedelta(days=day), sku, "", Decimal(1), "count", src, dst)

    stored = {("WH1", "A"): AT + timedelta(days=5)}
    moves = [at(6, seq=1), at(3, "B", seq=2), at(2, "B", seq=3), at(4, seq=4), at(1, seq=5),
             at(0, "C", "WH1", "WH2", seq=6)]  # a transfer is never late by itself
    late = late_holdings(moves, stored)
    assert {pair: m.seq for pair, m in late.items()} == {("WH1", "A"): 5, ("WH1", "B"): 3}
