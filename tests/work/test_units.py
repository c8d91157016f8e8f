"""Receiving and picking in any of a SKU's units: a quantity keyed in boxes, or the scan of a
box's or pallet's GTIN, is booked in base units; what is not a whole base unit is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from cloud_hub.catalog.uom import Conversion, resolve
from cloud_hub.work.steps import ConfirmContext, StepLink, WorkTask
from cloud_hub.work.taskflow import confirm
from protocol.tasks import (
    Instruction,
    ResultCode,
    StepConfirmation,
    Task,
    TaskKind,
    TaskState,
    TaskStep,
)

D = Decimal
NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
UNITS = resolve("EA", [Conversion("MILK", "BOX", D(12), None, "14006381333938"),
                       Conversion("MILK", "PAL", D(40), "BOX", "24006381333935")])
LEVELS = {u.gtin: u for u in UNITS.values() if u.gtin}
CTX = ConfirmContext(user="ann", today=date(2026, 6, 1),
                     gtins={g: "MILK" for g in LEVELS}, levels=LEVELS, units={"MILK": UNITS})


def _work(kind: TaskKind, expected: int) -> WorkTask:
    step = TaskStep(step_id="s1", sequence=1, location="A-01" if kind is TaskKind.PICK
                    else "DOCK", to_location="STAGE" if kind is TaskKind.PICK else None,
                    sku="MILK", expected_quantity=D(expected), remaining_quantity=D(expected),
                    instructions=(Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY))
    task = Task(task_id="T1", kind=kind, state=TaskState.CLAIMED, assigned_to="ann",
                warehouse="WH", created_at=NOW, steps=(step,))
    return WorkTask(task, {"s1": StepLink()})


def _conf(**kw: object) -> StepConfirmation:
    base: dict[str, object] = dict(idempotency_key=uuid.UUID(int=9), task_id="T1", step_id="s1",
                                   scanned_location="A-01", scanned_sku="MILK",
                                   occurred_at=NOW, device_id="pda-1")
    base.update(kw)
    return StepConfirmation(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("change", "booked"), [
    ({"quantity": D(24)}, 24),
    ({"quantity": D(2), "uom": "BOX"}, 24),
    ({"quantity": D("0.5"), "uom": "BOX"}, 6),
    ({"scanned_sku": None, "scanned_gtin": "14006381333938"}, 12),  # one box scanned
    ({"scanned_sku": None, "scanned_gtin": "14006381333938", "quantity": D(3)}, 36),
])
def test_a_pick_in_any_unit_is_booked_in_base_units(change: dict[str, object],
                                                    booked: int) -> None:
    decision = confirm(_work(TaskKind.PICK, 48), _conf(**change), CTX)
    assert decision.result.accepted, decision.result.message
    (move,) = decision.moves
    assert move.item is not None and (move.item.quantity, move.item.uom) == (D(booked), "EA")
    assert decision.result.remaining_quantity == D(48 - booked)


@pytest.mark.parametrize(("change", "reason"), [
    ({"quantity": D("0.1"), "uom": "BOX"}, "not a whole number"),
    ({"quantity": D(1), "uom": "CASE"}, "not one of this SKU's units"),
    ({"quantity": D(2), "uom": "PAL"}, "too many"),  # 960 EA, 48 remain
])
def test_what_is_not_whole_or_not_a_unit_is_refused(change: dict[str, object],
                                                    reason: str) -> None:
    decision = confirm(_work(TaskKind.PICK, 48), _conf(**change), CTX)
    assert not decision.result.accepted and decision.moves == ()
    assert reason in decision.result.message


def test_receiving_a_scanned_pallet_gtin_books_480() -> None:
    decision = confirm(_work(TaskKind.RECEIVE, 480),
                       _conf(scanned_location=None, scanned_sku=None,
                             scanned_gtin="24006381333935"), CTX)
    assert decision.result.code is ResultCode.OK, decision.result.message
    (move,) = decision.moves
    assert move.item is not None and move.item.quantity == D(480)
