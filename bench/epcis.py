"""Benchmark: the EPCIS 2.0 export of a large ledger — events per second, peak memory, and
whether every event is valid against GS1's EPCIS 2.0 JSON schema.

A throw-away database on the shared PostgreSQL is seeded with --moves rows straight into
`moves` (the apply path's own bench is bench/ledger_apply.py; this one measures the reader):
a repeating day of a warehouse — a lot received (some SKUs with a GTIN, so LGTINs), put away,
a pallet received, an item picked into it (an AggregationEvent), the pallet shipped. The
export is then run three times over the whole warehouse: timed (events/s), under tracemalloc
(peak MB of Python allocations: flat means constant memory), and validated page by page
against tests/data/epcis/EPCIS-JSON-Schema.json. Prints one JSON line last; `load_average`
says how busy the machine was (events/s is wall time, events/cpu_s the exporter's own CPU,
events/db_cpu_s its PostgreSQL backend's).
The hub's GC tuning is installed, as `serve` does.

    .venv/bin/python bench/epcis.py --moves 200000
    .venv/bin/python bench/epcis.py --keep          # leaves the database (name in `database`)
    .venv/bin/python bench/epcis.py --reuse sp_bench_epcis_1a2b3c4d   # no seeding
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jsonschema_rs  # noqa: E402
import psycopg  # noqa: E402

from cloud_hub.db.database import connect  # noqa: E402
from cloud_hub.epcis.events import DOCUMENT_TAIL, document_head  # noqa: E402
from cloud_hub.epcis.pg.export import export  # noqa: E402
from cloud_hub.epcis.query import EpcisQuery  # noqa: E402
from cloud_hub.ops import gc_pauses  # noqa: E402

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCHEMA = ROOT / "tests" / "data" / "epcis" / "EPCIS-JSON-Schema.json"
WH = "EPB"
CREATED = "2026-01-01T00:00:00Z"
# One cycle of five moves per pallet: seq-free, set-based, so 200k rows take seconds.
SEED = """
INSERT INTO moves (event_id, occurred_at, received_at, warehouse, source_kind, device_id,
                   read_point, unit_key, sku, lot, quantity, stock_status, from_location,
                   to_location, reason, task_id, outcome)
SELECT gen_random_uuid(), t0 + make_interval(secs => i), t0 + make_interval(secs => i + 1),
       %(wh)s, CASE k WHEN 2 THEN 'rfid' ELSE 'pda' END, 'dev-' || (i %% 7),
       CASE k WHEN 2 THEN 'EPB-DOCK' END,
       CASE WHEN k IN (2, 3, 4) THEN 'sscc:' || lpad((c %% 1000000000)::text, 18, '3') END,
       CASE WHEN k IN (0, 1, 3) THEN 'EPB-S' || (c %% 50) END,
       CASE WHEN k IN (0, 1, 3) THEN 'LOT-' || (c %% 997) END,
       CASE WHEN k IN (0, 1) THEN 12 WHEN k = 3 THEN 3 END,
       CASE WHEN k IN (0, 1, 3) THEN 'available' END,
       CASE k WHEN 1 THEN 'EPB-DOCK' WHEN 3 THEN 'EPB-BIN' || (c %% 40) WHEN 4 THEN 'EPB-PACK'
              END,
       CASE k WHEN 0 THEN 'EPB-DOCK' WHEN 1 THEN 'EPB-BIN' || (c %% 40) WHEN 2 THEN 'EPB-PACK'
              WHEN 3 THEN 'EPB-PACK' END,
       (ARRAY['receive','putaway','receive','pick','ship'])[k + 1],
       CASE k WHEN 0 THEN 'receipt:R' || c WHEN 4 THEN 'ship:O' || c END, 'applied'
  FROM (SELECT i, i %% 5 AS k, i / 5 AS c, timestamptz '2026-01-01 00:00:00+00' AS t0
          FROM generate_series(0, %(n)s - 1) AS i) g
"""


def seed(url: str, moves: int) -> None:
    with connect(url) as conn:
        conn.execute("INSERT INTO skus (sku, gtin) SELECT 'EPB-S' || i, "
                     "lpad((4012345000000 + i * 10)::text, 14, '0') FROM generate_series(0, 24) i")
        conn.execute(SEED, {"wh": WH, "n": moves})
        conn.execute("ANALYZE moves")


def backend_cpu(pid: int) -> float:
    """CPU seconds the PostgreSQL backend `pid` has used (Linux /proc; 0 when unreadable):
    with this process's own, what the export costs whatever else the machine runs."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(url: str) -> tuple[int, int, float, float, float]:
    """(events, bytes, seconds, CPU seconds of this process, CPU seconds of the PostgreSQL
    backend) of one export of the whole warehouse."""
    events = size = 0
    with psycopg.connect(url, autocommit=True) as conn:
        pid = conn.info.backend_pid
        start, cpu, db = time.perf_counter(), time.process_time(), backend_cpu(pid)
        for piece in export(lambda: contextlib.nullcontext(conn), EpcisQuery(WH), CREATED):
            size += len(piece)
            events += piece.count(b'"eventID"')
        return (events, size, time.perf_counter() - start, time.process_time() - cpu,
                backend_cpu(pid) - db)


def valid(url: str) -> bool:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()),
                                              validate_formats=True)
    head, ok = document_head(CREATED), True
    with psycopg.connect(url, autocommit=True) as conn:
        for piece in export(lambda: contextlib.nullcontext(conn), EpcisQuery(WH), CREATED):
            if piece.startswith(b"{") or piece == DOCUMENT_TAIL:
                continue  # the document's head and tail: validated around every page below
            document = json.loads(head + piece.lstrip(b",") + DOCUMENT_TAIL)
            ok = ok and validator.is_valid(document)
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--moves", type=int, default=200_000)
    p.add_argument("--keep", action="store_true", help="leave the seeded database in place")
    p.add_argument("--reuse", metavar="NAME", help="export a database --keep left (no seeding)")
    args = p.parse_args()
    if args.reuse is not None and not args.reuse.startswith("sp_bench_epcis_"):
        p.error("--reuse takes a database this bench made (sp_bench_epcis_...)")
    name = args.reuse or f"sp_bench_epcis_{uuid.uuid4().hex[:8]}"
    if args.reuse is None:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    gc_pauses.install()  # the hub's own GC tuning (cloud_hub/ops/gc_pauses.py), as it serves
    try:
        if args.reuse is None:
            seed(url, args.moves)
        else:
            with psycopg.connect(url) as conn:
                args.moves = conn.execute("SELECT count(*) FROM moves").fetchone()[0]  # type: ignore[index]
        events, size, seconds, cpu, db_cpu = run(url)
        tracemalloc.start()
        run(url)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        figures = {"moves": args.moves, "epcis_events": events,
                   "epcis_events_per_s": round(events / seconds),
                   # the exporter's own CPU: what the rate is on a core nobody else uses
                   "epcis_events_per_cpu_s": round(events / cpu),
                   # ... and with PostgreSQL's: the rate on two cores nobody else uses is
                   # about the smaller of the two sides (the next page is read meanwhile)
                   "epcis_events_per_db_cpu_s": round(events / db_cpu) if db_cpu else None,
                   "load_average": round(os.getloadavg()[0], 1),
                   "epcis_mb": round(size / 1e6, 1),
                   "epcis_peak_mb": round(peak / 1e6, 2), "epcis_schema_valid": valid(url)}
    finally:
        if not args.keep and args.reuse is None:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if args.keep or args.reuse is not None:
        figures["database"] = name
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
