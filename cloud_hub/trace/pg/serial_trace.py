"""A serial's trace: every move that named the serialised item, the moves of the units it was
packed in while it was in them (a pallet moved: the item moved), where it is now, its receipts
(supplier) and the orders that shipped it (customer, ship-to), and any `serial_two_places`
exception with both sightings. The same JSON shape as a lot's trace (trace/shape.py), subject
`serial`. One REPEATABLE READ snapshot; every read bounded.

Rules kept here: the serial's own sightings come from the serials projection (refreshed first,
work/pg/serials.py); a sighting by a unit move (the unit declared the serial in its contents)
puts the serial in that unit until its next sighting; backward is how it came in (receive steps
and arrivals from outside), forward everything after.
"""

from __future__ import annotations

from typing import Any

import psycopg

from cloud_hub.trace.model import Direction
from cloud_hub.trace.pg.to_whom import NO_CUSTOMER
from cloud_hub.trace.shape import when
from cloud_hub.work.pg import serials as serial_reads
from cloud_hub.work.pg.customers import customers_of_orders

MAX_SKUS = 50  # SKUs one serial code may name in a warehouse
MAX_STEPS = 10_000
_STEP = """
SELECT m.seq, m.event_id::text, m.occurred_at, m.reason, m.unit_key, m.sku IS NULL AS by_unit,
       m.from_location, m.to_location, m.stock_status, m.payload->>'to_status', m.user_id,
       m.task_id, s.lot
  FROM serial_sightings s JOIN moves m ON m.event_id = s.event_id AND m.occurred_at = s.occurred_at
 WHERE s.sku = %s AND s.serial = %s AND s.warehouse = %s ORDER BY s.seq LIMIT %s"""
_UNIT_MOVES = """
SELECT seq, event_id::text, occurred_at, reason, unit_key, true, from_location, to_location,
       stock_status, payload->>'to_status', user_id, task_id
  FROM moves WHERE unit_key = %s AND sku IS NULL AND seq > %s AND seq < %s AND warehouse = %s
 ORDER BY seq LIMIT %s"""


def serial_trace(conn: psycopg.Connection, warehouse: str, serial: str, sku: str | None,
                 direction: Direction) -> dict[str, Any] | None:
    """The serial's trace in the warehouse (all SKUs with that serial unless `sku`); None when
    the warehouse's ledger never saw it."""
    serial_reads.current(conn)
    fresh = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if fresh:  # inside a caller's transaction, its snapshot rules
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        skus = [r[0] for r in conn.execute(
            "SELECT DISTINCT sku FROM serial_sightings WHERE serial = %s AND warehouse = %s "
            "AND (%s::text IS NULL OR sku = %s) ORDER BY sku LIMIT %s",
            (serial, warehouse, sku, sku, MAX_SKUS))]
        if not skus:
            return None
        steps: list[dict[str, Any]] = []
        cut = False
        for one in skus:
            got, more = _steps(conn, warehouse, one, serial)
            steps += got
            cut |= more
        steps.sort(key=lambda s: (s["occurred_at"], s["seq"]))
        chosen = [s for s in steps if _wanted(s, direction)]
        return {"warehouse": warehouse, "subject": "serial", "serial": serial, "unit": None,
                "direction": str(direction),
                "lots": _lots(steps),
                "steps": chosen, "units": sorted({s["unit"] for s in steps if s["unit"]}),
                "now": _now(conn, warehouse, serial, skus),
                **_work(conn, warehouse, chosen),
                "picks": [], "page": {"total_steps": len(chosen), "limit": MAX_STEPS,
                                      "next_offset": None},
                "truncated": cut, "notes": [],
                "exceptions": _exceptions(conn, warehouse, serial, skus)}


def _steps(conn: psycopg.Connection, warehouse: str, sku: str,
           serial: str) -> tuple[list[dict[str, Any]], bool]:
    rows = conn.execute(_STEP, (sku, serial, warehouse, MAX_STEPS + 1)).fetchall()
    cut = len(rows) > MAX_STEPS
    rows = rows[:MAX_STEPS]
    out: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        lot = row[12]
        out.append(_step(row[:12], sku, lot, via_unit=bool(row[5])))
        if row[5] and row[4] and row[7] is not None:  # packed in that unit until next sighting
            until = rows[i + 1][0] if i + 1 < len(rows) else 2**62
            for moved in conn.execute(_UNIT_MOVES, (row[4], row[0], until, warehouse,
                                                    MAX_STEPS + 1)):
                out.append(_step(moved, sku, lot, via_unit=True))
    return out, cut


def _step(row: Any, sku: str, lot: str, *, via_unit: bool) -> dict[str, Any]:
    seq, event_id, at, reason, unit, _by_unit, frm, to, status, to_status, user, task = row
    kind, _, ref = (task or "").partition(":")
    return {"seq": seq, "event_id": event_id, "occurred_at": when(at), "kind": reason,
            "sku": sku, "lot": lot, "quantity": 1, "unit": unit, "via_unit": via_unit,
            "from_location": frm, "to_location": to, "status": status, "to_status": to_status,
            "user": user, "receipt": ref if kind == "receipt" else None,
            "order": ref if kind == "ship" else None}


def _wanted(step: dict[str, Any], direction: Direction) -> bool:
    came_in = step["kind"] == "receive" or step["from_location"] is None
    return direction is Direction.BOTH or (direction is Direction.BACKWARD) == came_in


def _lots(steps: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"sku": s, "lot": lot} for s, lot in sorted({(x["sku"], x["lot"]) for x in steps})]


def _now(conn: psycopg.Connection, warehouse: str, serial: str,
         skus: list[str]) -> dict[str, Any]:
    rows = conn.execute(
        "SELECT s.sku, s.lot, coalesce(u.location, s.location), s.unit_key, "
        "(SELECT coalesce(m.payload->>'to_status', m.stock_status) FROM moves m "
        "WHERE m.event_id = s.last_event LIMIT 1) FROM serials s LEFT JOIN units u "
        "ON u.unit_key = s.unit_key WHERE s.serial = %s AND s.sku = ANY(%s) "
        "AND s.warehouse = %s ORDER BY s.sku", (serial, skus, warehouse)).fetchall()
    held = [{"sku": sku, "lot": lot, "status": status or "available", "quantity": 1,
             "location": loc, "unit": unit} for sku, lot, loc, unit, status in rows
            if loc is not None]
    return {"on_hand": len(held), "at_locations": [h for h in held if h["unit"] is None],
            "in_units": [h for h in held if h["unit"] is not None]}


def _work(conn: psycopg.Connection, warehouse: str,
          steps: list[dict[str, Any]]) -> dict[str, Any]:
    receipts = sorted({s["receipt"] for s in steps if s["receipt"]})
    orders = sorted({s["order"] for s in steps if s["order"]})
    who = customers_of_orders(conn, orders)
    return {
        "receipts": [{"receipt_id": r, "supplier": sup, "dock": dock, "state": st,
                      "expected": []} for r, sup, dock, st in conn.execute(
            "SELECT receipt_id, supplier, dock, state FROM work_receipts WHERE receipt_id = "
            "ANY(%s) AND warehouse = %s ORDER BY receipt_id", (receipts, warehouse))],
        "orders": [{"order_id": o, "kind": kind, "state": st, "carrier": carrier,
                    **who.get(o, NO_CUSTOMER)} for o, kind, st, carrier in conn.execute(
            "SELECT order_id, kind, state, carrier FROM work_orders WHERE order_id = ANY(%s) "
            "AND warehouse = %s ORDER BY order_id", (orders, warehouse))]}


def _exceptions(conn: psycopg.Connection, warehouse: str, serial: str,
                skus: list[str]) -> list[dict[str, Any]]:
    """Open exceptions of the serial (`serial_two_places`: both sightings in `detail`) whose
    sightings all lie in this warehouse (GET /api/v1/lots/exceptions shows the others to a
    caller who may see every warehouse they name)."""
    return [{"exception_id": eid, "kind": kind, "sku": sku, "detail": detail,
             "opened_at": when(at)} for eid, kind, sku, detail, at in conn.execute(
        "SELECT exception_id, kind, sku, detail, opened_at FROM lot_exceptions "
        "WHERE serial = %s AND sku = ANY(%s) AND resolved_at IS NULL "
        "AND warehouses <@ ARRAY[%s]::text[] ORDER BY exception_id", (serial, skus, warehouse))]
