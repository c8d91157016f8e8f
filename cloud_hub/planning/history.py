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
        conn.execute(f"CREATE TEMP TABLE demand_days ON COMMIT DROP AS {DEMAND_SQL}", params)
        found = conn.execute("SELECT DISTINCT warehouse, sku FROM demand_days "
                             "ORDER BY 1, 2").fetchall()
        cells = _copy_cells(conn)
    index: dict[tuple[str, str], int] = {k: i for i, k in enumerate(keys or ())}
    remap = np.fromiter((index.setdefault((sku, wh), len(index)) for wh, sku in found),
                        dtype=np.int64, count=len(found))
    matrix = np.zeros((days, len(index)), order="F")
    if len(cells):
        np.add.at(matrix, (cells["day"].astype(np.int64), remap[cells["col"]]), cells["q"])
    ordered = tuple(sorted(index, key=index.__getitem__))
    return DemandHistory(start, ordered, matrix)


# One binary COPY row of (int4 series, int4 day, float8 quantity): a 2-byte field count, then
# each field as a 4-byte length and its big-endian value (PostgreSQL COPY BINARY format).
_CELL = np.dtype([("n", ">i2"), ("l1", ">i4"), ("col", ">i4"), ("l2", ">i4"), ("day", ">i4"),
                  ("l3", ">i4"), ("q", ">f8")])
_COPY_HEADER, _COPY_TRAILER = 19, 2


def _copy_cells(conn: psycopg.Connection) -> np.ndarray:
    """Every (series, day, quantity) cell, read as one binary COPY straight into numpy: a year
    of daily demand for 100k series is millions of rows, too many to build as Python tuples."""
    query = ("COPY (SELECT (dense_rank() OVER (ORDER BY warehouse, sku) - 1)::int4, "
             "day::int4, coalesce(quantity, 0)::float8 FROM demand_days) "
             "TO STDOUT (FORMAT BINARY)")
    with conn.cursor() as cur, cur.copy(query) as copy:
        data = b"".join(bytes(block) for block in copy)
    body = data[_COPY_HEADER:len(data) - _COPY_TRAILER]
    if len(body) % _CELL.itemsize:
        raise RuntimeError("unexpected COPY BINARY layout reading demand history")
    return np.frombuffer(body, dtype=_CELL)


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
