"""What a recall means for warehouse work: open pick steps of a recalled lot are cancelled (their
quantity backordered on the order line), a picker is refused a recalled lot or serial with the
recall's id, and an order holding picked stock of a recalled lot does not ship.

Rule kept here: work reads the open recalls (table `recalls`, migration 020, written by the
trace feature's recall) and changes only work rows; the stock itself is held by the recall's
ledger moves, so nothing here moves stock.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.work.pg.tasks import load_task, save_task
from cloud_hub.work.pg.waves import record_backorder
from cloud_hub.work.steps import Backorder, WorkTask
from protocol.tasks import StepState, TaskState

OPEN = (StepState.PENDING, StepState.PARTIAL)


def recalled_lots(conn: psycopg.Connection, warehouse: str,
                  skus: Iterable[str]) -> dict[tuple[str, str], str]:
    """(sku, lot) → the open recall holding it, for the SKUs named."""
    return {(s, lot): rid for s, lot, rid in conn.execute(
        "SELECT sku, lot, recall_id FROM recalls WHERE warehouse = %s AND state = 'open' "
        "AND lot <> '' AND sku = ANY(%s)", (warehouse, sorted(set(skus))))}


def recalled_serials(conn: psycopg.Connection, warehouse: str,
                     skus: Iterable[str]) -> dict[tuple[str, str], str]:
    """(sku, serial) → the open recall naming it, for the SKUs named."""
    return {(s, serial): rid for s, serial, rid in conn.execute(
        "SELECT sku, unnest(serials), recall_id FROM recalls WHERE warehouse = %s "
        "AND state = 'open' AND cardinality(serials) > 0 AND sku = ANY(%s)",
        (warehouse, sorted(set(skus))))}


def cancel_lot_picks(conn: psycopg.Connection, warehouse: str, sku: str, lot: str,
                     recall_id: str) -> list[dict[str, Any]]:
    """Cancel every open pick step of the lot in the warehouse: the step is skipped with the
    recall named in its task's note, what it still had to pick is backordered on its order
    line (as a short pick is), and a task left with nothing to do is cancelled. Returns the
    cancelled steps."""
    rows = conn.execute(
        "SELECT task_id FROM work_tasks WHERE warehouse = %s AND kind = 'pick' AND state IN "
        "('open','claimed','in_progress') AND EXISTS (SELECT 1 FROM jsonb_array_elements("
        "doc->'steps') s WHERE s->>'sku' = %s AND s->>'lot' = %s AND s->>'state' IN "
        "('pending','partial')) ORDER BY task_id FOR UPDATE", (warehouse, sku, lot)).fetchall()
    note = f"lot {lot} of {sku} is recalled ({recall_id}): its picks were cancelled"
    cancelled: list[dict[str, Any]] = []
    for (task_id,) in rows:
        work = load_task(conn, task_id)
        steps = []
        for step in work.task.steps:
            if step.sku == sku and (step.lot or "") == lot and step.state in OPEN:
                link = work.link(step.step_id)
                left = step.remaining_quantity or Decimal(0)
                if link.order_id is not None and link.line_no is not None and left > 0:
                    record_backorder(conn, Backorder(link.order_id, link.line_no, sku, left))
                cancelled.append({"task_id": task_id, "step_id": step.step_id,
                                  "order_id": link.order_id, "line_no": link.line_no,
                                  "location": step.location, "quantity": left})
                step = step.model_copy(update={"state": StepState.SKIPPED})
            steps.append(step)
        left_open = any(s.state in OPEN for s in steps)
        task = work.task.model_copy(update={
            "steps": tuple(steps), "note": note,
            "state": work.task.state if left_open else TaskState.CANCELLED})
        save_task(conn, WorkTask(task, work.links))
    return cancelled


def picked_not_shipped(conn: psycopg.Connection, warehouse: str, sku: str,
                       lot: str) -> list[dict[str, Any]]:
    """Picks of the lot lying in staging for an order not yet shipped: flagged (the stock is
    held where it lies; the order will not ship it until the recall is released)."""
    names = ("order_id", "line_no", "location", "quantity", "task_id")
    return [dict(zip(names, r, strict=True)) for r in conn.execute(
        "SELECT p.order_id, p.line_no, p.location, p.quantity, p.task_id FROM work_picks p "
        "JOIN work_orders o USING (order_id) WHERE o.warehouse = %s AND p.sku = %s "
        "AND p.lot = %s AND NOT p.shipped ORDER BY p.id", (warehouse, sku, lot))]
