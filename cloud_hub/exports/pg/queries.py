"""What each export reads: one SQL statement per kind, scoped to a warehouse (or all of the
caller's), streamed through a server-side cursor so a year of moves never sits in memory.

Instants are UTC (the column names say so); quantities are exact decimals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

FETCH = 5_000


@dataclass(frozen=True)
class Export:
    sheet: str
    header: tuple[str, ...]
    sql: str  # named parameters: wh, sku, start, end


EXPORTS: dict[str, Export] = {
    "stock": Export("Stock", (
        "warehouse", "location", "sku", "lot", "status", "quantity", "updated_at_utc"), """
SELECT warehouse, location, sku, nullif(lot, ''), status, quantity, updated_at
  FROM balances
 WHERE (%(wh)s::text IS NULL OR warehouse = %(wh)s) AND (%(sku)s::text IS NULL OR sku = %(sku)s)
 ORDER BY warehouse, location, sku, lot, status"""),
    "moves": Export("Moves", (
        "seq", "event_id", "occurred_at_utc", "recorded_at_utc", "warehouse", "reason",
        "outcome", "unit", "sku", "lot", "quantity", "status", "from_location", "to_location",
        "source_kind", "device_id", "user"), """
SELECT seq, event_id::text, occurred_at, received_at, warehouse, reason, outcome, unit_key,
       sku, nullif(lot, ''), quantity, stock_status, from_location, to_location, source_kind,
       device_id, user_id
  FROM moves
 WHERE (%(wh)s::text IS NULL OR warehouse = %(wh)s) AND (%(sku)s::text IS NULL OR sku = %(sku)s)
   AND occurred_at >= coalesce(%(start)s, '-infinity'::timestamptz)
   AND occurred_at < coalesce(%(end)s, 'infinity'::timestamptz)
 ORDER BY seq"""),
    "lots": Export("Lots", (
        "sku", "lot", "expiry", "production_date", "best_before", "supplier", "origin",
        "status", "on_hand"), """
SELECT l.sku, l.lot, l.expiry, l.production_date, l.best_before, l.supplier, l.origin, l.status,
       coalesce(b.on_hand, 0)
  FROM lots l
  LEFT JOIN (SELECT sku, lot, sum(quantity) AS on_hand FROM balances
              WHERE %(wh)s::text IS NULL OR warehouse = %(wh)s GROUP BY sku, lot) b
         USING (sku, lot)
 WHERE (%(sku)s::text IS NULL OR l.sku = %(sku)s)
   AND (%(wh)s::text IS NULL OR b.on_hand IS NOT NULL)
 ORDER BY l.sku, l.expiry NULLS LAST, l.lot"""),
    "counts": Export("Counts", (
        "task_id", "warehouse", "location", "sku", "lot", "snapshot", "snapshot_at_utc",
        "counted", "counted_at_utc", "counted_by", "expected", "variance", "action", "state"),
        """
SELECT task_id, warehouse, location, sku, nullif(lot, ''), snapshot, snapshot_at, counted,
       counted_at, counted_by, expected, variance, action, state
  FROM work_counts
 WHERE (%(wh)s::text IS NULL OR warehouse = %(wh)s) AND (%(sku)s::text IS NULL OR sku = %(sku)s)
   AND snapshot_at >= coalesce(%(start)s, '-infinity'::timestamptz)
   AND snapshot_at < coalesce(%(end)s, 'infinity'::timestamptz)
 ORDER BY snapshot_at, task_id, step_id"""),
    "suggestions": Export("Suggestions", (
        "id", "kind", "warehouse", "sku", "quantity", "suggested_quantity", "source",
        "to_location", "reason", "days_of_supply", "stockout_date", "inventory_position",
        "reorder_point", "safety_stock", "unit_cost", "state", "created_on", "decided_by"), """
SELECT id, kind, warehouse, sku, quantity, suggested_quantity, source, to_location, reason,
       days_of_supply, stockout_date, inventory_position, reorder_point, safety_stock,
       unit_cost, state, created_on, decided_by
  FROM planning_suggestions
 WHERE (%(wh)s::text IS NULL OR warehouse = %(wh)s) AND (%(sku)s::text IS NULL OR sku = %(sku)s)
 ORDER BY id"""),
}


def rows(conn: psycopg.Connection, kind: str, *, warehouse: str | None, sku: str | None,
         start: datetime | None, end: datetime | None) -> Iterator[tuple[Any, ...]]:
    """The export's rows, fetched FETCH at a time (the connection is in a transaction for the
    server-side cursor while the caller iterates)."""
    params = {"wh": warehouse, "sku": sku, "start": start, "end": end}
    with conn.transaction(), conn.cursor(name=f"export_{kind}") as cur:
        cur.itersize = FETCH
        cur.execute(EXPORTS[kind].sql, params)
        yield from cur
