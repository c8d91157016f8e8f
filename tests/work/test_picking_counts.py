"""Waves, FEFO/FIFO lot choice, serpentine walking order, ATP and cycle-count rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cloud_hub.work.counts import (
    CountAction,
    MoveDelta,
    VarianceRule,
    accuracy,
    evaluate,
    expected_at,
    plan_by_class,
    plan_by_location,
)
from cloud_hub.work.model import Bin, StockLine
from cloud_hub.work.orders import (
    Order,
    OrderLine,
    available_to_promise,
    on_hand_available,
    reserve_lines,
)
from cloud_hub.work.picking import (
    LotPolicy,
    WaveBy,
    WaveRule,
    allocate,
    index_stock,
    path_length,
    select_orders,
    walk_order,
)
from protocol.events import StockStatus

D = Decimal
TODAY = date(2026, 6, 1)
T0 = datetime(2026, 6, 1, 8, tzinfo=UTC)


def _stock(loc: str, lot: str, qty: int, expiry: date | None = None, days_ago: int = 0,
           status: StockStatus = StockStatus.AVAILABLE) -> StockLine:
    return StockLine(loc, "S", lot, D(qty), status, expiry, T0 - timedelta(days=days_ago))


STOCK = [
    _stock("B1", "late-exp-old", 10, date(2026, 12, 1), days_ago=30),
    _stock("B2", "early-exp-new", 10, date(2026, 7, 1), days_ago=1),
    _stock("B3", "expired", 10, date(2026, 5, 1), days_ago=60),
    _stock("B4", "quarantined", 10, date(2026, 6, 2), status=StockStatus.QUARANTINE),
]


@pytest.mark.parametrize(("policy", "qty", "want", "short"), [
    (LotPolicy.FEFO, 5, [("B2", "early-exp-new", 5)], D(0)),
    (LotPolicy.FIFO, 5, [("B1", "late-exp-old", 5)], D(0)),
    (LotPolicy.FEFO, 15, [("B2", "early-exp-new", 10), ("B1", "late-exp-old", 5)], D(0)),
    # expired and quarantined stock are never picked: 20 available, 25 asked
    (LotPolicy.FEFO, 25, [("B2", "early-exp-new", 10), ("B1", "late-exp-old", 10)], D(5)),
])
def test_lot_choice(policy, qty, want, short) -> None:
    order = Order("O1", "WH", (OrderLine(1, "S", D(qty)),))
    plan = allocate([order], index_stock(STOCK, policy, TODAY), {})
    got = sorted((p.location, p.lot, int(p.quantity)) for p in plan.lines)
    assert got == sorted(want)
    assert sum((s.quantity for s in plan.shortfalls), D(0)) == short


def test_two_orders_never_take_the_same_units_twice() -> None:
    orders = [Order(f"O{i}", "WH", (OrderLine(1, "S", D(8)),)) for i in range(3)]
    plan = allocate(orders, index_stock(STOCK, LotPolicy.FEFO, TODAY), {})
    by_bin: dict[str, Decimal] = {}
    for p in plan.lines:
        by_bin[p.location] = by_bin.get(p.location, D(0)) + p.quantity
    assert by_bin == {"B1": D(10), "B2": D(10)}
    assert [(s.order_id, s.quantity) for s in plan.shortfalls] == [("O2", D(4))]


def test_serpentine_walk_alternates_direction_per_visited_aisle() -> None:
    bins = {f"{a}-{b}": Bin(f"{a}-{b}", "WH", x=a * 3.0, y=b * 1.0, aisle=a, bay=b)
            for a in (1, 2, 4) for b in range(1, 6)}
    stock = [StockLine(code, f"S{code}", "", D(1)) for code in bins]
    orders = [Order("O", "WH", tuple(OrderLine(i, f"S{c}", D(1))
                                      for i, c in enumerate(sorted(bins, reverse=True))))]
    plan = allocate(orders, index_stock(stock, LotPolicy.FIFO, TODAY), bins)
    walked = [p.location for p in plan.lines]
    assert walked == ([f"1-{b}" for b in range(1, 6)] + [f"2-{b}" for b in range(5, 0, -1)]
                      + [f"4-{b}" for b in range(1, 6)])
    naive = sorted(plan.lines, key=lambda p: p.location)
    assert path_length(plan.lines, bins) < path_length(naive, bins)
    assert walk_order([], bins) == []


def test_wave_selection() -> None:
    early, late = T0 + timedelta(hours=2), T0 + timedelta(hours=9)
    orders = [Order("O1", "WH", (OrderLine(1, "A", D(1)),), cutoff=late),
              Order("O2", "WH", (OrderLine(1, "B", D(1)),), cutoff=early),
              Order("O3", "WH", (OrderLine(1, "A", D(1)),), priority=5),
              Order("O4", "WH", (OrderLine(1, "A", D(1)), OrderLine(2, "B", D(1))))]
    by_cutoff = select_orders(orders, WaveRule(WaveBy.CUTOFF, 10, T0 + timedelta(hours=3)))
    assert [o.order_id for o in by_cutoff] == ["O2"]
    by_zone = select_orders(orders, WaveRule(WaveBy.ZONE, 10, zone="cold"),
                            {"A": "cold", "B": "ambient"})
    assert [o.order_id for o in by_zone] == ["O3", "O1"]
    assert [o.order_id for o in select_orders(orders, WaveRule(WaveBy.COUNT, 2))] == ["O3", "O1"]


def test_atp_excludes_quarantine_and_reserved() -> None:
    assert on_hand_available(STOCK) == {"S": D(30)}
    assert available_to_promise(D(30), D(12)) == D(18)
    assert available_to_promise(D(3), D(12)) == D(0)


@pytest.mark.parametrize(("atp", "partial", "want"), [
    ({"A": D(10), "B": D(10)}, True, [D(4), D(3), D(6)]),
    ({"A": D(5), "B": D(10)}, True, [D(4), D(3), D(1)]),
    ({"A": D(5), "B": D(10)}, False, [D(0), D(0), D(0)]),
    ({}, True, [D(0), D(0), D(0)]),
])
def test_reserve_lines_share_atp_per_sku(atp, partial, want) -> None:
    order = Order("O", "WH", (OrderLine(1, "A", D(4)), OrderLine(2, "B", D(3)),
                              OrderLine(3, "A", D(6))))
    assert [r.reserved for r in reserve_lines(order, atp, allow_partial=partial)] == want


def test_counts_planned_by_abc_class_and_location() -> None:
    classes = {"A1": "A", "B1": "B", "C1": "C"}
    where = {"A1": ["L1", "L2"], "B1": ["L3"], "C1": ["L4"]}
    last = {("L1", "A1"): TODAY - timedelta(days=10), ("L2", "A1"): TODAY - timedelta(days=31),
            ("L3", "B1"): TODAY - timedelta(days=60), ("L4", "C1"): TODAY - timedelta(days=400)}
    due = plan_by_class(classes, where, last, TODAY)
    assert [(c.location, c.sku, c.why) for c in due] == [("L2", "A1", "abc:A"),
                                                          ("L4", "C1", "abc:C")]
    assert [c.location for c in plan_by_location(
        {"X": timedelta(days=7), "Y": timedelta(days=7), "Z": timedelta(days=7)},
        {"X": TODAY - timedelta(days=3), "Y": TODAY - timedelta(days=8)}, TODAY)] == ["Y", "Z"]


def test_moves_during_a_count_are_accounted_for() -> None:
    moves = [MoveDelta(T0 + timedelta(minutes=5), D(-3)),   # picked after snapshot, before count
             MoveDelta(T0 + timedelta(minutes=20), D(10)),  # put away after the count
             MoveDelta(T0 - timedelta(minutes=5), D(7))]    # already in the snapshot
    assert expected_at(D(20), T0, moves, T0 + timedelta(minutes=10)) == D(17)


@pytest.mark.parametrize(("expected", "counted", "action"), [
    (D(100), D(100), CountAction.NONE),
    (D(100), D(98), CountAction.ADJUST),   # within 2 units
    (D(100), D(96), CountAction.ADJUST),   # within 5 %
    (D(100), D(90), CountAction.REVIEW),
    (D(0), D(5), CountAction.REVIEW),
    (D(10), D(12), CountAction.ADJUST),
])
def test_variance_threshold(expected, counted, action) -> None:
    assert evaluate(expected, counted, VarianceRule()).action is action


def test_accuracy() -> None:
    rule = VarianceRule()
    assert accuracy([]) is None
    assert accuracy([evaluate(D(5), D(5), rule), evaluate(D(5), D(4), rule)]) == D("0.5")


def test_allocation_never_exceeds_stock_and_accounts_for_every_unit() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    lots = st.lists(st.tuples(st.sampled_from(["B1", "B2", "B3"]), st.sampled_from("SX"),
                              st.integers(0, 20), st.integers(-5, 30)), max_size=12)
    asks = st.lists(st.tuples(st.sampled_from("SXZ"), st.integers(1, 25)), min_size=1,
                    max_size=6)

    @settings(max_examples=150, deadline=None)
    @given(lots, asks)
    def check(stock_rows: list[tuple[str, str, int, int]], lines: list[tuple[str, int]]) -> None:
        stock = [StockLine(loc, sku, f"L{i}", D(q), expiry=TODAY + timedelta(days=d))
                 for i, (loc, sku, q, d) in enumerate(stock_rows)]
        orders = [Order(f"O{i}", "WH", (OrderLine(1, sku, D(q)),))
                  for i, (sku, q) in enumerate(lines)]
        plan = allocate(orders, index_stock(stock, LotPolicy.FEFO, TODAY), {})
        for s in stock:  # never more out of a lot than it holds, never an expired lot
            taken = sum((p.quantity for p in plan.lines if (p.location, p.lot) ==
                         (s.location, s.lot)), D(0))
            assert taken <= s.quantity
            assert taken == 0 or (s.expiry is not None and s.expiry >= TODAY)
        for o in orders:  # every unit asked is either picked or reported short
            picked = sum((p.quantity for p in plan.lines if p.order_id == o.order_id), D(0))
            short = sum((f.quantity for f in plan.shortfalls if f.order_id == o.order_id), D(0))
            assert picked + short == o.lines[0].quantity

    check()
