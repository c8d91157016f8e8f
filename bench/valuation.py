"""Benchmark: the valuation projection (cloud_hub/valuation/pg/projection.py) catching up on a
seeded ledger, its lag while moves arrive, the month report, and that it equals a recompute.

A throw-away database on the shared PostgreSQL is seeded straight into `moves` (set-based; the
apply path's own bench is bench/ledger_apply.py): --moves moves over --skus SKUs in one
warehouse, alternating per SKU a receipt of 10 (on its own receipt `R<sku>`, whose one line
carries a unit cost between 1 and 50) and an issue of 7, spread over two months. Then:

- catch_up_events_per_s: moves valued per second by refresh() from an empty valuation
  (--chunk moves per transaction);
- lag_ms_p99_at_1000_ev_s: a writer thread commits --rate moves/s (batches every 50 ms) for
  --lag-seconds while a follower loop refreshes as fast as it can; a move's lag is from its
  commit to the commit of the refresh that valued it;
- report_month_seconds: the 收发存 of one month for every SKU (period_report);
- backdated_revalue_ms: a refresh valuing one move dated in the middle of the seeded months:
  its warehouse/SKU is folded again from all its moves in date order (docs/valuation.md);
- equals_recompute: at the end, the stored layers (quantity, value per SKU), COGS and
  adjustments equal a fold from scratch by the core of every move in date order.

Prints one JSON line last; `load_average` says how busy the shared machine was. The default is
1M moves (about 8 minutes on the shared 2-core machine, inside `make bench`'s 15); the issue's
size is `--moves 5000000` (catch-up and the recompute each take minutes per million here).

    .venv/bin/python bench/valuation.py
    .venv/bin/python bench/valuation.py --moves 5000000 --skus 100000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from cloud_hub.db.database import connect  # noqa: E402
from cloud_hub.valuation.book import Book  # noqa: E402
from cloud_hub.valuation.ledger import movement_of  # noqa: E402
from cloud_hub.valuation.model import Method  # noqa: E402
from cloud_hub.valuation.pg import projection  # noqa: E402
from cloud_hub.valuation.pg.reports import period_report  # noqa: E402

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WH = "VAL"
SEED_FROM = datetime(2026, 1, 1, tzinfo=UTC)  # the seeded moves span 59 days from here
LAG_FROM = datetime(2026, 3, 1, tzinfo=UTC)  # the lag run's moves: after them, in order
SETUP = """
INSERT INTO warehouses (code) VALUES (%(wh)s) ON CONFLICT DO NOTHING;
INSERT INTO locations (code, warehouse, kind) VALUES ('V-DOCK', %(wh)s, 'dock_door'),
       ('V-BIN', %(wh)s, 'bin');
INSERT INTO work_receipts (receipt_id, warehouse, dock, lines)
SELECT 'R' || s, %(wh)s, 'V-DOCK', jsonb_build_array(jsonb_build_object(
         'line_id', '1', 'sku', 'S' || s, 'quantity', '1000000', 'lot', '', 'expiry', null,
         'units', '[]'::jsonb, 'unit_cost', (1 + (s * 7919) %% 4900 / 100.0)::text))
  FROM generate_series(0, %(skus)s - 1) s
"""
MOVES = """
INSERT INTO moves (event_id, occurred_at, received_at, warehouse, source_kind, device_id,
                   sku, lot, quantity, stock_status, from_location, to_location, reason,
                   task_id, outcome, payload)
SELECT gen_random_uuid(), t0 + make_interval(secs => (i - %(first)s) * %(spacing)s), now(),
       %(wh)s, 'pda',
       'dev-1', 'S' || (i %% %(skus)s), '', CASE WHEN k = 0 THEN 10 ELSE 7 END, 'available',
       CASE WHEN k = 1 THEN 'V-BIN' END, CASE WHEN k = 0 THEN 'V-BIN' END,
       CASE WHEN k = 0 THEN 'receive' ELSE 'ship' END,
       CASE WHEN k = 0 THEN 'receipt:R' || (i %% %(skus)s) END, 'applied', NULL
  FROM (SELECT i, (i / %(skus)s) %% 2 AS k, %(t0)s::timestamptz AS t0
          FROM generate_series(%(first)s, %(first)s + %(n)s - 1) AS i) g
"""


def seed(url: str, moves: int, skus: int) -> None:
    with connect(url) as conn:
        for statement in SETUP.split(";"):
            conn.execute(statement, {"wh": WH, "skus": skus})
        add_moves(conn, 0, moves, skus, spacing=59 * 86400 / max(moves, 1))
        conn.execute("ANALYZE")


def add_moves(conn: psycopg.Connection, first: int, n: int, skus: int, spacing: float,
              t0: datetime = SEED_FROM) -> None:
    conn.execute(MOVES, {"wh": WH, "first": first, "n": n, "skus": skus, "spacing": spacing,
                         "t0": t0})


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def refresh(conn: psycopg.Connection, chunk: int) -> projection.Refresh:
    return projection.refresh(conn, Method.FIFO, "CNY", wait_s=0.2, chunk=chunk)


def lag_run(url: str, skus: int, first: int, rate: int, seconds: float) -> list[float]:
    """Commit `rate` moves/s for `seconds` while refreshing; each move's commit-to-valued ms."""
    committed: list[tuple[int, float]] = []  # (highest seq of a batch, its commit time)
    done = threading.Event()

    def writer() -> None:
        per_batch = max(1, rate // 20)
        with connect(url, migrate_schema=False) as conn:
            start, i = time.perf_counter(), 0
            while time.perf_counter() - start < seconds:
                # dated after the seeded months, in order: none is back-dated
                add_moves(conn, first + i, per_batch, skus, spacing=0.001,
                          t0=LAG_FROM + timedelta(milliseconds=i))
                row = conn.execute("SELECT max(seq) FROM moves").fetchone()
                committed.append((int(row[0]) if row else 0, time.perf_counter()))
                i += per_batch
                time.sleep(max(0.0, start + len(committed) * 0.05 - time.perf_counter()))
        done.set()

    lags: list[float] = []
    thread = threading.Thread(target=writer)
    thread.start()
    seen = 0
    with connect(url, migrate_schema=False) as conn:
        while not (done.is_set() and seen == len(committed)):
            through = refresh(conn, 50_000).through_seq
            now = time.perf_counter()
            while seen < len(committed) and committed[seen][0] <= through:
                lags += [(now - committed[seen][1]) * 1000] * max(1, rate // 20)
                seen += 1
            if seen < len(committed) and committed[seen][0] > through:
                continue
            time.sleep(0.005)  # caught up: the next batch has not been written yet
    thread.join()
    return lags


def equals_recompute(conn: psycopg.Connection, through: int) -> bool:
    book = Book(Method.FIFO, "CNY")
    moves = projection.read_moves(conn, 0, through)
    for move in sorted(moves, key=lambda m: (m.occurred_at, m.seq)):
        if (movement := movement_of(move, book)) is not None:
            book.apply(movement)
    stored = {(w, s): (q, v) for w, s, q, v in conn.execute(
        "SELECT warehouse, sku, sum(quantity), sum(value) FROM valuation_layers GROUP BY 1, 2")}
    folded = {(p.warehouse, p.sku): (p.quantity, p.value) for p in book.positions()}
    row = conn.execute("SELECT sum(cogs), sum(adjustments) FROM valuation_entries").fetchone()
    return stored == folded and row is not None and \
        (row[0] or Decimal(0), row[1] or Decimal(0)) == (book.cogs, book.adjustments)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--moves", type=int, default=1_000_000)
    p.add_argument("--skus", type=int, default=100_000)
    p.add_argument("--chunk", type=int, default=projection.CHUNK_SEQS)
    p.add_argument("--rate", type=int, default=1000, help="moves/s during the lag run")
    p.add_argument("--lag-seconds", type=float, default=10.0)
    p.add_argument("--keep", action="store_true", help="leave the seeded database in place")
    args = p.parse_args()
    name = f"sp_bench_valuation_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        started = time.perf_counter()
        seed(url, args.moves, args.skus)
        seeded = time.perf_counter() - started
        with connect(url, migrate_schema=False) as conn:
            started = time.perf_counter()
            refresh(conn, args.chunk)
            catch_up = time.perf_counter() - started
            started = time.perf_counter()
            rows = period_report(conn, warehouse=None, sku=None, start=date(2026, 1, 1),
                                 end=date(2026, 2, 1))
            report = time.perf_counter() - started
        lags = lag_run(url, args.skus, args.moves, args.rate, args.lag_seconds)
        with connect(url, migrate_schema=False) as conn:
            conn.execute(
                "INSERT INTO moves (event_id, occurred_at, warehouse, source_kind, device_id, "
                "sku, lot, quantity, stock_status, to_location, reason, outcome) VALUES "
                "(gen_random_uuid(), '2026-01-15 12:00:00+00', %s, 'pda', 'dev-1', 'S1', '', "
                "1, 'available', 'V-BIN', 'count', 'applied')", (WH,))
            started = time.perf_counter()
            through = refresh(conn, args.chunk).through_seq
            backdated = (time.perf_counter() - started) * 1000
            revalued = conn.execute("SELECT count(*) FROM valuation_revaluations").fetchone()
            recomputed = equals_recompute(conn, through)
        figures = {
            "moves": args.moves, "skus": args.skus,
            "catch_up_events_per_s": round(args.moves / catch_up),
            "lag_ms_p99_at_1000_ev_s": round(percentile(lags, 0.99), 1) if lags else None,
            "lag_ms_p50": round(percentile(lags, 0.5), 1) if lags else None,
            "lag_rate_ev_s": args.rate,
            "report_month_seconds": round(report, 2), "report_rows": len(rows),
            "backdated_revalue_ms": round(backdated, 1),
            "backdated_revalued_holdings": int(revalued[0]) if revalued else 0,
            "equals_recompute": recomputed, "seed_seconds": round(seeded, 1),
            "catch_up_seconds": round(catch_up, 1), "chunk": args.chunk,
            "load_average": round(os.getloadavg()[0], 1)}
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.keep:
        figures["database"] = name
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
