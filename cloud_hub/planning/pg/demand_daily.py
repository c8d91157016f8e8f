"""The `demand_daily` aggregate: daily demand per series, brought up to date from the moves
after a watermark, and the demand history planning reads from it.

Rule kept here: `demand_daily` counts exactly the moves with seq <= `through_seq`, each once.
The watermark (ledger/pg/watermark.py) only passes a seq when no transaction that may still
commit a move with that seq is open. Reads add the visible moves above the watermark, so they
equal a direct read of `moves`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import psycopg

from cloud_hub.ledger.pg import watermark
from cloud_hub.ledger.pg.watermark import (
    CHUNK_SEQS,
    WAIT_S,
    Refresh,
    SequenceCached,
    Watermark,
)
from cloud_hub.planning.pg.history import (
    WINDOW,
    DemandHistory,
    daily_sql,
    register_array_loaders,
    rule_params,
    window,
)

LOCK_KEY = 0x5350_4444  # "SPDD": one refresher at a time
__all__ = ["CHUNK_SEQS", "WAIT_S", "Refresh", "SequenceCached", "read_history", "rebuild",
           "refresh"]

_UPSERT = """
INSERT INTO demand_daily (series, day, quantity, lines)
SELECT s.id, t.day, t.quantity, t.lines
  FROM demand_tail t JOIN demand_series s USING (warehouse, sku)
 ORDER BY t.day, s.id
    ON CONFLICT (day, series) DO UPDATE
   SET quantity = demand_daily.quantity + excluded.quantity,
       lines = demand_daily.lines + excluded.lines
"""

MARK = Watermark("demand_daily", "demand_daily_state", LOCK_KEY)


def refresh(conn: psycopg.Connection, *, wait_s: float = WAIT_S,
            chunk: int = CHUNK_SEQS) -> Refresh:
    """Add the demand of the moves committed since the watermark (watermark.refresh:
    waits up to `wait_s` for open writers, `chunk` seqs per transaction)."""
    return watermark.refresh(conn, MARK, _aggregate, wait_s=wait_s, chunk=chunk)


def rebuild(conn: psycopg.Connection, *, wait_s: float = WAIT_S,
            chunk: int = CHUNK_SEQS) -> Refresh:
    """Recount everything from the moves (after location kinds changed, or to check)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute("TRUNCATE demand_daily")
        conn.execute("UPDATE demand_daily_state SET through_seq = 0, pending_seq = NULL, "
                     "pending_writers = NULL")
    return refresh(conn, wait_s=wait_s, chunk=chunk)


def _aggregate(conn: psycopg.Connection, after: int, through: int) -> int:
    """Add the demand of moves with seq in (after, through]; returns the cells touched."""
    conn.execute("SET LOCAL work_mem = '256MB'")
    conn.execute("SET LOCAL jit = off")
    conn.execute("SET LOCAL max_parallel_workers_per_gather = 0")
    conn.execute("CREATE TEMP TABLE demand_tail ON COMMIT DROP AS "
                 + daily_sql("m.seq > %(after)s AND m.seq <= %(through)s"),
                 rule_params(after=after, through=through))
    conn.execute("INSERT INTO demand_series (warehouse, sku) "
                 "SELECT DISTINCT warehouse, sku FROM demand_tail ON CONFLICT DO NOTHING")
    cur = conn.execute(_UPSERT)
    conn.execute("DROP TABLE demand_tail")
    return cur.rowcount


def read_history(conn: psycopg.Connection, end: date, days: int,
                 warehouse: str | None = None,
                 keys: tuple[tuple[str, str], ...] | None = None) -> DemandHistory:
    """The same history as `history.demand_history` (same series, same order), read from the
    aggregate plus the moves above its watermark, all in one snapshot."""
    start, first, stop = window(end, days)
    params = rule_params(warehouse, start=start, stop=end, **{"from": first, "end": stop})
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        through = watermark.read_state(conn, MARK).through_seq
        tail = conn.execute(daily_sql("m.seq > %(after)s AND " + WINDOW),
                            params | {"after": through}).fetchall()
        keys = tuple(keys or ())
        series = conn.execute(
            "SELECT s.id, k.warehouse, k.sku FROM (SELECT warehouse, sku FROM demand_series "
            "WHERE %(warehouse)s::text IS NULL OR warehouse = %(warehouse)s UNION "
            "SELECT * FROM unnest(%(whs)s::text[], %(skus)s::text[])) k "
            "LEFT JOIN demand_series s USING (warehouse, sku) ORDER BY k.warehouse, k.sku",
            params | {"whs": [r[0] for r in tail], "skus": [r[1] for r in tail]}).fetchall()
        index = {k: i for i, k in enumerate(keys)}
        for _, wh, sku in series:
            index.setdefault((sku, wh), len(index))
        top = conn.execute("SELECT coalesce(max(id), 0) FROM demand_series").fetchone()
        col_of = np.full((top[0] if top else 0) + 1, -1, dtype=np.int64)  # -1: not read
        for sid, wh, sku in series:
            if sid is not None:
                col_of[sid] = index[(sku, wh)]
        matrix = np.zeros((days, len(index)), order="F")
        present = np.zeros(len(index), dtype=bool)
        present[:len(keys)] = True

        for series_ids, day, qty in _cell_blocks(conn, params):
            cols = col_of[series_ids]
            wanted = cols >= 0  # another warehouse's series, when reading one warehouse
            matrix[day[wanted], cols[wanted]] = qty[wanted]  # one row per series × day
            present[cols[wanted]] = True
    for wh, sku, day, qty, _lines in tail:
        col = index[(sku, wh)]
        matrix[(day - start).days, col] += float(qty)
        present[col] = True
    ordered = sorted(index, key=index.__getitem__)
    return DemandHistory(start, tuple(ordered[i] for i in np.flatnonzero(present)),
                         _keep_columns(matrix, present))


_BLOCK_PAGES = 4096  # ~700k rows of demand_daily per query


def _cell_blocks(conn: psycopg.Connection, params: dict[str, Any]
                 ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(series, day offset, quantity) of the window, as numpy arrays, one block of the table's
    pages at a time (TID range scans, so each page is read once): three arrays per block
    instead of one row per cell keep tens of millions of cells off Python's per-row path,
    and the server's aggregate state small."""
    row = conn.execute("SELECT pg_relation_size('demand_daily') / "
                       "current_setting('block_size')::int").fetchone()
    pages = int(row[0]) if row else 0
    with conn.cursor(binary=True) as cur:
        register_array_loaders(cur)
        for first in range(0, max(pages, 1), _BLOCK_PAGES):
            last = first + _BLOCK_PAGES
            cur.execute(
                "SELECT array_agg(series), array_agg((day - %(start)s::date)::int4), "
                "array_agg(quantity::float8) FROM demand_daily "
                "WHERE ctid >= %(first)s::tid AND (%(last)s::tid IS NULL OR ctid < %(last)s::tid) "
                "AND day >= %(start)s AND day < %(stop)s",
                params | {"first": f"({first},0)",
                          "last": None if last >= pages else f"({last},0)"})
            found = cur.fetchone()
            if found and found[0] is not None:
                yield found[0], found[1].astype(np.intp), found[2]


def _keep_columns(matrix: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """`matrix[:, keep]` without a second copy of a matrix that can be hundreds of MB: kept
    columns slide left in place (column-major, so each is one contiguous block)."""
    kept = np.flatnonzero(keep)
    for new, old in enumerate(kept):
        if new != old:
            matrix[:, new] = matrix[:, old]
    return matrix[:, :len(kept)]
