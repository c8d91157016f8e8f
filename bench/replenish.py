"""Benchmark: forecasts, policies and replenishment suggestions for many SKUs, from the ledger.

    python bench/replenish.py --skus 100000 --days 365            # scratch ledger, dropped after
    python bench/replenish.py --skus 100000 --days 365 --ledger-url postgresql://... [--seed]
    python bench/replenish.py --skus 100000 --days 365 --in-memory  # the core on a numpy matrix

From the ledger (the default): synthetic demand (a quarter each of weekly-seasonal, erratic,
intermittent and lumpy SKUs, two warehouses) is seeded as pick moves with COPY, all days but the
last; the demand_daily aggregate is backfilled once; then the last day's moves are added as the
new tail. `seconds` is one planning run: refresh of that tail + read of the history from the
aggregate + forecasts + policies + suggestions + ABC/XYZ. Seeding and the one-off backfill are
reported apart (seed_seconds, backfill_seconds). peak_mb is the peak RSS during that run
(process_peak_mb: the whole process, seeding included). Prints ONE JSON line last.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import struct
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_hub.planning.classify import abc_classes, demand_cv, xyz_classes
from cloud_hub.planning.forecast import Model, Pattern, forecast
from cloud_hub.planning.pg.history import CELL
from cloud_hub.planning.policy import PolicyInputs
from cloud_hub.planning.replenish import StockArrays, plan

TODAY = date(2026, 1, 1)
ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def synthetic_demand(skus: int, days: int, seed: int = 1) -> np.ndarray:
    """(days, skus), column-major: a quarter each smooth-seasonal, erratic, intermittent, lumpy."""
    rng = np.random.default_rng(seed)
    kind = rng.integers(0, 4, skus)
    rate = rng.gamma(2.0, 5.0, skus)
    weekly = np.array([1.1, 1.2, 1.1, 1.0, 1.3, 0.7, 0.6])
    y = np.empty((days, skus), order="F")
    chunk = 10_000
    for lo in range(0, skus, chunk):
        hi = min(skus, lo + chunk)
        k, r = kind[lo:hi], rate[lo:hi]
        season = np.where(k[None, :] == 0, weekly[np.arange(days) % 7][:, None], 1.0)
        base = rng.poisson(r[None, :] * season, (days, hi - lo)).astype(float)
        spiky = base * rng.choice([0.2, 3.0], (days, hi - lo))
        occurs = rng.random((days, hi - lo)) < np.where(k >= 2, 0.2, 1.0)[None, :]
        y[:, lo:hi] = np.where(k[None, :] % 2 == 1, spiky, base) * occurs
    return y


def generated(args: argparse.Namespace) -> np.ndarray:
    t = time.perf_counter()
    y = synthetic_demand(args.skus, args.days)
    log(f"generated {args.skus} × {args.days} demand matrix in {time.perf_counter() - t:.1f}s")
    return y


# --- the ledger -------------------------------------------------------------------------------

@contextmanager
def scratch_ledger() -> Iterator[str]:
    """A new database for this run, dropped afterwards (a 100k-SKU ledger is ~10 GB)."""
    import psycopg
    name = f"sp_bench_replenish_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_ledger(conn: Any, y: np.ndarray, keys: list[tuple[str, str]], days: range,
                bulk: bool = False) -> int:
    """Write the matrix's `days` as pick moves (bin → out) into `moves`: the cells go in with a
    binary COPY to a staging table, the moves are made from them in SQL, day by day in seq
    order. Not the apply path (that has its own benchmark); event ids are ordered so the
    primary key is appended to, as a ledger a year old would have it. `bulk`: drop the
    secondary indexes of moves for the load and build them again after, as a bulk load does."""
    from cloud_hub.catalog.model import Location
    from cloud_hub.catalog.pg.store import upsert_locations
    upsert_locations(conn, [Location(f"BENCH-{wh}-BIN", wh, "bin")
                            for wh in sorted({wh for _, wh in keys})])
    conn.execute("CREATE UNLOGGED TABLE IF NOT EXISTS bench_keys "
                 "(col int4 PRIMARY KEY, sku text, warehouse text)")
    if conn.execute("SELECT count(*) FROM bench_keys").fetchone()[0] == 0:
        with conn.cursor() as cur, cur.copy("COPY bench_keys FROM STDIN") as copy:
            for i, (sku, wh) in enumerate(keys):
                copy.write_row((i, sku, wh))
    indexes = [] if not bulk else [r[0] for r in conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'moves' AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'moves'::regclass)")]
    for definition in indexes:
        conn.execute(f"DROP INDEX {definition.split()[2 + definition.startswith('CREATE UNIQUE')]}")
    origin = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC) - timedelta(days=y.shape[0])
    rows, step = 0, 30
    for lo in range(days.start, days.stop, step):
        rows += _seed_days(conn, y, range(lo, min(days.stop, lo + step)), origin)
        log(f"  seeded days {days.start}..{min(days.stop, lo + step) - 1}: {rows:,} moves")
    conn.execute("SET maintenance_work_mem = '1GB'")
    for definition in indexes:
        conn.execute(definition)
    conn.execute("ANALYZE moves")
    return rows


def _seed_days(conn: Any, y: np.ndarray, days: range, origin: datetime) -> int:
    block = y[days.start:days.stop]
    d, col = np.nonzero(block)
    cells = np.zeros(len(d), dtype=CELL)
    cells["n"], cells["l1"], cells["l2"], cells["l3"] = 3, 4, 4, 8
    cells["series"], cells["day"], cells["q"] = col, d + days.start, block[d, col]
    with conn.transaction():
        conn.execute("CREATE TEMP TABLE bench_cells (col int4, day int4, q float8) "
                     "ON COMMIT DROP")
        with conn.cursor() as cur, cur.copy("COPY bench_cells FROM STDIN (FORMAT BINARY)"
                                            ) as copy:
            copy.write(COPY_SIGNATURE + cells.tobytes() + b"\xff\xff")
        conn.execute(
            "INSERT INTO moves (event_id, occurred_at, warehouse, source_kind, device_id, "
            "sku, quantity, from_location, reason, outcome, payload) "
            "SELECT (lpad(to_hex(c.day), 8, '0') || '-0000-4000-8000-' "
            "        || lpad(to_hex(c.col), 12, '0'))::uuid, "
            "       %s + c.day * interval '1 day' + interval '10 hours', k.warehouse, "
            "       'system', 'bench', k.sku, round(c.q::numeric, 3), "
            "       'BENCH-' || k.warehouse || '-BIN', 'pick', 'applied', '{}' "
            "  FROM bench_cells c JOIN bench_keys k USING (col) ORDER BY c.day, c.col",
            (origin,))
    return len(cells)


def ledger_run(url: str, args: argparse.Namespace, seeding: bool,
               keys: list[tuple[str, str]]) -> dict[str, Any]:
    from cloud_hub.db.database import connect
    from cloud_hub.planning.pg import demand_daily
    from cloud_hub.planning.pg.history import demand_history

    extra: dict[str, Any] = {}
    with connect(url) as conn:
        if seeding:
            if conn.execute("SELECT EXISTS (SELECT 1 FROM moves)").fetchone()[0]:
                raise SystemExit("--seed needs a ledger without moves")
            y = generated(args)
            t = time.perf_counter()
            history = seed_ledger(conn, y, keys, range(0, args.days - 1), bulk=True)
            extra["seed_seconds"] = round(time.perf_counter() - t, 1)
            t = time.perf_counter()
            backfill = demand_daily.refresh(conn)
            conn.execute("VACUUM ANALYZE demand_daily")
            extra["backfill_seconds"] = round(time.perf_counter() - t, 1)
            extra["backfill_cells"] = backfill.cells
            log(f"seeded {history:,} moves in {extra['seed_seconds']}s, backfilled "
                f"{backfill.cells:,} cells in {extra['backfill_seconds']}s")
            t = time.perf_counter()
            tail = seed_ledger(conn, y, keys, range(args.days - 1, args.days))
            extra["seeded_moves"], extra["tail_moves"] = history + tail, tail
            extra["tail_seed_seconds"] = round(time.perf_counter() - t, 1)
            del y
        gc.collect()
        reset_peak()
        t0 = time.perf_counter()
        refreshed = demand_daily.refresh(conn)
        t1 = time.perf_counter()
        hist = demand_daily.read_history(conn, TODAY, args.days)
        t2 = time.perf_counter()
        figures = run(hist.quantities, list(hist.keys))
        extra |= {"series": len(hist.keys), "refresh_seconds": round(t1 - t0, 3),
                  "refreshed_cells": refreshed.cells, "read_seconds": round(t2 - t1, 3),
                  "peak_mb": peak_mb()}
        if args.compare_direct:
            t = time.perf_counter()
            direct = demand_history(conn, TODAY, args.days)
            extra["direct_read_seconds"] = round(time.perf_counter() - t, 3)
            extra["direct_equals_aggregate"] = bool(
                direct.keys == hist.keys and np.allclose(direct.quantities, hist.quantities))
        extra["moves_mb"] = relation_mb(conn, "moves")
        extra["demand_daily_mb"] = relation_mb(conn, "demand_daily")
    core = float(figures.pop("seconds"))
    total = extra["refresh_seconds"] + extra["read_seconds"] + core
    return {"seconds": round(total, 3), "core_seconds": round(core, 3), **extra, **figures}


def relation_mb(conn: Any, name: str) -> float:
    row = conn.execute("SELECT pg_total_relation_size(%s::regclass)", (name,)).fetchone()
    return round(row[0] / 2**20, 1)


# --- the core ---------------------------------------------------------------------------------

def reset_peak() -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run(y: np.ndarray, keys: list[tuple[str, str]]) -> dict[str, Any]:
    n = y.shape[1]
    rng = np.random.default_rng(2)
    t0 = time.perf_counter()
    fc = forecast(y, keys)
    t1 = time.perf_counter()
    inputs = PolicyInputs(lead_time_days=rng.integers(2, 21, n).astype(float),
                          lead_time_sd_days=rng.choice([0.0, 1.5], n),
                          service_level=rng.choice([0.9, 0.95, 0.98], n),
                          unit_cost=rng.gamma(2.0, 10.0, n), pack_size=rng.choice([1, 6, 12], n),
                          min_order=rng.choice([0, 24], n))
    mean = y.mean(axis=0)
    stock = StockArrays(on_hand=np.floor(mean * rng.uniform(0, 30, n)),
                        on_order=np.where(rng.random(n) < 0.1, mean * 10, 0.0))
    result = plan(fc, inputs, stock, TODAY, suppliers=["SUP"] * n)
    t2 = time.perf_counter()
    abc = abc_classes(y.sum(axis=0) * np.asarray(inputs.unit_cost))
    xyz = xyz_classes(demand_cv(y))
    t3 = time.perf_counter()
    kinds: dict[str, int] = {}
    for s in result.suggestions:
        kinds[s.kind.value] = kinds.get(s.kind.value, 0) + 1
    return {
        "forecast_seconds": round(t1 - t0, 3), "policy_and_suggestions_seconds": round(t2 - t1, 3),
        "abc_xyz_seconds": round(t3 - t2, 3), "seconds": round(t3 - t0, 3),
        "suggestions": len(result.suggestions), "by_kind": kinds,
        "patterns": {p.name.lower(): int((fc.pattern == p).sum()) for p in Pattern},
        "models": {m.name.lower(): int((fc.model == m).sum()) for m in Model},
        "abc": {c: int((abc == c).sum()) for c in "ABC"},
        "xyz": {c: int((xyz == c).sum()) for c in "XYZ"},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=100_000, help="SKU × warehouse series")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--warehouses", type=int, default=2)
    ap.add_argument("--in-memory", action="store_true",
                    help="time the core on the synthetic matrix, no ledger")
    ap.add_argument("--ledger-url", help="an existing ledger to read (default: a scratch one, "
                    "seeded, then dropped)")
    ap.add_argument("--seed", action="store_true",
                    help="first write synthetic moves into --ledger-url (it must have none)")
    ap.add_argument("--compare-direct", action="store_true",
                    help="also read the history straight from the moves and compare")
    args = ap.parse_args()
    keys = [(f"SKU{i // args.warehouses:06d}", f"WH{i % args.warehouses + 1}")
            for i in range(args.skus)]
    if args.in_memory:
        figures = run(generated(args), keys)
        out: dict[str, Any] = {"skus": args.skus, "days": args.days,
                               "seconds": figures.pop("seconds"), "peak_mb": peak_mb(),
                               "source": "memory", **figures}
    else:
        if args.ledger_url:
            figures = ledger_run(args.ledger_url, args, args.seed, keys)
        else:
            with scratch_ledger() as url:
                figures = ledger_run(url, args, True, keys)
        # skus: the series with any demand in the ledger (a synthetic SKU may draw none)
        out = {"skus": figures.pop("series"), "days": args.days, "seconds": figures.pop("seconds"),
               "peak_mb": figures.pop("peak_mb"), "source": "ledger",
               "skus_seeded": args.skus, **figures}
    out["process_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
