"""The pure ledger core: item and unit moves, rejections, late moves, conservation."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from cloud_hub.ledger import (
    LedgerState,
    LocationInfo,
    MoveStatus,
    NotLoaded,
    RejectCode,
    StockKey,
    apply,
    decide,
)
from protocol import StockStatus
from tests.ledger.factories import SITE, item_move, line, unit_move

AV = StockStatus.AVAILABLE


def site_state() -> LedgerState:
    locs = {c: LocationInfo(c, "WH1") for c in SITE}
    locs["OTHER-WH"] = LocationInfo("OTHER-WH", "WH2")
    return LedgerState(locations=locs)


def test_receive_then_transfer_moves_quantity() -> None:
    state = site_state()
    assert apply(state, item_move("SKU1", 10, None, "BIN-A")).status is MoveStatus.APPLIED
    assert apply(state, item_move("SKU1", 4, "BIN-A", "BIN-B")).status is MoveStatus.APPLIED
    assert state.on_hand() == {StockKey("BIN-A", "SKU1", "L1", AV): Decimal(6),
                               StockKey("BIN-B", "SKU1", "L1", AV): Decimal(4)}


@pytest.mark.parametrize(("move", "code"), [
    (item_move("SKU1", 1, "BIN-A", "BIN-B"), RejectCode.NEGATIVE_STOCK),
    (item_move("SKU1", 1, None, "NOWHERE"), RejectCode.UNKNOWN_LOCATION),
    (item_move("SKU1", 1, None, "OTHER-WH"), RejectCode.WRONG_WAREHOUSE),
    (item_move("SKU1", 1, "BIN-A", "BIN-B", unit={"sscc": "000000000000000017"}),
     RejectCode.UNKNOWN_UNIT),
])
def test_rejections_carry_a_code_and_change_nothing(move, code) -> None:  # type: ignore[no-untyped-def]
    state = site_state()
    outcome = apply(state, move)
    assert outcome.status is MoveStatus.REJECTED
    assert outcome.code == code and outcome.reason
    assert state.on_hand() == {} and state.units == {}


def test_unit_move_carries_contents_and_status() -> None:
    state = site_state()
    apply(state, unit_move("000000000000000017", None, "DOCK-1",
                           contents=(line("SKU1", 5), line("SKU2", 3))))
    apply(state, unit_move("000000000000000017", "DOCK-1", "BIN-C", t=10))
    assert state.on_hand() == {StockKey("BIN-C", "SKU1", "L1", AV): 5,
                               StockKey("BIN-C", "SKU2", "L1", AV): 3}
    unit = state.units["sscc:000000000000000017"]
    assert unit is not None and unit.location == "BIN-C"


def test_late_unit_move_does_not_pull_unit_back() -> None:
    state = site_state()
    apply(state, unit_move("000000000000000017", None, "DOCK-1", t=0, contents=(line("S", 1),)))
    apply(state, unit_move("000000000000000017", "DOCK-1", "BIN-B", t=20))
    late = apply(state, unit_move("000000000000000017", "DOCK-1", "BIN-A", t=10))
    assert late.status is MoveStatus.LATE
    assert state.units["sscc:000000000000000017"].location == "BIN-B"  # type: ignore[union-attr]
    assert state.on_hand() == {StockKey("BIN-B", "S", "L1", AV): 1}


def test_pick_from_a_unit_reduces_its_contents() -> None:
    state = site_state()
    apply(state, unit_move("000000000000000017", None, "BIN-A", contents=(line("S", 10),)))
    picked = apply(state, item_move("S", 4, "BIN-A", "DOCK-1",
                                    unit={"sscc": "000000000000000017"}))
    assert picked.status is MoveStatus.APPLIED
    unit = state.units["sscc:000000000000000017"]
    assert unit is not None and dict(unit.contents)[next(iter(dict(unit.contents)))] == 6
    over = apply(state, item_move("S", 7, "BIN-A", "DOCK-1", unit={"sscc": "000000000000000017"}))
    assert over.status is MoveStatus.REJECTED and over.code == RejectCode.NEGATIVE_STOCK


def test_a_unit_move_says_whether_it_replaced_stored_contents() -> None:
    """Adapters keep a unit's contents as rows: only a unit that held something has old rows
    to remove when its contents change."""
    state = site_state()
    sscc = "000000000000000017"
    arrived = apply(state, unit_move(sscc, None, "BIN-A", contents=(line("S", 2),)))
    assert arrived.contents_changed and not arrived.replaced_contents
    whole = apply(state, unit_move(sscc, "BIN-A", "BIN-B", t=1))
    assert not whole.contents_changed and not whole.replaced_contents
    emptied = apply(state, item_move("S", 2, "BIN-B", "DOCK-1", unit={"sscc": sscc}))
    assert emptied.contents_changed and emptied.replaced_contents
    refilled = apply(state, item_move("S", 1, "DOCK-1", "BIN-B", unit={"sscc": sscc}))
    assert refilled.contents_changed and not refilled.replaced_contents


def test_quarantine_release_changes_status_in_place() -> None:
    state = site_state()
    apply(state, item_move("S", 5, None, "BIN-A", to_status="quarantine"))
    apply(state, item_move("S", 5, "BIN-A", "BIN-A", status="quarantine",
                           to_status="available"))
    assert state.on_hand() == {StockKey("BIN-A", "S", "L1", AV): 5}


def test_a_move_to_the_place_it_came_from_needs_the_stock_and_changes_nothing() -> None:
    state = site_state()
    apply(state, item_move("S", 3, None, "BIN-A"))
    over = apply(state, item_move("S", 5, "BIN-A", "BIN-A"))
    assert over.status is MoveStatus.REJECTED and over.code == RejectCode.NEGATIVE_STOCK
    assert over.reason == "BIN-A holds 3 of S lot L1 (available); 5 cannot leave it"
    same = apply(state, item_move("S", 3, "BIN-A", "BIN-A"))
    assert same.status is MoveStatus.APPLIED and same.deltas == ()
    assert state.on_hand() == {StockKey("BIN-A", "S", "L1", AV): 3}


def test_partial_state_asks_for_rows_instead_of_guessing_zero() -> None:
    state = LedgerState(locations={c: LocationInfo(c, "WH1") for c in SITE}, complete=False)
    with pytest.raises(NotLoaded) as raised:
        decide(state, item_move("S", 1, "BIN-A", "BIN-B"))
    assert StockKey("BIN-A", "S", "L1", AV) in raised.value.stock


def test_random_moves_conserve_quantity_inside_the_warehouse() -> None:
    rng = random.Random(7)
    state = site_state()
    total = Decimal(0)
    for i in range(3000):
        frm = rng.choice([None, *SITE])
        to = rng.choice([None, *SITE]) if frm else rng.choice(SITE)
        qty = rng.randint(1, 20)
        outcome = apply(state, item_move(f"S{rng.randint(1, 5)}", qty, frm, to, t=i))
        if outcome.status is MoveStatus.APPLIED:
            total += (qty if frm is None else 0) - (qty if to is None else 0)
        assert all(v >= 0 for v in state.balances.values())
    assert sum(state.on_hand().values()) == total
