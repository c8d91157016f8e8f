"""Seeding a real hub for the PDA tests: a site, a SKU, stock on the shelf, a picker, a pick task.

Everything goes through the hub's REST API except the picker account and the task, which
use the hub's own store functions (the way an order release would create them).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.work.pg.tasks import insert_task
from cloud_hub.work.steps import WorkTask
from protocol import ItemLine, Source, StockMoved, encode_batch
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep
from tests.pda.tasks_factory import GTIN

PICKER = ("ann", "ann-password")
SITE = [{"code": code, "warehouse": "WH1", "kind": kind, "x": n, "y": 0}
        for n, (code, kind) in enumerate([("A-01-02", "bin"), ("A-02-01", "bin"),
                                          ("STAGE-1", "staging"), ("DOCK-1", "dock_door")])]
PICK = (Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION, Instruction.SCAN_ITEM,
        Instruction.ENTER_QUANTITY)
SHELF = {"A-01-02": 20, "A-02-01": 10}


def seed_site(base_url: str, admin_token: str, db_url: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as c:
        r = c.post("/api/v1/locations", json=SITE)
        assert r.status_code == 201, r.text
        r = c.post("/api/v1/skus", json={"sku": "SKU-1", "gtin": GTIN,
                                         "description": "Blue widget"})
        assert r.status_code == 201, r.text
        moves = [StockMoved(
            event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), warehouse="WH1",
            source=Source(kind="system", device_id="seed"),
            item=ItemLine(sku="SKU-1", lot="L1", quantity=Decimal(qty)), to_location=bin_,
            reason="receive") for bin_, qty in SHELF.items()]
        r = c.post("/api/v1/moves", content=encode_batch(moves))
        assert r.status_code == 200 and r.json()["applied"] == len(moves), r.text
    with connect(db_url) as conn:
        create_user(conn, PICKER[0], PICKER[1], ["picker"], ["WH1"])


def add_pick_task(db_url: str, task_id: str, lines: list[tuple[str, int]]) -> Task:
    """An open pick task: one step per (bin, quantity) of SKU-1 lot L1, dropped at STAGE-1."""
    steps = tuple(TaskStep(step_id=f"{task_id}-{n}", sequence=n, instructions=PICK,
                           location=bin_, to_location="STAGE-1", sku="SKU-1", gtin=GTIN,
                           description="Blue widget", lot="L1",
                           expected_quantity=Decimal(qty), remaining_quantity=Decimal(qty))
                  for n, (bin_, qty) in enumerate(lines, start=1))
    task = Task(task_id=task_id, kind=TaskKind.PICK, state=TaskState.OPEN, warehouse="WH1",
                created_at=datetime.now(UTC), reference=f"ORDER-{task_id}", steps=steps,
                priority=5)
    with connect(db_url) as conn:
        insert_task(conn, WorkTask(task))
    return task


def stock(base_url: str, token: str, location: str) -> Decimal:
    """On-hand SKU-1 at a location, as the hub's ledger says (GET /api/v1/stock)."""
    r = httpx.get(f"{base_url}/api/v1/stock", params={"location": location, "sku": "SKU-1"},
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
    r.raise_for_status()
    return sum((Decimal(str(row["quantity"])) for row in r.json()), Decimal(0))


def pick_moves(base_url: str, token: str, task_id: str) -> list[dict[str, object]]:
    """The ledger's move rows made by this task's confirmations, in ledger order."""
    r = httpx.get(f"{base_url}/api/v1/moves", params={"location": "STAGE-1", "limit": 1000},
                  headers={"Authorization": f"Bearer {token}"}, timeout=30)
    r.raise_for_status()
    rows = [row for row in r.json()["items"] if row.get("reason") == "pick"]
    return sorted(rows, key=lambda row: int(row["seq"]))


def add_task(db_url: str, task: Task) -> Task:
    with connect(db_url) as conn:
        insert_task(conn, WorkTask(task))
    return task


def set_task_state(db_url: str, task_id: str, state: TaskState,
                   assigned_to: str | None = None) -> None:
    """What the office does meanwhile (cancel a task, give it to someone else)."""
    from cloud_hub.work.pg.tasks import load_task, save_task

    with connect(db_url) as conn, conn.transaction():
        work = load_task(conn, task_id, lock=True)
        update: dict[str, object] = {"state": state}
        if assigned_to is not None:
            update["assigned_to"] = assigned_to
        save_task(conn, WorkTask(work.task.model_copy(update=update), work.links))
