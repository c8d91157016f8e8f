"""A recall's report, read after its moves committed: what was received (receipts, supplier),
what is on hand where (location, unit, quantity, status), what was shipped to which customer on
which order, and what the recall did to open work (picks cancelled, picks flagged).

A lot's report is its trace (trace/pg/report.py); a recall by serials reads each serial's
sightings (work/pg/serials.py) instead: its receipt, its shipment, where it lies now.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.trace.model import MAX_STEPS, Direction, Limits
from cloud_hub.trace.pg.recall import Done, Subject
from cloud_hub.trace.pg.report import trace_report
from cloud_hub.trace.recall import StatusPlan, received, shipped_by_order
from cloud_hub.trace.shape import number, report_json, when
from cloud_hub.work.pg import serials as serial_reads
from cloud_hub.work.pg.customers import customers_of_orders
from cloud_hub.work.pg.recalls import picked_not_shipped

_RECALL = ("SELECT state, reason, created_by, created_at, closed_by, closed_at, close_reason "
           "FROM recalls WHERE recall_id = %s")
_SIGHTINGS = """
SELECT s.serial, s.reason, m.task_id, s.occurred_at FROM serial_sightings s
  JOIN moves m ON m.event_id = s.event_id AND m.occurred_at = s.occurred_at
 WHERE s.sku = %s AND s.serial = ANY(%s) AND s.warehouse = %s
   AND s.reason IN ('receive', 'ship') ORDER BY s.seq"""
# A serial now: where it lies and the status its last move left it in.
_NOW = """
SELECT s.serial, s.lot, coalesce(u.location, s.location), s.unit_key,
       (SELECT coalesce(m.payload->>'to_status', m.stock_status) FROM moves m
         WHERE m.event_id = s.last_event LIMIT 1)
  FROM serials s LEFT JOIN units u ON u.unit_key = s.unit_key
 WHERE s.sku = %s AND s.serial = ANY(%s) AND s.warehouse = %s ORDER BY s.serial"""


def recall_json(pool: Any, recall_id: str, done: Done) -> dict[str, Any]:
    """The report of a recall step (`done`): the recall, what the step changed, the story."""
    subject = done.subject
    with pool.connection() as conn:
        head = _head(conn, recall_id, subject)
        story = _lot_story(conn, subject) if subject.lot else _serial_story(conn, subject)
    plan = done.plan
    return {**head, "quantity": number(plan.quantity),
            "move_ids": [str(m.event_id) for m in plan.moves],
            "whole_units": list(plan.whole_units), "taken_out_of_units": list(plan.taken_out_of),
            "cancelled_picks": [{**p, "quantity": number(p["quantity"])}
                                for p in done.cancelled_picks],
            "missing_serials": list(done.missing_serials), **story}


def read_recall(pool: Any, recall_id: str) -> dict[str, Any] | None:
    """A recall as it stands now (nothing changed): its head and its story."""
    with pool.connection() as conn:
        row = conn.execute("SELECT warehouse, sku, lot, serials FROM recalls "
                           "WHERE recall_id = %s", (recall_id,)).fetchone()
    if row is None:
        return None
    subject = Subject(row[0], row[1], row[2], tuple(row[3]))
    return recall_json(pool, recall_id, Done(StatusPlan((), (), (), Decimal(0)), subject))


def _head(conn: psycopg.Connection, recall_id: str, subject: Subject) -> dict[str, Any]:
    row = conn.execute(_RECALL, (recall_id,)).fetchone()
    assert row is not None
    return _listed(recall_id, subject, *row)


def _listed(recall_id: str, subject: Subject, state: str, reason: str, by: str, at: datetime,
            closed_by: str | None, closed_at: datetime | None,
            close_reason: str | None) -> dict[str, Any]:
    return {"recall_id": recall_id, "warehouse": subject.warehouse, "sku": subject.sku,
            "lot": subject.lot or None, "serials": list(subject.serials), "state": state,
            "reason": reason, "created_by": by, "created_at": when(at), "closed_by": closed_by,
            "closed_at": when(closed_at) if closed_at else None, "close_reason": close_reason}


def list_of(conn: psycopg.Connection, warehouse: str, state: str | None, limit: int,
            offset: int) -> list[dict[str, Any]]:
    """A warehouse's recalls, newest first, without their stories."""
    rows = conn.execute(
        "SELECT recall_id, sku, lot, serials, state, reason, created_by, created_at, closed_by, "
        "closed_at, close_reason FROM recalls WHERE warehouse = %s AND (%s::text IS NULL OR "
        "state = %s) ORDER BY created_at DESC, recall_id LIMIT %s OFFSET %s",
        (warehouse, state, state, limit, offset)).fetchall()
    return [_listed(rid, Subject(warehouse, sku, lot, tuple(serials)), *rest)
            for rid, sku, lot, serials, *rest in rows]


def _shipped(conn: psycopg.Connection, by_order: dict[str, Decimal]) -> list[dict[str, Any]]:
    carriers: dict[str, str] = dict(conn.execute("SELECT order_id, carrier FROM work_orders "
                                 "WHERE order_id = ANY(%s)", (sorted(by_order),)).fetchall())
    who = customers_of_orders(conn, by_order)
    return [{"order_id": order, "quantity": number(qty), "carrier": carriers.get(order),
             "customer_id": who.get(order, {}).get("customer_id"),
             "customer": who.get(order, {}).get("customer"),
             "ship_to": who.get(order, {}).get("ship_to")}
            for order, qty in sorted(by_order.items())]


def _lot_story(conn: psycopg.Connection, subject: Subject) -> dict[str, Any]:
    report = trace_report(conn, subject.warehouse, lot=subject.lot, sku=subject.sku,
                          direction=Direction.BOTH, limits=Limits(steps=MAX_STEPS))
    assert report is not None
    shape = report_json(report, MAX_STEPS)
    return {"received": number(received(report)), "receipts": shape["receipts"],
            "now": shape["now"], "shipped": _shipped(conn, shipped_by_order(report)),
            "flagged_picks": [{**p, "quantity": number(p["quantity"])} for p in
                              picked_not_shipped(conn, subject.warehouse, subject.sku,
                                                 subject.lot)],
            "truncated": shape["truncated"] or shape["page"]["next_offset"] is not None}


def _serial_story(conn: psycopg.Connection, subject: Subject) -> dict[str, Any]:
    serial_reads.current(conn)  # the recall's own moves included
    names = list(subject.serials)
    receipts: dict[str, int] = {}
    by_order: dict[str, Decimal] = {}
    for _serial, reason, task, _at in conn.execute(
            _SIGHTINGS, (subject.sku, names, subject.warehouse)):
        kind, _, ref = (task or "").partition(":")
        if reason == "receive":
            receipt = ref if kind == "receipt" else ""
            receipts[receipt] = receipts.get(receipt, 0) + 1
        elif reason == "ship":
            order = ref if kind == "ship" else ""
            by_order[order] = by_order.get(order, Decimal(0)) + 1
    holdings = [{"sku": subject.sku, "lot": lot, "serial": serial, "status": status,
                 "quantity": 1, "location": loc, "unit": unit}
                for serial, lot, loc, unit, status in conn.execute(
                    _NOW, (subject.sku, names, subject.warehouse)) if loc is not None]
    rows = conn.execute("SELECT receipt_id, supplier, dock, state FROM work_receipts "
                        "WHERE receipt_id = ANY(%s) ORDER BY receipt_id",
                        (sorted(receipts),)).fetchall()
    return {"received": sum(receipts.values()),
            "receipts": [{"receipt_id": r, "supplier": s, "dock": d, "state": st,
                          "expected": []} for r, s, d, st in rows],
            "now": {"on_hand": len(holdings), "at_locations": holdings, "in_units": []},
            "shipped": _shipped(conn, by_order), "flagged_picks": [], "truncated": False}
