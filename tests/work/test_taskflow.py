"""The PDA task state machine: each confirmation case a picker can hit, table-driven."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cloud_hub.work.model import Bin
from cloud_hub.work.steps import Backorder, ConfirmContext, Counted, CountNeeded, StepLink, WorkTask
from cloud_hub.work.taskflow import confirm
from protocol.events import Reason, SourceKind, StockStatus, UnitRef
from protocol.tasks import (
    Instruction,
    ResultCode,
    StepConfirmation,
    StepState,
    Task,
    TaskKind,
    TaskState,
    TaskStep,
)

D = Decimal
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
CTX = ConfirmContext(user="ann", today=date(2026, 6, 1), gtins={"09506000134352": "SKU-1"},
                     bins={"A-01": Bin("A-01", "WH"), "A-02": Bin("A-02", "WH")})
PICK_STEP = TaskStep(step_id="s1", sequence=1, location="A-01", to_location="STAGE", sku="SKU-1",
                     lot="L1", expiry=date(2026, 9, 1), expected_quantity=D(5),
                     remaining_quantity=D(5),
                     instructions=(Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION,
                                   Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY))


def _task(kind: TaskKind, *steps: TaskStep, state: TaskState = TaskState.CLAIMED,
          who: str | None = "ann") -> Task:
    return Task(task_id="T1", kind=kind, state=state, assigned_to=who, warehouse="WH",
                created_at=NOW, steps=steps)


PICK = WorkTask(_task(TaskKind.PICK, PICK_STEP), {"s1": StepLink(order_id="O1", line_no=1)})


def _conf(**kw: object) -> StepConfirmation:
    base: dict[str, object] = dict(idempotency_key=uuid.UUID(int=7), task_id="T1", step_id="s1",
                                   scanned_location="A-01", scanned_sku="SKU-1", lot="L1",
                                   quantity=D(5), occurred_at=NOW, device_id="pda-1")
    base.update(kw)
    return StepConfirmation(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "code", "step_state"), [
    ({}, ResultCode.OK, StepState.DONE),
    ({"scanned_sku": None, "scanned_gtin": "09506000134352"}, ResultCode.OK, StepState.DONE),
    ({"scanned_location": "A-02"}, ResultCode.WRONG_LOCATION, StepState.PENDING),
    ({"scanned_sku": "SKU-9"}, ResultCode.WRONG_ITEM, StepState.PENDING),
    ({"lot": "L2"}, ResultCode.WRONG_LOT, StepState.PENDING),
    ({"quantity": D(6)}, ResultCode.QUANTITY_OVER, StepState.PENDING),
    ({"quantity": D(3)}, ResultCode.PARTIAL, StepState.PARTIAL),
    ({"quantity": D(3), "short": True}, ResultCode.SHORT_PICK, StepState.SHORT),
    ({"quantity": D(0)}, ResultCode.INVALID, StepState.PENDING),
    ({"quantity": None}, ResultCode.INVALID, StepState.PENDING),
    ({"step_id": "nope"}, ResultCode.UNKNOWN_STEP, None),
])
def test_pick_confirmations(change, code, step_state) -> None:
    decision = confirm(PICK, _conf(**change), CTX)
    assert decision.result.code is code
    assert decision.result.step_state is step_state
    if decision.result.status == "rejected":
        assert decision.moves == () and decision.task == PICK


def test_a_good_pick_moves_stock_to_staging_as_the_user() -> None:
    decision = confirm(PICK, _conf(), CTX)
    (move,) = decision.moves
    assert (move.from_location, move.to_location, move.reason) == ("A-01", "STAGE", Reason.PICK)
    assert (move.user, move.task_id, move.source.kind) == ("ann", "T1", SourceKind.PDA)
    assert move.item is not None and move.item.quantity == D(5) and move.item.lot == "L1"
    assert decision.task.task.state is TaskState.DONE
    assert decision.result.move_ids == (move.event_id,)
    # the same key always makes the same event id: a replay cannot double-apply
    assert confirm(PICK, _conf(), CTX).moves[0].event_id == move.event_id


def test_short_pick_backorders_and_asks_for_a_count() -> None:
    decision = confirm(PICK, _conf(quantity=D(2), short=True), CTX)
    backorder = next(e for e in decision.effects if isinstance(e, Backorder))
    count = next(e for e in decision.effects if isinstance(e, CountNeeded))
    assert (backorder.order_id, backorder.quantity) == ("O1", D(3))
    assert (count.location, count.sku) == ("A-01", "SKU-1")
    assert decision.result.follow_up_task_ids == (count.task_id,)


def test_expired_lot_is_refused() -> None:
    old = PICK_STEP.model_copy(update={"expiry": date(2026, 5, 31)})
    work = WorkTask(_task(TaskKind.PICK, old))
    assert confirm(work, _conf(), CTX).result.code is ResultCode.EXPIRED_LOT


@pytest.mark.parametrize(("state", "who", "code"), [
    (TaskState.CANCELLED, "ann", ResultCode.TASK_CANCELLED),
    (TaskState.CLAIMED, "bob", ResultCode.TASK_REASSIGNED),
    (TaskState.DONE, "ann", ResultCode.ALREADY_APPLIED),
    (TaskState.OPEN, None, ResultCode.OK),  # an unclaimed task is claimed by confirming it
])
def test_task_states(state, who, code) -> None:
    work = WorkTask(_task(TaskKind.PICK, PICK_STEP, state=state, who=who))
    result = confirm(work, _conf(), CTX)
    assert result.result.code is code
    if code is ResultCode.OK:
        assert result.task.task.assigned_to == "ann"


def test_second_confirmation_of_a_done_step_is_already_applied() -> None:
    first = confirm(PICK, _conf(quantity=D(5)), CTX)
    again = confirm(first.task, _conf(idempotency_key=uuid.uuid4()), CTX)
    assert again.result.code is ResultCode.ALREADY_APPLIED and again.moves == ()


PUT_STEP = TaskStep(step_id="s1", sequence=1, location="DOCK", to_location="A-01", sku="SKU-1",
                    expected_quantity=D(10), remaining_quantity=D(10),
                    unit=UnitRef(sscc="106141411234567897"),
                    instructions=(Instruction.SCAN_UNIT, Instruction.GO_TO_LOCATION,
                                  Instruction.SCAN_BIN))


@pytest.mark.parametrize(("ctx", "change", "code"), [
    (CTX, {"scanned_location": "A-01"}, ResultCode.OK),
    (CTX, {"scanned_location": "A-02"}, ResultCode.OVERRIDE_NOT_ALLOWED),
    (ConfirmContext("ann", CTX.today, may_override=True, bins=CTX.bins),
     {"scanned_location": "A-02", "override_reason": "A-01 blocked"}, ResultCode.OVERRIDDEN),
    (CTX, {"scanned_unit": UnitRef(sscc="106141411234567880")}, ResultCode.WRONG_UNIT),
])
def test_putaway_confirmations(ctx, change, code) -> None:
    work = WorkTask(_task(TaskKind.PUTAWAY, PUT_STEP))
    decision = confirm(work, _conf(**{"scanned_location": "A-01", **change}), ctx)
    assert decision.result.code is code
    if decision.result.accepted:
        (move,) = decision.moves
        assert move.unit == PUT_STEP.unit and move.to_location == change["scanned_location"]
        assert move.reason is Reason.PUTAWAY


def test_blind_count_hides_quantity_and_reports_what_was_counted() -> None:
    step = TaskStep(step_id="s1", sequence=1, location="A-01", sku="SKU-1", lot="L1", blind=True,
                    instructions=(Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION,
                                  Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY))
    work = WorkTask(_task(TaskKind.COUNT, step), {"s1": StepLink(hidden_expected=D(9))})
    decision = confirm(work, _conf(quantity=D(7)), CTX)
    assert decision.result.accepted and decision.result.remaining_quantity is None
    assert decision.effects == (Counted("s1", "A-01", "SKU-1", "L1", D(7)),)
    assert decision.moves == ()
    assert confirm(work, _conf(scanned_location="A-02"), CTX).result.code \
        is ResultCode.WRONG_LOCATION
    with pytest.raises(ValueError, match="blind"):
        TaskStep(step_id="x", sequence=1, blind=True, expected_quantity=D(1),
                 instructions=(Instruction.ENTER_QUANTITY,))


def test_receive_into_quarantine_flags_over_delivery() -> None:
    step = TaskStep(step_id="s1", sequence=1, location="DOCK", sku="SKU-1", lot="L1",
                    expected_quantity=D(10), remaining_quantity=D(10),
                    instructions=(Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY))
    work = WorkTask(_task(TaskKind.RECEIVE, step),
                    {"s1": StepLink(receipt_id="R1", receipt_line="1",
                                    to_status=StockStatus.QUARANTINE)})
    decision = confirm(work, _conf(scanned_location=None, quantity=D(12)), CTX)
    (move,) = decision.moves
    assert move.to_status is StockStatus.QUARANTINE and move.from_location is None
    assert "more than expected" in decision.result.message
    assert decision.result.step_state is StepState.DONE


def test_a_receipt_books_the_labels_expiry_and_one_item_per_serial() -> None:
    step = TaskStep(step_id="s1", sequence=1, location="DOCK", sku="SKU-1", lot="L1",
                    expiry=date(2027, 6, 30), expected_quantity=D(10), remaining_quantity=D(10),
                    instructions=(Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY))
    work = WorkTask(_task(TaskKind.RECEIVE, step), {"s1": StepLink(receipt_id="R1",
                                                                   receipt_line="1")})
    decision = confirm(work, _conf(scanned_location=None, quantity=D(1), serial="SN-1",
                                   expiry=date(2027, 5, 31)), CTX)
    (move,) = decision.moves
    assert move.item is not None
    assert (move.item.serial, move.item.expiry) == ("SN-1", date(2027, 5, 31))
    without = confirm(work, _conf(scanned_location=None, quantity=D(2)), CTX)
    assert without.moves[0].item is not None and without.moves[0].item.expiry == date(2027, 6, 30)
    many = confirm(work, _conf(scanned_location=None, quantity=D(3), serial="SN-2"), CTX)
    assert many.result.code is ResultCode.INVALID and "SN-2" in many.result.message
    assert many.moves == ()


def test_a_pick_flow_books_on_the_in_memory_ledger_once_however_often_it_is_confirmed() -> None:
    """The moves a task flow makes are ones the ledger applies: stock leaves the pick face for
    staging, a short pick books only what was taken, and a replayed confirmation (same key,
    same event id) is a duplicate the ledger counts once."""
    from cloud_hub.ledger.memory import InMemoryLedger
    from cloud_hub.ledger.state import MoveStatus
    from tests.ledger.factories import item_move

    ledger = InMemoryLedger({"A-01": "WH", "A-02": "WH", "STAGE": "WH"})
    opening = ledger.apply([item_move("SKU-1", 8, None, "A-01", lot="L1", wh="WH")])
    assert opening.applied == 1

    def on_hand() -> dict[str, Decimal]:
        return {k.location: q for k, q in ledger.balances("WH").items() if q}

    first = confirm(PICK, _conf(quantity=D(3)), CTX)
    assert ledger.apply(first.moves).applied == 1
    assert on_hand() == {"A-01": D(5), "STAGE": D(3)}

    replay = confirm(PICK, _conf(quantity=D(3)), CTX)  # the PDA resends after a lost answer
    again = ledger.apply(replay.moves)
    assert again.duplicates == tuple(m.event_id for m in first.moves) and again.applied == 0
    assert on_hand() == {"A-01": D(5), "STAGE": D(3)}

    rest = confirm(first.task, _conf(idempotency_key=uuid.UUID(int=8), quantity=D(1),
                                     short=True), CTX)
    result = ledger.apply(rest.moves)
    assert [o.status for o in result.outcomes] == [MoveStatus.APPLIED]
    assert on_hand() == {"A-01": D(4), "STAGE": D(4)}  # short: the rest stays to be counted
    assert len(ledger.history("WH")) == 3
