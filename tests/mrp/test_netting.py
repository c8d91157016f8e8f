"""MRP records computed by hand (the textbook layout: gross, scheduled receipts, projected
available, net, planned receipts and releases), multi-level with phantoms and effectivity,
pegging and exception messages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cloud_hub.mrp.bom import BomError, Boms, Component, Revision
from cloud_hub.mrp.lots import LotRule, Sizing
from cloud_hub.mrp.netting import (
    Action,
    Demand,
    Horizon,
    Message,
    Peg,
    Planning,
    ScheduledReceipt,
    Source,
    pegging_gaps,
    plan,
)

H8 = Horizon(date(2027, 1, 4), buckets=8)
GROSS = [10, 40, 10, 0, 0, 30, 0, 20]


def ds(values: list[int]) -> tuple[D, ...]:
    return tuple(D(v) for v in values)


def one_item(p: Planning, receipts: tuple[ScheduledReceipt, ...] = ()):  # type: ignore[no-untyped-def]
    demands = [Demand(f"SO{b}", p.item, b, D(q)) for b, q in enumerate(GROSS) if q]
    return plan(Boms([]), {p.item: p}, demands, receipts, H8)


def test_lot_for_lot_record() -> None:
    result = one_item(Planning("X", Source.BUY, lead_time=1, on_hand=D(20)),
                      (ScheduledReceipt("PO1", "X", 1, D(50)),))
    r = result.records["X"]
    assert r.gross == ds(GROSS)
    assert r.scheduled == ds([0, 50, 0, 0, 0, 0, 0, 0])
    assert r.projected == ds([10, 20, 10, 10, 10, 0, 0, 0])
    assert r.net == ds([0, 0, 0, 0, 0, 20, 0, 20])
    assert r.planned_receipts == ds([0, 0, 0, 0, 0, 20, 0, 20])
    assert r.planned_releases == ds([0, 0, 0, 0, 20, 0, 20, 0])
    assert [(o.id, o.source, o.due, o.release) for o in result.orders] == [
        ("X@5", Source.BUY, 5, 4), ("X@7", Source.BUY, 7, 6)]
    assert result.messages == ()


def test_fixed_lot_with_safety_stock_and_allocation_record() -> None:
    # 20 on hand, 5 allocated to an issued order, keep 5: 10 usable
    result = one_item(Planning("X", Source.MAKE, lead_time=2, on_hand=D(20), allocated=D(5),
                               safety_stock=D(5), lot=LotRule(Sizing.FIXED, quantity=D(50))))
    r = result.records["X"]
    assert r.net == ds([0, 40, 0, 0, 0, 30, 0, 0])
    assert r.planned_receipts == ds([0, 50, 0, 0, 0, 50, 0, 0])
    assert r.projected == ds([5, 15, 5, 5, 5, 25, 25, 5])
    assert r.past_due_releases == D(50)  # due in 1, released 2 buckets before: 1 bucket late
    assert r.planned_releases == ds([0, 0, 0, 50, 0, 0, 0, 0])
    first = result.orders[0]
    assert (first.source, first.past_due, first.net) == (Source.MAKE, True, D(40))
    # pegged first in, first out: the allocation, safety stock and SO0 take on hand first
    assert first.pegs == (Peg("SO1", D(40)), Peg("SO2", D(10)))
    assert result.orders[1].pegs == (Peg("SO5", D(30)), Peg("SO7", D(20)))
    assert result.messages == (Message("X", "X@1", Action.EXPEDITE, -1, 0),)
    assert pegging_gaps(result) == []


@pytest.mark.parametrize(("receipt", "message"), [
    (ScheduledReceipt("PO1", "X", 1, D(50)), None),  # needed in bucket 1: on time
    (ScheduledReceipt("PO1", "X", 0, D(50)), Message("X", "PO1", Action.DEFER, 0, 1)),
    (ScheduledReceipt("PO1", "X", 3, D(50)), Message("X", "PO1", Action.EXPEDITE, 3, 1)),
])
def test_a_scheduled_receipt_is_checked_against_when_it_is_needed(
        receipt: ScheduledReceipt, message: Message | None) -> None:
    result = one_item(Planning("X", Source.BUY, on_hand=D(20)), (receipt,))
    assert [m for m in result.messages if m.order == "PO1"] == ([message] if message else [])


def test_a_scheduled_receipt_not_needed_in_the_horizon_is_cancelled() -> None:
    result = one_item(Planning("X", Source.BUY, on_hand=D(200)),
                      (ScheduledReceipt("PO9", "X", 2, D(10)),))
    assert result.messages == (Message("X", "PO9", Action.CANCEL, 2, None),)
    assert result.orders == ()


def two_levels() -> Boms:
    """A = 2 B + 1 KIT (phantom: 3 D, 2 % scrap) — B = 4 D from 2027-02-01 (rev 2), before: 1 E."""
    return Boms([
        Revision("A", "1", (Component("B", D(2)), Component("KIT", D(1)))),
        Revision("KIT", "1", (Component("D", D(3), D("0.02")),)),
        Revision("B", "1", (Component("E", D(1)),), None, date(2027, 2, 1)),
        Revision("B", "2", (Component("D", D(4)),), date(2027, 2, 1), None),
    ], phantoms=["KIT"])


def test_dependent_demand_through_levels_phantoms_and_effectivity() -> None:
    items = {"A": Planning("A", Source.MAKE, lead_time=1),
             "B": Planning("B", Source.MAKE, lead_time=2, on_hand=D(5)),
             "D": Planning("D", Source.BUY, lead_time=1),
             "E": Planning("E", Source.BUY, lead_time=1)}
    demands = [Demand("SO-1", "A", 5, D(10))]
    result = plan(two_levels(), items, demands, [], H8)
    orders = {o.id: o for o in result.orders}
    assert set(orders) == {"A@5", "B@4", "D@4", "E@2"}
    # A: 10 due 5, released 4 (2027-02-01: B's rev 2 is effective then)
    assert (orders["A@5"].release, orders["A@5"].pegs) == (4, (Peg("SO-1", D(10)),))
    # B: 20 needed in 4, 5 on hand → 15, released in 2: B's components follow B's own release
    # day, 2027-01-18, when rev 1 (→ E) is effective, not rev 2 (→ D)
    assert (orders["B@4"].quantity, orders["B@4"].release) == (D(15), 2)
    assert orders["B@4"].pegs == (Peg("A@5", D(15)),)
    # D: 30.6 through the phantom in bucket 4, pegged to A's order; KIT is never planned
    assert orders["D@4"].quantity == D("30.6") and orders["D@4"].pegs == (Peg("A@5", D("30.6")),)
    assert "KIT" not in result.records
    assert result.records["E"].gross[2] == D(15)
    assert pegging_gaps(result) == []


def test_an_item_without_planning_data_or_a_demand_outside_the_horizon_is_refused() -> None:
    with pytest.raises(BomError, match="no planning data for D, E"):
        plan(two_levels(), {"A": Planning("A", Source.MAKE), "B": Planning("B", Source.MAKE)},
             [], [], H8)
    with pytest.raises(BomError, match=r"SO-9: bucket 8 is outside the horizon 0\.\.7"):
        plan(Boms([]), {"X": Planning("X", Source.BUY)}, [Demand("SO-9", "X", 8, D(1))], [], H8)
    with pytest.raises(BomError, match="PO-1: quantity must be > 0"):
        plan(Boms([]), {"X": Planning("X", Source.BUY)}, [],
             [ScheduledReceipt("PO-1", "X", 2, D(-5))], H8)


def test_split_orders_under_a_maximum_are_each_pegged() -> None:
    result = plan(Boms([]), {"X": Planning("X", Source.BUY, lot=LotRule(maximum=D(40)))},
                  [Demand("F1", "X", 3, D(50)), Demand("F2", "X", 3, D(45))], [], H8)
    assert [(o.id, o.quantity, o.net) for o in result.orders] == [
        ("X@3", D(40), D(40)), ("X@3#1", D(40), D(40)), ("X@3#2", D(15), D(15))]
    assert [o.pegs for o in result.orders] == [
        (Peg("F1", D(40)),), (Peg("F1", D(10)), Peg("F2", D(30))), (Peg("F2", D(15)),)]
