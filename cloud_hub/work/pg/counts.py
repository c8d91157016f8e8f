"""Cycle counts in PostgreSQL: count tasks with a snapshot, the count's outcome against the
ledger, supervisor approval or recount, and accuracy per location.

Rule kept here: the expected quantity is the ledger balance now minus every move that
happened after the counter counted (by occurred_at), so moves made while the count ran,
even ones that reach the hub late, are accounted for.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.work.counts import (
    CountAction,
    CountOutcome,
    CountRequest,
    MoveDelta,
    VarianceRule,
    evaluate,
    plan_by_class,
)
from cloud_hub.work.model import ZERO
from cloud_hub.work.pg.tasks import TaskConflict, TaskNotFound, insert_task
from cloud_hub.work.steps import Counted, StepLink, WorkTask
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep

COUNT_PROMPTS = (Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION, Instruction.SCAN_ITEM,
                 Instruction.ENTER_QUANTITY)


def _balance(conn: psycopg.Connection, location: str, sku: str, lot: str) -> Decimal:
    row = conn.execute("SELECT quantity FROM balances WHERE location = %s AND sku = %s AND "
                       "lot = %s AND status = 'available'", (location, sku, lot)).fetchone()
    return row[0] if row else ZERO


def create_count_task(conn: psycopg.Connection, *, task_id: str, warehouse: str,
                      request: CountRequest, blind: bool, now: datetime,
                      priority: int = 0) -> str | None:
    """One task per location: a step per SKU+lot the ledger has there (or the SKU asked for,
    even when the ledger says none), each with a snapshot of the balance."""
    if conn.execute("SELECT 1 FROM work_tasks WHERE task_id = %s", (task_id,)).fetchone():
        return None
    rows = conn.execute("SELECT sku, lot, quantity FROM balances WHERE location = %s AND "
                        "status = 'available' AND (%s::text IS NULL OR sku = %s) ORDER BY sku, lot",
                        (request.location, request.sku, request.sku)).fetchall()
    if not rows and request.sku is not None:
        rows = [(request.sku, "", ZERO)]
    if not rows:
        return None
    steps, links = [], {}
    for i, (sku, lot, qty) in enumerate(rows, start=1):
        sid = str(i)
        steps.append(TaskStep(
            step_id=sid, sequence=i, instructions=COUNT_PROMPTS, location=request.location,
            sku=sku, lot=lot or None, blind=blind,
            expected_quantity=None if blind else qty, remaining_quantity=None if blind else qty))
        links[sid] = StepLink(hidden_expected=qty if blind else None)
        conn.execute("INSERT INTO work_counts (task_id, step_id, warehouse, location, sku, lot, "
                     "snapshot, snapshot_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                     (task_id, sid, warehouse, request.location, sku, lot, qty, now))
    insert_task(conn, WorkTask(Task(
        task_id=task_id, kind=TaskKind.COUNT, state=TaskState.OPEN, warehouse=warehouse,
        created_at=now, priority=priority, reference=request.why, steps=tuple(steps)), links))
    return task_id


def _deltas_after(conn: psycopg.Connection, location: str, sku: str, lot: str,
                  after: datetime) -> list[MoveDelta]:
    rows = conn.execute(
        "SELECT occurred_at, CASE WHEN to_location = %s THEN quantity ELSE -quantity END "
        "FROM moves WHERE (from_location = %s OR to_location = %s) AND sku = %s AND lot = %s "
        "AND stock_status = 'available' AND quantity IS NOT NULL AND occurred_at > %s "
        "AND from_location IS DISTINCT FROM to_location",
        (location, location, location, sku, lot, after)).fetchall()
    return [MoveDelta(t, q) for t, q in rows]


def count_outcome(conn: psycopg.Connection, task: Task, counted: Counted, *, user: str,
                  counted_at: datetime, rule: VarianceRule) -> CountOutcome:
    """Expected = balance now − moves after the count; record and classify the variance."""
    now_qty = _balance(conn, counted.location, counted.sku, counted.lot)
    later = sum((m.delta for m in _deltas_after(conn, counted.location, counted.sku,
                                                  counted.lot, counted_at)), ZERO)
    outcome = evaluate(now_qty - later, counted.counted, rule)
    state = {CountAction.NONE: "posted", CountAction.ADJUST: "posted",
             CountAction.REVIEW: "review"}[outcome.action]
    conn.execute(
        "INSERT INTO work_counts (task_id, step_id, warehouse, location, sku, lot, snapshot, "
        "snapshot_at) VALUES (%s,%s,%s,%s,%s,%s,0,%s) ON CONFLICT DO NOTHING",
        (task.task_id, counted.step_id, task.warehouse, counted.location, counted.sku,
         counted.lot, counted_at))
    conn.execute(
        "UPDATE work_counts SET counted = %s, counted_at = %s, counted_by = %s, expected = %s, "
        "variance = %s, action = %s, state = %s WHERE task_id = %s AND step_id = %s",
        (outcome.counted, counted_at, user, outcome.expected, outcome.variance,
         str(outcome.action), state, task.task_id, counted.step_id))
    return outcome


def adjustment(*, event_id: Any, warehouse: str, location: str, sku: str, lot: str,
               variance: Decimal, occurred_at: datetime, user: str, device_id: str,
               task_id: str, reason: Reason) -> StockMoved:
    """The move that makes the ledger agree with what was counted."""
    item = ItemLine(sku=sku, lot=lot or None, quantity=abs(variance))
    found_more = variance > ZERO
    return StockMoved(event_id=event_id, occurred_at=occurred_at, warehouse=warehouse,
                      source=Source(kind=SourceKind.PDA, device_id=device_id), item=item,
                      from_location=None if found_more else location,
                      to_location=location if found_more else None, reason=reason,
                      task_id=task_id, user=user)


def pending_review(conn: psycopg.Connection, warehouse: str) -> list[dict[str, Any]]:
    names = ("task_id", "step_id", "location", "sku", "lot", "expected", "counted", "variance",
             "counted_by", "counted_at")
    rows = conn.execute(f"SELECT {', '.join(names)} FROM work_counts WHERE warehouse = %s AND "
                        "state = 'review' ORDER BY counted_at", (warehouse,)).fetchall()
    return [dict(zip(names, r, strict=True)) for r in rows]


def take_review(conn: psycopg.Connection, task_id: str, step_id: str,
                decision: str, supervisor: str) -> tuple[str, str, str, str, Decimal]:
    """Lock a count awaiting review and mark it decided: (warehouse, location, sku, lot,
    variance)."""
    row = conn.execute("SELECT warehouse, location, sku, lot, variance, state FROM work_counts "
                       "WHERE task_id = %s AND step_id = %s FOR UPDATE",
                       (task_id, step_id)).fetchone()
    if row is None:
        raise TaskNotFound(f"count {task_id}/{step_id}")
    if row[5] != "review":
        raise TaskConflict(f"count {task_id}/{step_id} is {row[5]}, not awaiting review")
    conn.execute("UPDATE work_counts SET state = %s, decided_by = %s WHERE task_id = %s AND "
                 "step_id = %s", (decision, supervisor, task_id, step_id))
    return row[0], row[1], row[2], row[3], row[4]


def accuracy_by_location(conn: psycopg.Connection, warehouse: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT location, count(*), count(*) FILTER (WHERE variance = 0), "
        "sum(abs(variance)), max(counted_at) FROM work_counts WHERE warehouse = %s AND "
        "counted IS NOT NULL GROUP BY location ORDER BY location", (warehouse,)).fetchall()
    return [{"location": loc, "counts": n, "exact": exact,
             "accuracy": float(Decimal(exact) / Decimal(n)), "abs_variance": absvar,
             "last_counted_at": last} for loc, n, exact, absvar, last in rows]


def due_by_class(conn: psycopg.Connection, warehouse: str, classes: dict[str, str],
                 today: date) -> Sequence[CountRequest]:
    where: dict[str, list[str]] = {}
    for loc, sku in conn.execute("SELECT DISTINCT location, sku FROM balances WHERE "
                                 "warehouse = %s AND sku = ANY(%s)", (warehouse, list(classes))):
        where.setdefault(sku, []).append(loc)
    last = {(loc, sku): t.date() for loc, sku, t in conn.execute(
        "SELECT location, sku, max(counted_at) FROM work_counts WHERE warehouse = %s AND "
        "counted_at IS NOT NULL GROUP BY location, sku", (warehouse,))}
    return plan_by_class(classes, where, last, today)
