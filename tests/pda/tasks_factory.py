"""Task fixtures for the PDA tests: tasks as the hub would send them (protocol.tasks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from protocol.events import UnitRef
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep

GTIN = "09506000134352"
OTHER_GTIN = "04006381333931"
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
In = Instruction

PICK = (In.GO_TO_LOCATION, In.SCAN_LOCATION, In.SCAN_ITEM, In.ENTER_QUANTITY)
PICK_LOT = (In.GO_TO_LOCATION, In.SCAN_LOCATION, In.SCAN_ITEM, In.ENTER_LOT, In.ENTER_QUANTITY)
RECEIVE = (In.SCAN_UNIT, In.SCAN_ITEM, In.ENTER_LOT, In.ENTER_QUANTITY)
PUTAWAY = (In.SCAN_UNIT, In.GO_TO_LOCATION, In.SCAN_BIN)
COUNT = (In.GO_TO_LOCATION, In.SCAN_LOCATION, In.SCAN_ITEM, In.ENTER_QUANTITY)


def step(n: int = 1, instructions: tuple[Instruction, ...] = PICK, **kw: object) -> TaskStep:
    base: dict[str, object] = {
        "step_id": f"s{n}", "sequence": n, "instructions": instructions,
        "location": "A-01-02", "to_location": "STAGE-1", "sku": "SKU-1", "gtin": GTIN,
        "description": "Blue widget", "lot": None, "expected_quantity": Decimal(5),
        "remaining_quantity": Decimal(5)}
    base.update(kw)
    if base.get("blind"):
        base["expected_quantity"] = base["remaining_quantity"] = None
    return TaskStep.model_validate(base)


def task(kind: TaskKind = TaskKind.PICK, *steps: TaskStep, state: TaskState = TaskState.CLAIMED,
         assigned_to: str | None = "ann", task_id: str = "T1") -> Task:
    return Task(task_id=task_id, kind=kind, state=state, assigned_to=assigned_to,
                warehouse="WH1", created_at=NOW, reference="ORDER-7",
                steps=steps or (step(),))


UNIT = UnitRef(sscc="106141411234567897")
