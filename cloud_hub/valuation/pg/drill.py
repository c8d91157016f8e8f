"""Behind the report's figures: the valuation entries of one warehouse/SKU row with the moves
that made them, and the cost of goods issued per shipment move and per order.

Rule kept here: every figure is a sum of valuation_entries, like the report, so a row's
drill-down adds up to its movement (closing − opening) and the COGS here to the report's
`cogs`. An order is reached through its shipment moves' task (`ship:<order_id>`, written by
work/pg/waves.ship_order); an issue that no order shipped has no order. Pages are in
(occurred_at, move_seq, warehouse, sku) order and continue after the last row's key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

SHIP_TASK = "ship:"
Key = tuple[datetime, int, str, str]

_AFTER = """AND (%(at)s::timestamptz IS NULL OR (e.occurred_at, e.move_seq, e.warehouse, e.sku)
        > (%(at)s, %(seq)s::bigint, %(kwh)s::text, %(ksku)s::text))"""
_MOVES = f"""
SELECT e.occurred_at, e.move_seq, e.warehouse, e.sku, m.event_id, min(e.lot), min(e.kind),
       m.reason, m.task_id, sum(e.quantity), sum(e.value), sum(e.cogs), sum(e.adjustments)
  FROM valuation_entries e
       LEFT JOIN LATERAL (SELECT event_id, reason, task_id FROM moves
                           WHERE seq = e.move_seq LIMIT 1) m ON true
 WHERE e.sku = %(sku)s AND (%(wh)s::text IS NULL OR e.warehouse = %(wh)s)
   AND e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
   {_AFTER}
 GROUP BY e.occurred_at, e.move_seq, e.warehouse, e.sku, m.event_id, m.reason, m.task_id
 ORDER BY e.occurred_at, e.move_seq, e.warehouse, e.sku
 LIMIT %(limit)s
"""
MOVE_FIELDS = ("occurred_at", "move_seq", "warehouse", "sku", "event_id", "lot", "kind",
               "reason", "task_id", "quantity", "value", "cogs", "adjustments")

# Issues (kind 'issue': goods out to customers, valued into COGS) and their moves.
_ISSUES = """
  FROM valuation_entries e JOIN moves m ON m.seq = e.move_seq
 WHERE e.kind = 'issue' AND (%(wh)s::text IS NULL OR e.warehouse = %(wh)s)
   AND (%(sku)s::text IS NULL OR e.sku = %(sku)s)
   AND (%(seqs)s::bigint[] IS NULL OR e.move_seq = ANY(%(seqs)s))
   AND (%(start)s::timestamptz IS NULL OR e.occurred_at >= %(start)s)
   AND (%(end)s::timestamptz IS NULL OR e.occurred_at < %(end)s)
"""
_SHIPMENTS = f"""
SELECT e.occurred_at, e.move_seq, e.warehouse, e.sku, m.event_id, min(e.lot), m.task_id,
       -sum(e.quantity), sum(e.cogs)
{_ISSUES}
   {_AFTER}
 GROUP BY e.occurred_at, e.move_seq, e.warehouse, e.sku, m.event_id, m.task_id
 ORDER BY e.occurred_at, e.move_seq, e.warehouse, e.sku
 LIMIT %(limit)s
"""
_ORDERS = f"""
SELECT substr(m.task_id, {len(SHIP_TASK) + 1}), e.warehouse, count(DISTINCT e.move_seq),
       -sum(e.quantity), sum(e.cogs), min(e.occurred_at), max(e.occurred_at)
{_ISSUES}
   AND m.task_id LIKE '{SHIP_TASK}%%'
 GROUP BY 1, 2 ORDER BY 1, 2
"""
_TOTAL = f"SELECT count(DISTINCT e.move_seq), coalesce(-sum(e.quantity), 0), " \
         f"coalesce(sum(e.cogs), 0) {_ISSUES}"
SHIPMENT_FIELDS = ("occurred_at", "move_seq", "warehouse", "sku", "event_id", "lot", "order_id",
                   "quantity", "cogs")
ORDER_FIELDS = ("order_id", "warehouse", "shipments", "quantity", "cogs", "first_shipped_at",
                "last_shipped_at")


def _after(key: Key | None) -> dict[str, Any]:
    at, seq, wh, sku = key if key is not None else (None, None, None, None)
    return {"at": at, "seq": seq, "kwh": wh, "ksku": sku}


def report_moves(conn: psycopg.Connection, *, warehouse: str | None, sku: str,
                 start: datetime, end: datetime, after: Key | None, limit: int
                 ) -> list[dict[str, Any]]:
    """One row per move and warehouse: what the move did to the warehouse/SKU's quantity and
    value in [start, end), after the key `after`, at most `limit` rows."""
    params = {"sku": sku, "wh": warehouse, "start": start, "end": end, "limit": limit,
              **_after(after)}
    return [dict(zip(MOVE_FIELDS, row, strict=True)) for row in conn.execute(_MOVES, params)]


def cogs(conn: psycopg.Connection, *, warehouse: str | None, sku: str | None,
         order: str | None, start: datetime | None, end: datetime | None, after: Key | None,
         limit: int) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(totals, orders, a page of shipment moves): the cost of goods issued in [start, end)
    (either end open), of one order when `order` is given."""
    seqs = None
    if order is not None:  # its ship moves, found once (moves.task_id has no index)
        seqs = [seq for (seq,) in conn.execute(
            "SELECT seq FROM moves WHERE task_id = %s AND (%s::text IS NULL OR warehouse = %s)",
            (SHIP_TASK + order, warehouse, warehouse))]
    params = {"wh": warehouse, "sku": sku, "seqs": seqs, "start": start, "end": end,
              "limit": limit, **_after(after)}
    moves, quantity, value = conn.execute(_TOTAL, params).fetchone() or (0, 0, 0)
    totals = {"shipments": moves, "quantity": quantity, "cogs": value}
    orders = [dict(zip(ORDER_FIELDS, r, strict=True)) for r in conn.execute(_ORDERS, params)]
    shipments = []
    for row in conn.execute(_SHIPMENTS, params):
        found = dict(zip(SHIPMENT_FIELDS, row, strict=True))
        task = found["order_id"]
        found["order_id"] = task[len(SHIP_TASK):] if task and task.startswith(SHIP_TASK) \
            else None
        shipments.append(found)
    return totals, orders, shipments
