"""Daily outbound demand per SKU × warehouse from the ledger's moves, as a (days × series) matrix.

Rule kept here: a unit of stock is demand once, when it leaves storage — a pick or ship move
from a storage location (not a dock door, staging or packing area) that goes out of the
warehouse or to such a shipping location. Transfers, putaways and a later ship from the
packing area are not demand. Days are UTC calendar days (date_bin on plain PostgreSQL; a
TimescaleDB continuous aggregate when the extension is installed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import psycopg

SHIPPING_KINDS = ("dock_door", "staging", "packing")
DEMAND_REASONS = ("pick", "ship")

# Item moves, plus the declared contents of handling units that leave the same way.
_OUTBOUND = """
  SELECT m.warehouse, m.sku, m.quantity, m.occurred_at, m.from_location, m.to_location
    FROM moves m
   WHERE m.reason = ANY(%(reasons)s) AND m.sku IS NOT NULL AND m.quantity IS NOT NULL
     AND m.occurred_at >= %(from)s AND m.occurred_at < %(end)s
  UNION ALL
  SELECT m.warehouse, c->>'sku', (c->>'quantity')::numeric, m.occurred_at, m.from_location,
         m.to_location
    FROM moves m CROSS JOIN LATERAL jsonb_array_elements(m.payload->'contents') c
   WHERE m.reason = ANY(%(reasons)s) AND m.sku IS NULL AND m.unit_key IS NOT NULL
     AND jsonb_typeof(m.payload->'contents') = 'array' AND c->>'sku' IS NOT NULL
     AND m.occurred_at >= %(from)s AND m.occurred_at < %(end)s
"""

DEMAND_SQL = f"""
SELECT o.warehouse, o.sku,
       (date_bin('1 day', o.occurred_at, %(origin)s) AT TIME ZONE 'UTC')::date
         - %(start)s::date AS day,
       sum(o.quantity)::float8 AS quantity
  FROM ({_OUTBOUND}) o
  LEFT JOIN locations f ON f.code = o.from_location
  LEFT JOIN locations t ON t.code = o.to_location
 WHERE o.from_location IS NOT NULL
   AND coalesce(f.kind, 'bin') <> ALL(%(shipping)s)
   AND (o.to_location IS NULL OR t.kind = ANY(%(shipping)s) OR t.warehouse <> o.warehouse)
   AND (%(warehouse)s::text IS NULL OR o.warehouse = %(warehouse)s)
 GROUP BY 1, 2, 3
"""


@dataclass(frozen=True)
class DemandHistory:
    """Daily demand: `quantities[d, i]` is what series `keys[i]` = (sku, warehouse) shipped on
    day `start + d`. Column-major so one day across all series is contiguous."""

    start: date
    keys: tuple[tuple[str, str], ...]
    quantities: np.ndarray

    @property
    def days(self) -> int:
        return int(self.quantities.shape[0])


def demand_history(conn: psycopg.Connection, end: date, days: int,
                   warehouse: str | None = None,
                   keys: tuple[tuple[str, str], ...] | None = None) -> DemandHistory:
    """The `days` whole UTC days before `end` (end excluded). Series with no demand appear only
    when listed in `keys` (e.g. every SKU that has stock)."""
    if days <= 0:
        raise ValueError("days must be positive")
    start = end - timedelta(days=days)
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    params = {"reasons": list(DEMAND_REASONS), "shipping": list(SHIPPING_KINDS),
              "from": origin, "end": origin + timedelta(days=days), "origin": origin,
              "warehouse": warehouse}
    params["start"] = start
    with conn.transaction():
        # Grouping a year of moves needs more than the default 4 MB to stay off the disk.
        conn.execute("SET LOCAL work_mem = '256MB'")
        conn.execute("SET LOCAL jit = off")
        rows = conn.execute(DEMAND_SQL, params).fetchall()
    index: dict[tuple[str, str], int] = {k: i for i, k in enumerate(keys or ())}
    for wh, sku, _, _ in rows:
        index.setdefault((sku, wh), len(index))
    matrix = np.zeros((days, len(index)), order="F")
    if rows:
        cols = np.fromiter((index[(sku, wh)] for wh, sku, _, _ in rows), dtype=np.int64,
                           count=len(rows))
        day = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
        qty = np.fromiter((r[3] for r in rows), dtype=float, count=len(rows))
        np.add.at(matrix, (day, cols), qty)
    ordered = tuple(sorted(index, key=index.__getitem__))
    return DemandHistory(start, ordered, matrix)


def timescale_installed(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    return row is not None


CONTINUOUS_AGGREGATE_SQL = """
CREATE MATERIALIZED VIEW IF NOT EXISTS planning_move_days
WITH (timescaledb.continuous) AS
SELECT time_bucket('1 day', occurred_at) AS day, warehouse, sku, reason, from_location,
       to_location, sum(quantity) AS quantity
  FROM moves
 WHERE reason IN ('pick', 'ship') AND sku IS NOT NULL
 GROUP BY 1, 2, 3, 4, 5, 6
WITH NO DATA
"""


def enable_continuous_aggregate(conn: psycopg.Connection) -> bool:
    """Create a daily continuous aggregate of outbound item moves when TimescaleDB is installed
    (moves must already be a hypertable). Location kinds are joined when reading, as continuous
    aggregates cannot hold the outer joins the demand rule needs.

    NOT exercised on this project's CI machine: TimescaleDB cannot be installed there, and on
    plain PostgreSQL this returns False without touching anything."""
    if not timescale_installed(conn):
        return False
    conn.execute(CONTINUOUS_AGGREGATE_SQL)
    conn.execute("SELECT add_continuous_aggregate_policy('planning_move_days', "
                 "start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 hour', "
                 "schedule_interval => INTERVAL '1 hour', if_not_exists => true)")
    return True
