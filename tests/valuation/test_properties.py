"""Properties of the fold over random movement streams: value and quantity are conserved to the
cent, no layer ever holds negative value, FIFO and moving average agree on quantities."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.valuation.book import Book
from cloud_hub.valuation.model import ZERO, Kind, Method, Movement
from cloud_hub.valuation.stock import AvcoStock, FifoStock

T0 = datetime(2026, 1, 1)
WAREHOUSES = ("WH1", "WH2")
SKUS = ("A", "B")
quantities = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(20), places=1)
costs = st.decimals(min_value=Decimal(0), max_value=Decimal(50), places=3)


@st.composite
def streams(draw: st.DrawFn) -> list[Movement]:
    movements: list[Movement] = []
    refs: list[str] = []
    for key in range(2, draw(st.integers(1, 40)) + 2):
        kind = draw(st.sampled_from(list(Kind)))
        wh, sku = draw(st.sampled_from(WAREHOUSES)), draw(st.sampled_from(SKUS))
        at = T0 + timedelta(hours=key)
        if kind is Kind.LANDED_COST:
            if not refs:
                continue
            amount = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100),
                                      places=2))
            movements.append(Movement(key, at, "", "", kind, ref=draw(st.sampled_from(refs)),
                                      amount=amount))
            continue
        ref = None
        if kind is Kind.RECEIPT:
            ref = f"R{key}"
            refs.append(ref)
        other = next(w for w in WAREHOUSES if w != wh)
        foreign = kind is Kind.RECEIPT and draw(st.booleans())
        movements.append(Movement(
            key, at, wh, sku, kind, draw(quantities),
            draw(costs) if kind in (Kind.RECEIPT, Kind.ADJUST_IN) else None,
            "USD" if foreign else None, Decimal("7.1") if foreign else None,
            other if kind is Kind.TRANSFER else None, ref))
    return movements


def _inflow_value(book: Book, movements: list[Movement]) -> Decimal:
    return sum((book.base_value(m) if m.kind in (Kind.RECEIPT, Kind.ADJUST_IN)
                else m.amount or ZERO for m in movements
                if m.kind in (Kind.RECEIPT, Kind.ADJUST_IN, Kind.LANDED_COST)), ZERO)


@settings(max_examples=200, deadline=None)
@given(streams())
def test_value_and_quantity_are_conserved_and_never_negative(movements: list[Movement]) -> None:
    totals = {}
    for method in Method:
        book = Book(method, "CNY")
        entries = book.apply_all(movements)
        stock = sum((p.value for p in book.positions()), ZERO)
        assert stock + book.cogs + book.adjustments - book.outstanding_estimates() == \
            _inflow_value(book, movements)
        for h in book._holdings.values():
            if isinstance(h.stock, FifoStock):
                assert all(layer.quantity > 0 and layer.value >= 0 for layer in h.stock.layers)
            else:
                assert isinstance(h.stock, AvcoStock)
                assert h.stock.quantity >= 0 and h.stock.value >= 0
        # the entries add up to the positions
        by_entry: Counter[tuple[str, str]] = Counter()
        for e in entries:
            by_entry[(e.warehouse, e.sku)] += e.value  # type: ignore[assignment]
        for p in book.positions(include_zero=True):
            assert by_entry[(p.warehouse, p.sku)] == p.value
        assert sum((e.cogs for e in entries), ZERO) == book.cogs
        assert sum((e.adjustments for e in entries), ZERO) == book.adjustments
        totals[method] = {(p.warehouse, p.sku): p.quantity
                          for p in book.positions(include_zero=True)}
    expected: dict[tuple[str, str], Decimal] = {}
    for m in movements:
        sign = {Kind.RECEIPT: 1, Kind.ADJUST_IN: 1, Kind.ISSUE: -1, Kind.ADJUST_OUT: -1,
                Kind.TRANSFER: -1}.get(m.kind)
        if sign is None:
            continue
        here = (m.warehouse, m.sku)
        expected[here] = expected.get(here, ZERO) + sign * m.quantity
        if m.to_warehouse:
            key = (m.to_warehouse, m.sku)
            expected[key] = expected.get(key, ZERO) + m.quantity
    for method in Method:
        assert {k: v for k, v in totals[method].items() if v} == \
            {k: v for k, v in expected.items() if v}
