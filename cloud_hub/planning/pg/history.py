"""Daily outbound demand per SKU × warehouse from the ledger's moves, as a (days × series) matrix.

Rule kept here: a unit of stock is demand once, when it leaves storage — a pick or ship move
from a storage location (not a dock door, staging or packing area) that goes out of the
warehouse or to such a shipping location. Transfers, putaways and a later ship from the
packing area are not demand. Days are UTC calendar days (date_bin on plain PostgreSQL; a
TimescaleDB continuous aggregate when the extension is installed). The same SQL feeds the
direct read here and the incremental `demand_daily` aggregate (demand_daily.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
from psycopg import postgres
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

SHIPPING_KINDS = ("dock_door", "staging", "packing")
DEMAND_REASONS = ("pick", "ship")
DAY_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # any UTC midnight: buckets are UTC days


def outbound_sql(bound: str) -> str:
    """Item moves, plus the declared contents of handling units that leave the same way;
    `bound` is an extra condition on `m` (a time window or a seq range). The payload is read
    through jsonb whether the column is json or jsonb."""
    return f"""
  SELECT m.warehouse, m.sku, m.quantity, m.occurred_at, m.from_location, m.to_location
    FROM moves m
   WHERE m.reason = ANY(%(reasons)s) AND m.sku IS NOT NULL AND m.quantity IS NOT NULL
     AND {bound}
  UNION ALL
  SELECT m.warehouse, c->>'sku', (c->>'quantity')::numeric, m.occurred_at, m.from_location,
         m.to_location
    FROM moves m
         CROSS JOIN LATERAL jsonb_array_elements((m.payload->'contents')::jsonb) c
   WHERE m.reason = ANY(%(reasons)s) AND m.sku IS NULL AND m.unit_key IS NOT NULL
     AND jsonb_typeof((m.payload->'contents')::jsonb) = 'array' AND c->>'sku' IS NOT NULL
     AND {bound}
"""


def daily_sql(bound: str) -> str:
    """(warehouse, sku, day, quantity, lines) of demand among the moves matching `bound`."""
    return f"""
SELECT o.warehouse, o.sku,
       (date_bin('1 day', o.occurred_at, %(origin)s) AT TIME ZONE 'UTC')::date AS day,
       coalesce(sum(o.quantity), 0) AS quantity, count(*)::int4 AS lines
  FROM ({outbound_sql(bound)}) o
  LEFT JOIN locations f ON f.code = o.from_location
  LEFT JOIN locations t ON t.code = o.to_location
 WHERE o.from_location IS NOT NULL
   AND coalesce(f.kind, 'bin') <> ALL(%(shipping)s)
   AND (o.to_location IS NULL OR t.kind = ANY(%(shipping)s) OR t.warehouse <> o.warehouse)
   AND (%(warehouse)s::text IS NULL OR o.warehouse = %(warehouse)s)
 GROUP BY 1, 2, 3
"""


def rule_params(warehouse: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"reasons": list(DEMAND_REASONS), "shipping": list(SHIPPING_KINDS),
            "origin": DAY_ORIGIN, "warehouse": warehouse, **extra}


WINDOW = "m.occurred_at >= %(from)s AND m.occurred_at < %(end)s"


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


def window(end: date, days: int) -> tuple[date, datetime, datetime]:
    """The first day and the [from, end) instants of the `days` whole UTC days before `end`."""
    if days <= 0:
        raise ValueError("days must be positive")
    start = end - timedelta(days=days)
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return start, origin, origin + timedelta(days=days)


def demand_history(conn: psycopg.Connection, end: date, days: int,
                   warehouse: str | None = None,
                   keys: tuple[tuple[str, str], ...] | None = None) -> DemandHistory:
    """Read straight from `moves`: the `days` whole UTC days before `end` (end excluded).
    Series with no demand appear only when listed in `keys` (e.g. every SKU that has stock).
    Planning reads the `demand_daily` aggregate instead; this is its reference."""
    start, first, stop = window(end, days)
    params = rule_params(warehouse, start=start, **{"from": first, "end": stop})
    with conn.transaction():
        # Grouping a year of moves needs more than the default 4 MB to stay off the disk.
        conn.execute("SET LOCAL work_mem = '256MB'")
        conn.execute("SET LOCAL jit = off")
        conn.execute("CREATE TEMP TABLE demand_days ON COMMIT DROP AS "
                     f"SELECT warehouse, sku, day - %(start)s::date AS day, quantity "
                     f"FROM ({daily_sql(WINDOW)}) d", params)
        found = conn.execute("SELECT DISTINCT warehouse, sku FROM demand_days "
                             "ORDER BY 1, 2").fetchall()
        index: dict[tuple[str, str], int] = {k: i for i, k in enumerate(keys or ())}
        remap = np.fromiter((index.setdefault((sku, wh), len(index)) for wh, sku in found),
                            dtype=np.int64, count=len(found))
        matrix = np.zeros((days, len(index)), order="F")

        def add(cells: np.ndarray) -> None:
            np.add.at(matrix, (cells["day"].astype(np.int64), remap[cells["series"]]),
                      cells["q"])

        copy_cells(conn, "SELECT (dense_rank() OVER (ORDER BY warehouse, sku) - 1)::int4, "
                   "day::int4, quantity::float8 FROM demand_days", {}, add)
    ordered = tuple(sorted(index, key=index.__getitem__))
    return DemandHistory(start, ordered, matrix)


# One binary COPY row of (int4 series, int4 day, float8 quantity): a 2-byte field count, then
# each field as a 4-byte length and its big-endian value (PostgreSQL COPY BINARY format).
CELL = np.dtype([("n", ">i2"), ("l1", ">i4"), ("series", ">i4"), ("l2", ">i4"), ("day", ">i4"),
                 ("l3", ">i4"), ("q", ">f8")])
_COPY_HEADER, _COPY_TRAILER = 19, b"\xff\xff"
_CHUNK_BYTES = 8 << 20


def copy_cells(conn: psycopg.Connection, select: str, params: dict[str, Any],
               consume: Callable[[np.ndarray], None]) -> int:
    """Stream `select` (int4, int4, float8 rows) as one binary COPY into numpy, handing
    `consume` ~8 MB of rows at a time: a year of daily demand for 100k series is tens of
    millions of rows, too many to build as Python tuples or to hold twice as bytes."""
    query = f"COPY ({select}) TO STDOUT (FORMAT BINARY)"
    buf, header, rows = bytearray(), True, 0
    with conn.cursor() as cur, cur.copy(query, params or None) as copy:
        for block in copy:
            buf += block
            if header and len(buf) >= _COPY_HEADER:
                del buf[:_COPY_HEADER]
                header = False
            if not header and len(buf) >= _CHUNK_BYTES:
                rows += _consume_whole_rows(buf, consume)
    rows += _consume_whole_rows(buf, consume)
    if header or bytes(buf) != _COPY_TRAILER:
        raise RuntimeError("unexpected COPY BINARY layout reading demand history")
    return rows


def _consume_whole_rows(buf: bytearray, consume: Callable[[np.ndarray], None]) -> int:
    n = len(buf) // CELL.itemsize
    if n:
        consume(np.frombuffer(bytes(memoryview(buf)[:n * CELL.itemsize]), dtype=CELL))
        del buf[:n * CELL.itemsize]
    return n


class _NumpyArrayLoader(Loader):
    """A one-dimensional array without NULLs in PostgreSQL's binary format, as a numpy array
    without a Python object per element: after a 20-byte header (ndim, has-nulls flag,
    element type, length, lower bound) each element is a 4-byte length and its value."""

    format = Format.BINARY
    element: np.dtype = np.dtype(">i4")

    def load(self, data: Buffer) -> np.ndarray:
        head = np.frombuffer(data, ">i4", min(len(data) // 4, 5))
        if len(head) == 0 or head[0] == 0:
            return np.zeros(0, self.element.newbyteorder("="))
        if head[0] != 1 or head[1] != 0:
            raise ValueError("expected a one-dimensional array without NULLs")
        cells = np.frombuffer(data, [("length", ">i4"), ("value", self.element)],
                              int(head[3]), 20)
        return cells["value"].astype(self.element.newbyteorder("="))


class _Int4ArrayLoader(_NumpyArrayLoader):
    element = np.dtype(">i4")


class _Float8ArrayLoader(_NumpyArrayLoader):
    element = np.dtype(">f8")


def register_array_loaders(cur: psycopg.Cursor[Any]) -> None:
    """int4[] and float8[] come back to this binary cursor as numpy arrays."""
    for name, loader in (("int4", _Int4ArrayLoader), ("float8", _Float8ArrayLoader)):
        cur.adapters.register_loader(postgres.types[name].array_oid, loader)


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
    plain PostgreSQL this returns False without touching anything. Nothing reads this view yet:
    planning reads `demand_daily` (demand_daily.py), which works with or without TimescaleDB."""
    if not timescale_installed(conn):
        return False
    conn.execute(CONTINUOUS_AGGREGATE_SQL)
    conn.execute("SELECT add_continuous_aggregate_policy('planning_move_days', "
                 "start_offset => INTERVAL '30 days', end_offset => INTERVAL '1 hour', "
                 "schedule_interval => INTERVAL '1 hour', if_not_exists => true)")
    return True
