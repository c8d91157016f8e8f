"""The recall's moves, planned by trace/recall.py and folded by the ledger's pure core: a hold
turns exactly the lot's available stock into `recalled` (a pallet of it whole, its share of a
mixed pallet loose, loose stock), a release gives back exactly what was there, a scrap takes it
out; every other line is untouched and quantity is conserved."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cloud_hub.ledger import LedgerState, MoveStatus, StockKey, apply
from cloud_hub.trace.model import LotKey
from cloud_hub.trace.recall import Phase, SerialAt, Stamp, UnitShare, plan_lot, plan_serials
from protocol.events import ItemLine, StockStatus
from tests.ledger.factories import at, item_move, line, unit_move

LOT = LotKey("SKU-1", "L1")
FULL, MIXED = "340123450000000303", "340123450000000404"
A, R = StockStatus.AVAILABLE, StockStatus.RECALLED


def _stamp(phase: str = "") -> Stamp:
    return Stamp("RC-1", "WH1", at(100), "sam", "hub", f"because {phase}")


def _state(loose: int) -> LedgerState:
    state = LedgerState()
    moves = [unit_move(FULL, None, "BIN-A", contents=(line("SKU-1", 10),)),
             unit_move(MIXED, None, "BIN-B", contents=(line("SKU-1", 5), line("SKU-2", 3))),
             item_move("SKU-1", 2, None, "BIN-B", t=1)]
    if loose:
        moves.append(item_move("SKU-1", loose, None, "BIN-C", t=2))
    for move in moves:
        assert apply(state, move).status is MoveStatus.APPLIED
    return state


def _read(state: LedgerState, status: StockStatus) -> tuple[dict[str, Decimal],
                                                            list[UnitShare]]:
    """What recall.py's SQL reads: balances of the lot in `status`, and units holding it."""
    balances = {k.location: v for k, v in state.on_hand().items()
                if (k.sku, k.lot, k.status) == (*LOT, status)}
    units = []
    for key, unit in state.units.items():
        held = dict(unit.contents) if unit and unit.location else {}
        qty = sum((q for ck, q in held.items() if (ck.sku, ck.lot, ck.status) == (*LOT, status)),
                  Decimal(0))
        if qty and unit and unit.location:
            units.append(UnitShare(key, unit.location, qty, len(held) == 1))
    return balances, units


def _run(state: LedgerState, phase: Phase) -> Decimal:
    plan = plan_lot(_stamp(phase), phase, LOT, *_read(state, phase.from_status))
    for move in plan.moves:
        assert move.task_id == "recall:RC-1" and move.user == "sam"
        assert move.extras == {"reason_note": f"because {phase}"}
        outcome = apply(state, move)
        assert outcome.status is MoveStatus.APPLIED, outcome.reason
    return plan.quantity


@given(loose=st.integers(min_value=0, max_value=50))
def test_hold_then_release_gives_back_exactly_what_was_there(loose: int) -> None:
    state = _state(loose)
    before = state.on_hand()
    assert _run(state, Phase.HOLD) == 10 + 5 + 2 + loose
    after = state.on_hand()
    assert not any(k.status is A and (k.sku, k.lot) == LOT for k in after)
    assert sum(after.values()) == sum(before.values())  # conserved: only the status changed
    assert after[StockKey("BIN-B", "SKU-2", "L1", A)] == 3  # the other line is untouched
    assert state.units[f"sscc:{FULL}"].contents[0][0].status is R  # type: ignore[union-attr]
    assert _run(state, Phase.HOLD) == 0  # nothing left to hold
    assert _run(state, Phase.RELEASE) == 10 + 5 + 2 + loose
    assert state.on_hand() == before
    mixed = state.units[f"sscc:{MIXED}"]  # its share of the lot now lies loose beside it
    assert mixed is not None and [ck.sku for ck, _ in mixed.contents] == ["SKU-2"]


def test_scrap_takes_every_recalled_quantity_out_and_nothing_else() -> None:
    state = _state(4)
    _run(state, Phase.HOLD)
    assert _run(state, Phase.SCRAP) == 10 + 5 + 2 + 4
    assert state.on_hand() == {StockKey("BIN-B", "SKU-2", "L1", A): Decimal(3)}
    assert state.units[f"sscc:{FULL}"].location is None  # type: ignore[union-attr]


def test_serials_are_held_one_by_one_and_out_of_their_unit_first() -> None:
    state = LedgerState()
    apply(state, unit_move(FULL, None, "BIN-A", contents=(ItemLine(
        sku="SKU-1", lot="L1", serial="S-2", quantity=Decimal(1)), line("SKU-1", 4))))
    apply(state, item_move("SKU-1", 1, None, "BIN-C"))  # S-1, loose
    found = [SerialAt("SKU-1", "S-1", "L1", "BIN-C", None),
             SerialAt("SKU-1", "S-2", "L1", "BIN-A", f"sscc:{FULL}")]
    plan = plan_serials(_stamp(), Phase.HOLD, found)
    assert [m.item.serial for m in plan.moves if m.item] == ["S-1", "S-2"]
    assert plan.taken_out_of == (f"sscc:{FULL}",) and plan.quantity == 2
    for move in plan.moves:
        assert apply(state, move).status is MoveStatus.APPLIED
    assert state.on_hand()[StockKey("BIN-A", "SKU-1", "L1", R)] == 1
    assert state.on_hand()[StockKey("BIN-A", "SKU-1", "L1", A)] == 4
    assert state.on_hand()[StockKey("BIN-C", "SKU-1", "L1", R)] == 1
    back = plan_serials(_stamp(), Phase.SCRAP,
                        [SerialAt("SKU-1", "S-1", "L1", "BIN-C", None)])
    for move in back.moves:
        assert apply(state, move).status is MoveStatus.APPLIED
    assert StockKey("BIN-C", "SKU-1", "L1", R) not in state.on_hand()
