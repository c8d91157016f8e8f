"""Benchmark: trace latency over a large ledger — a lot with ~10,000 touching moves spread over
2,000 pallets, and ordinary lots among millions of moves.

A throw-away database on the shared PostgreSQL is seeded straight into `moves` (set-based; the
apply path's own bench is bench/ledger_apply.py): --moves background moves in cycles of five
(a lot received loose, put away, a pallet received declaring its contents, an item packed into
it, the pallet shipped), then the hot lot: per pallet, received declaring 10 of HOT, put away,
moved, 4 picked out of it, 4 shipped — 5 moves a pallet, its balances at 1,000 locations.
Each trace is `trace_report` + the JSON shape (what GET /api/v1/trace answers, without HTTP),
direction both, default page (1,000 steps). Prints one JSON line last; `load_average` says how
busy the shared machine was, and `hot_cpu_ms_p50` / `hot_db_cpu_ms_mean` what a hot trace cost
in CPU (this process's, PostgreSQL's) whatever else ran. The hub's GC tuning is installed, as
`serve` does.

The line carries the issue's keys: `recall_seconds` is bench/recall.py's figure and the `epcis_*`
figures bench/epcis.py's (each run as its own process, on its own throw-away database: the
recall through a real hub, the export at its default size); `--trace-only` skips both and
reports them null with the reason in `skipped`. Seeding millions of moves takes minutes:
`--keep` leaves the database in place (its name in `database`), `--reuse NAME` traces it again.

    .venv/bin/python bench/trace.py --moves 5000000
    .venv/bin/python bench/trace.py --moves 1000000 --keep --trace-only
    .venv/bin/python bench/trace.py --reuse sp_bench_trace_1a2b3c4d --trace-only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import orjson  # noqa: E402
import psycopg  # noqa: E402

from cloud_hub.db.database import connect  # noqa: E402
from cloud_hub.ops import gc_pauses  # noqa: E402
from cloud_hub.trace.model import Direction  # noqa: E402
from cloud_hub.trace.pg.report import trace_report  # noqa: E402
from cloud_hub.trace.shape import report_json  # noqa: E402

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WH = "TRB"
LOTS = 99_991  # background lot codes; each names one SKU
PALLET0 = 800_000_000_000_000_000  # the hot lot's pallets: sscc:<PALLET0 + n>
BACKGROUND = """
INSERT INTO moves (event_id, occurred_at, received_at, warehouse, source_kind, device_id,
                   unit_key, sku, lot, quantity, stock_status, from_location, to_location,
                   reason, task_id, outcome, payload)
SELECT gen_random_uuid(), t0 + make_interval(secs => i), t0 + make_interval(secs => i + 1),
       %(wh)s, 'pda', 'dev-' || (i %% 7),
       CASE WHEN k IN (2, 3, 4) THEN 'sscc:' || (300000000000000000 + c)::text END,
       CASE WHEN k IN (0, 1, 3) THEN 'S' || (c %% %(lots)s %% 50) END,
       CASE WHEN k IN (0, 1, 3) THEN 'LOT-' || (c %% %(lots)s) END,
       CASE WHEN k IN (0, 1) THEN 12 WHEN k = 3 THEN 3 END,
       CASE WHEN k IN (0, 1, 3) THEN 'available' END,
       CASE k WHEN 1 THEN 'DOCK' WHEN 3 THEN 'BIN' || (c %% 400) WHEN 4 THEN 'PACK' END,
       CASE k WHEN 0 THEN 'DOCK' WHEN 1 THEN 'BIN' || (c %% 400) WHEN 2 THEN 'PACK'
              WHEN 3 THEN 'PACK' END,
       (ARRAY['receive','putaway','receive','pick','ship'])[k + 1],
       CASE k WHEN 0 THEN 'receipt:R' || c WHEN 4 THEN 'ship:O' || c END, 'applied',
       CASE k WHEN 2 THEN json_build_object('contents', json_build_array(json_build_object(
           'sku', 'S' || ((c + 1) %% %(lots)s %% 50), 'lot', 'LOT-' || ((c + 1) %% %(lots)s),
           'quantity', 5))) END
  FROM (SELECT i, i %% 5 AS k, i / 5 AS c, timestamptz '2026-01-01 00:00:00+00' AS t0
          FROM generate_series(0, %(n)s - 1) AS i) g
"""
HOT = """
INSERT INTO moves (event_id, occurred_at, received_at, warehouse, source_kind, device_id,
                   unit_key, sku, lot, quantity, stock_status, from_location, to_location,
                   reason, task_id, outcome, payload)
SELECT gen_random_uuid(), t0 + make_interval(secs => i * 7), t0 + make_interval(secs => i * 7),
       %(wh)s, 'pda', 'dev-1',
       CASE WHEN k IN (0, 1, 2, 3) THEN 'sscc:' || (800000000000000000 + p)::text END,
       CASE WHEN k IN (3, 4) THEN 'HS' END, CASE WHEN k IN (3, 4) THEN 'HOT' END,
       CASE WHEN k IN (3, 4) THEN 4 END, CASE WHEN k IN (3, 4) THEN 'available' END,
       CASE k WHEN 1 THEN 'DOCK' WHEN 2 THEN 'HB' || (p %% 1000) WHEN 3 THEN 'HC' || (p %% 1000)
              WHEN 4 THEN 'PACK' END,
       CASE k WHEN 0 THEN 'DOCK' WHEN 1 THEN 'HB' || (p %% 1000) WHEN 2 THEN 'HC' || (p %% 1000)
              WHEN 3 THEN 'PACK' END,
       (ARRAY['receive','putaway','transfer','pick','ship'])[k + 1],
       CASE k WHEN 0 THEN 'receipt:H' || (p / 100) WHEN 4 THEN 'ship:HO' || p END, 'applied',
       CASE k WHEN 0 THEN json '{"contents": [{"sku": "HS", "lot": "HOT", "quantity": 10}]}' END
  FROM (SELECT i, i %% 5 AS k, i / 5 AS p, timestamptz '2026-02-01 00:00:00+00' AS t0
          FROM generate_series(0, %(pallets)s * 5 - 1) AS i) g
"""
NOW = """
INSERT INTO balances (location, sku, lot, status, warehouse, quantity)
SELECT 'HC' || i, 'HS', 'HOT', 'available', %(wh)s, 12 FROM generate_series(0, 999) i;
INSERT INTO units (unit_key, warehouse, location, since, last_event)
SELECT 'sscc:' || (800000000000000000 + p)::text, %(wh)s, 'HC' || (p %% 1000), now(),
       gen_random_uuid() FROM generate_series(0, %(pallets)s - 1) p;
INSERT INTO unit_contents (unit_key, sku, lot, status, quantity)
SELECT 'sscc:' || (800000000000000000 + p)::text, 'HS', 'HOT', 'available', 6
  FROM generate_series(0, %(pallets)s - 1) p;
"""


def seed(url: str, moves: int, pallets: int) -> None:
    with connect(url) as conn:
        conn.execute(BACKGROUND, {"wh": WH, "n": moves, "lots": LOTS})
        conn.execute(HOT, {"wh": WH, "pallets": pallets})
        for statement in NOW.split(";"):
            if statement.strip():
                conn.execute(statement, {"wh": WH, "pallets": pallets})
        conn.execute("ANALYZE")


def backend_cpu(pid: int) -> float:
    """CPU seconds the PostgreSQL backend `pid` has used (Linux /proc; 0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CPU: list[tuple[float, float]] = []  # per hot trace: (this process's, the backend's) CPU ms


def timed(conn: psycopg.Connection, **what: str) -> tuple[float, int]:
    pid = conn.info.backend_pid
    start, cpu, db = time.perf_counter(), time.process_time(), backend_cpu(pid)
    report = trace_report(conn, WH, direction=Direction.BOTH, **what)  # type: ignore[arg-type]
    assert report is not None, what
    body = report_json(report, 1_000)
    orjson.dumps(body)  # as the route encodes it
    took = (time.perf_counter() - start) * 1000
    if what.get("lot") == "HOT":
        CPU.append(((time.process_time() - cpu) * 1000, (backend_cpu(pid) - db) * 1000))
    return took, body["page"]["total_steps"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def companion(script: str, key: str) -> dict[str, object]:
    """The last JSON line another bench prints (run as its own process); {} when it failed."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script)], capture_output=True,
                          text=True, check=False, cwd=ROOT)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        print(f"{script} failed: {done.stderr[-2000:]}", file=sys.stderr)
        return {}
    figures: dict[str, object] = json.loads(lines[-1])
    return figures if key in figures else {}


def seeded_moves(url: str) -> int:
    with connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM moves").fetchone()
    return int(row[0]) if row else 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--moves", type=int, default=5_000_000)
    p.add_argument("--pallets", type=int, default=2_000, help="pallets of the hot lot")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--keep", action="store_true", help="leave the seeded database in place")
    p.add_argument("--reuse", metavar="NAME", help="trace a database --keep left (no seeding)")
    p.add_argument("--trace-only", action="store_true",
                   help="skip bench/recall.py and bench/epcis.py (their figures null)")
    args = p.parse_args()
    if args.reuse is not None and not args.reuse.startswith("sp_bench_trace_"):
        p.error("--reuse takes a database this bench made (sp_bench_trace_...)")
    name = args.reuse or f"sp_bench_trace_{uuid.uuid4().hex[:8]}"
    if args.reuse is None:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        started = time.perf_counter()
        if args.reuse is None:
            seed(url, args.moves, args.pallets)
        seeded = time.perf_counter() - started
        total = seeded_moves(url)
        args.moves = total - args.pallets * 5
        gc_pauses.install()  # the hub's own GC tuning (cloud_hub/ops/gc_pauses.py), as it serves
        rng = random.Random(21)
        with psycopg.connect(url) as conn:
            timed(conn, lot="HOT")  # warm the cache once
            hot = [timed(conn, lot="HOT") for _ in range(args.runs)]
            hot_sku = [timed(conn, lot="HOT", sku="HS") for _ in range(args.runs)]
            lots = min(LOTS, args.moves // 5)
            small = [timed(conn, lot=f"LOT-{rng.randrange(lots)}") for _ in range(args.runs)]
            units = [timed(conn, unit=f"sscc:{PALLET0 + rng.randrange(args.pallets)}")
                     for _ in range(args.runs)]
            truncated = trace_report(conn, WH, lot="HOT")
        hot_ms = [ms for ms, _ in hot] + [ms for ms, _ in hot_sku]
        figures = {
            "moves": total, "seed_seconds": round(seeded, 1) if args.reuse is None else None,
            "hot_lot_touching_moves": hot[0][1],
            "trace_ms_p50": round(statistics.median(hot_ms), 1),
            "trace_ms_p99": round(percentile(hot_ms, 0.99), 1),
            "small_lot_ms_p50": round(statistics.median(ms for ms, _ in small), 1),
            "small_lot_ms_p99": round(percentile([ms for ms, _ in small], 0.99), 1),
            "small_lot_steps_median": statistics.median(n for _, n in small),
            "unit_ms_p50": round(statistics.median(ms for ms, _ in units), 1),
            "unit_ms_p99": round(percentile([ms for ms, _ in units], 0.99), 1),
            "hot_truncated": truncated is not None and truncated.trace.truncated,
            # what a hot trace costs whatever else the machine runs: this process's CPU and
            # PostgreSQL's (the backend's, /proc), in ms (the backend's in clock ticks: 10 ms)
            "hot_cpu_ms_p50": round(statistics.median(c for c, _ in CPU), 1),
            "hot_db_cpu_ms_mean": round(statistics.fmean(d for _, d in CPU), 1),
            "load_average": round(os.getloadavg()[0], 1), "runs": args.runs}
    finally:
        if not args.keep and args.reuse is None:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.keep or args.reuse is not None:
        figures["database"] = name
    skipped: dict[str, str] = {}
    recall = {} if args.trace_only else companion("recall.py", "recall_seconds")
    epcis = {} if args.trace_only else companion("epcis.py", "epcis_events_per_s")
    for script, got in (("recall.py", recall), ("epcis.py", epcis)):
        if not got:
            skipped[script] = "--trace-only" if args.trace_only else "failed (stderr)"
    figures |= {"recall_seconds": recall.get("recall_seconds"),
                "epcis_events_per_s": epcis.get("epcis_events_per_s"),
                "epcis_schema_valid": epcis.get("epcis_schema_valid"),
                "epcis_peak_mb": epcis.get("epcis_peak_mb"), "skipped": skipped}
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
