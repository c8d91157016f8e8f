"""Waves, pick tasks, pick results and shipping in PostgreSQL.

Rule kept here: a wave only picks what its orders have reserved, never stock already promised
to an open pick step; shipping moves exactly what was picked out of staging, once (event ids
derive from the pick rows, so repeating a shipment applies nothing twice).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.ledger.pg.apply import Posting
from cloud_hub.webhooks.model import EventType
from cloud_hub.webhooks.pg import store as webhooks
from cloud_hub.work.model import ZERO, BinKind, StockLine
from cloud_hub.work.orders import Order, OrderLine
from cloud_hub.work.pg import lots
from cloud_hub.work.pg.apply import apply_moves
from cloud_hub.work.pg.master import load_bins, load_pickable
from cloud_hub.work.pg.tasks import TaskConflict, TaskNotFound, insert_task
from cloud_hub.work.picking import (
    LotPolicy,
    PickLine,
    WaveRule,
    allocate,
    index_stock,
    select_orders,
)
from cloud_hub.work.steps import Backorder, Picked, StepLink, WorkTask
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep

PICK_PROMPTS = (Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION, Instruction.SCAN_ITEM,
                Instruction.ENTER_QUANTITY)
_Place = tuple[str, str, str]  # location, sku, lot
# An order's unshipped picks of a lot an open recall holds (migration 020's `recalls`).
RECALLED_PICKS = """
SELECT DISTINCT p.sku, p.lot, r.recall_id FROM work_picks p JOIN work_orders o USING (order_id)
  JOIN recalls r ON r.warehouse = o.warehouse AND r.sku = p.sku AND r.lot = p.lot
 WHERE p.order_id = %s AND NOT p.shipped AND r.lot <> '' AND r.state = 'open' ORDER BY 1, 2"""


def _open_allocations(conn: psycopg.Connection, warehouse: str) -> dict[_Place, Decimal]:
    """(location, sku, lot) → quantity still to be picked by open pick steps."""
    held: dict[_Place, Decimal] = defaultdict(lambda: ZERO)
    for (doc,) in conn.execute("SELECT doc FROM work_tasks WHERE warehouse = %s AND kind = 'pick' "
                               "AND state IN ('open','claimed','in_progress')", (warehouse,)):
        for step in Task.model_validate(doc).steps:
            if step.state in ("pending", "partial") and step.remaining_quantity:
                held[(step.location or "", step.sku or "", step.lot or "")] += \
                    step.remaining_quantity
    return held


def _free_stock(stock: Sequence[StockLine],
                held: dict[_Place, Decimal]) -> list[StockLine]:
    left = dict(held)
    out: list[StockLine] = []
    for line in stock:
        key = (line.location, line.sku, line.lot)
        take = min(left.get(key, ZERO), line.quantity)
        left[key] = left.get(key, ZERO) - take
        if line.quantity - take > ZERO:
            out.append(replace(line, quantity=line.quantity - take))
    return out


def _reserved_orders(conn: psycopg.Connection, warehouse: str) -> list[Order]:
    rows = conn.execute(
        "SELECT o.order_id, o.carrier, o.cutoff, o.priority, o.kind, l.line_no, l.sku, "
        "l.reserved - l.picked FROM work_orders o JOIN work_order_lines l USING (order_id) "
        "WHERE o.warehouse = %s AND o.state IN ('open','reserved') AND l.open "
        "AND l.reserved > l.picked ORDER BY o.order_id, l.line_no", (warehouse,)).fetchall()
    heads: dict[str, tuple[Any, ...]] = {}
    lines: dict[str, list[OrderLine]] = defaultdict(list)
    for oid, carrier, cutoff, prio, kind, n, sku, qty in rows:
        heads[oid] = (carrier, cutoff, prio, kind)
        lines[oid].append(OrderLine(n, sku, qty))
    return [Order(oid, warehouse, tuple(lines[oid]), h[0], h[1], h[2], h[3])
            for oid, h in heads.items()]


def build_wave(conn: psycopg.Connection, *, wave_id: str, warehouse: str, rule: WaveRule,
               policy: LotPolicy, staging: str | None, today: date, now: datetime,
               lines_per_task: int = 40, zone_of: dict[str, str] | None = None) -> dict[str, Any]:
    """Release reserved orders into a wave: pick tasks in walking order, FEFO/FIFO lots."""
    lots.catch_up(conn)  # lot expiry is read from the projection plus its tail: keep it short
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:wave:' || %s))",
                     (warehouse,))
        if conn.execute("SELECT 1 FROM work_waves WHERE wave_id = %s", (wave_id,)).fetchone():
            raise TaskConflict(f"wave {wave_id} exists")
        bins = load_bins(conn, warehouse)
        drop = staging or next((b.code for b in sorted(bins.values(), key=lambda b: b.code)
                                if b.kind is BinKind.STAGING), None)
        if drop is None or drop not in bins:
            raise TaskNotFound(f"no staging location in warehouse {warehouse}")
        orders = select_orders(_reserved_orders(conn, warehouse), rule, zone_of)
        skus = {ln.sku for o in orders for ln in o.lines}
        stock = _free_stock(load_pickable(conn, warehouse, skus),
                            _open_allocations(conn, warehouse))
        plan = allocate(orders, index_stock(stock, policy, today), bins)
        task_ids = _pick_tasks(conn, wave_id, warehouse, plan.lines, drop, now, lines_per_task)
        conn.cursor().executemany(
            "UPDATE work_orders SET state = 'released', wave_id = %s WHERE order_id = %s",
            [(wave_id, o.order_id) for o in orders])
        shortfalls = [{"order_id": s.order_id, "line_no": s.line_no, "sku": s.sku,
                       "quantity": float(s.quantity)} for s in plan.shortfalls]
        conn.execute("INSERT INTO work_waves (wave_id, warehouse, rule, shortfalls) "
                     "VALUES (%s, %s, %s, %s)",
                     (wave_id, warehouse, Jsonb({"by": str(rule.by), "max_orders": rule.max_orders,
                                                 "policy": str(policy)}), Jsonb(shortfalls)))
    return {"wave_id": wave_id, "orders": [o.order_id for o in orders], "task_ids": task_ids,
            "lines": len(plan.lines), "shortfalls": shortfalls, "staging": drop}


def _pick_tasks(conn: psycopg.Connection, wave_id: str, warehouse: str,
                lines: Sequence[PickLine], drop: str, now: datetime, per_task: int) -> list[str]:
    ids: list[str] = []
    for n, start in enumerate(range(0, len(lines), max(1, per_task))):
        chunk = lines[start:start + per_task]
        task_id = f"{wave_id}-{n + 1}"
        steps, links = [], {}
        for i, pl in enumerate(chunk, start=1):
            sid = f"{i}"
            steps.append(TaskStep(step_id=sid, sequence=i, instructions=PICK_PROMPTS,
                                  location=pl.location, to_location=drop, sku=pl.sku,
                                  lot=pl.lot or None, expiry=pl.expiry,
                                  expected_quantity=pl.quantity, remaining_quantity=pl.quantity))
            links[sid] = StepLink(order_id=pl.order_id, line_no=pl.line_no, unit_key=pl.unit_key)
        task = Task(task_id=task_id, kind=TaskKind.PICK, state=TaskState.OPEN,
                    warehouse=warehouse, created_at=now, reference=wave_id, steps=tuple(steps))
        insert_task(conn, WorkTask(task, links))
        ids.append(task_id)
    return ids


def record_picked(conn: psycopg.Connection, picked: Picked, task_id: str) -> None:
    conn.execute("INSERT INTO work_picks (order_id, line_no, sku, lot, location, quantity, "
                 "task_id) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                 (picked.order_id, picked.line_no, picked.sku, picked.lot, picked.location,
                  picked.quantity, task_id))
    conn.execute("UPDATE work_order_lines SET picked = picked + %s WHERE order_id = %s AND "
                 "line_no = %s", (picked.quantity, picked.order_id, picked.line_no))
    _maybe_picked(conn, picked.order_id)


def record_backorder(conn: psycopg.Connection, back: Backorder) -> None:
    """The missing quantity is no longer held (it is not there): reservation shrinks,
    the line remembers the backorder."""
    conn.execute("UPDATE work_order_lines SET backordered = backordered + %s, "
                 "reserved = GREATEST(0, reserved - %s) WHERE order_id = %s AND line_no = %s",
                 (back.quantity, back.quantity, back.order_id, back.line_no))
    _maybe_picked(conn, back.order_id)


def _maybe_picked(conn: psycopg.Connection, order_id: str) -> None:
    conn.execute("UPDATE work_orders SET state = 'picked' WHERE order_id = %s AND state = "
                 "'released' AND NOT EXISTS (SELECT 1 FROM work_order_lines WHERE order_id = %s "
                 "AND open AND picked < reserved)", (order_id, order_id))


def ship_order(posting: Posting, order_id: str, *, occurred_at: datetime, user: str,
               device_id: str, source_kind: SourceKind = SourceKind.SYSTEM,
               read_point: str | None = None) -> list[StockMoved]:
    """Everything picked for the order leaves through the outbound door (a portal pass or a
    manual dispatch); the order is shipped and its lines stop holding stock."""
    conn = posting.conn
    with conn.transaction():
        row = conn.execute("SELECT warehouse, state, customer_id, ship_to FROM work_orders "
                           "WHERE order_id = %s FOR UPDATE", (order_id,)).fetchone()
        if row is None:
            raise TaskNotFound(f"order {order_id}")
        warehouse, state, customer, ship_to = row
        # shipment moves say to whom the stock went (trace forward, the recall report)
        to_whom = {"customer": customer, "ship_to": ship_to} if customer else {}
        if state == "shipped":
            return []
        if state not in ("picked", "released"):
            raise TaskConflict(f"order {order_id} is {state}; pick it first")
        held = conn.execute(RECALLED_PICKS, (order_id,)).fetchall()
        if held:
            raise TaskConflict(f"order {order_id} holds recalled stock (" + ", ".join(
                f"lot {lot} of {sku}: {rid}" for sku, lot, rid in held) + "); take it off the "
                "order or release the recall before shipping")
        picks = conn.execute("SELECT id, line_no, sku, lot, location, quantity FROM work_picks "
                             "WHERE order_id = %s AND NOT shipped ORDER BY id",
                             (order_id,)).fetchall()
        moves = [StockMoved(
            event_id=uuid5(NAMESPACE_URL, f"stockpulse:ship:{order_id}:{pid}"),
            occurred_at=occurred_at, warehouse=warehouse,
            source=Source(kind=source_kind, device_id=device_id, read_point=read_point),
            item=ItemLine(sku=sku, lot=lot or None, quantity=qty), from_location=loc,
            to_location=None, reason=Reason.SHIP, task_id=f"ship:{order_id}", user=user,
            **to_whom)
            for pid, _n, sku, lot, loc, qty in picks]
        apply_moves(posting, moves, f"work:{user}")
        conn.execute("UPDATE work_picks SET shipped = true WHERE order_id = %s", (order_id,))
        conn.execute("UPDATE work_order_lines SET shipped = picked, open = false "
                     "WHERE order_id = %s", (order_id,))
        conn.execute("UPDATE work_orders SET state = 'shipped' WHERE order_id = %s", (order_id,))
        webhooks.enqueue(conn, EventType.ORDER_SHIPPED, f"msg_order_shipped_{order_id}",
                         occurred_at, {
                             "order_id": order_id, "warehouse": warehouse, **to_whom,
                             "lines": [{"sku": m.item.sku, "lot": m.item.lot,  # type: ignore[union-attr]
                                        "quantity": m.item.quantity,  # type: ignore[union-attr]
                                        "from_location": m.from_location} for m in moves]},
                         warehouse=warehouse, locations=tuple(m.from_location for m in moves))
        return moves
