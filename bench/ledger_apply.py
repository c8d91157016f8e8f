"""Benchmark: synthetic moves through apply_batch (the hub's apply path) on real PostgreSQL.

Prints one JSON line last: {"events", "seconds", "events_per_s", "duplicates_ignored",
"rebuild_ok", ...}. Uses a throw-away database on TEST_PG_ADMIN_URL (default: loopback).
The process runs as the hub's does: the apply pipeline (unless --plain) and the hub's garbage
collector policy (unless --no-gc-freeze). cpu_us_per_event splits the CPU between this process
and its PostgreSQL backends (read from /proc: the server must run on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger import BatchResult
from cloud_hub.ledger.pg.cache import LedgerCache
from cloud_hub.ledger.pg.pipeline import WRITERS, LedgerPipeline
from cloud_hub.ledger.pg.rebuild import check_consistency
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.ops import gc_pauses
from protocol import ItemLine, Source, StockMoved, UnitRef

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic(n: int, skus: int, locations: int, seed: int) -> list[StockMoved]:
    """Receipts, transfers and picks of loose stock (90%) and pallet moves (10%)."""
    rng = random.Random(seed)
    locs = [f"L{i:05d}" for i in range(locations)]
    src = Source(kind="barcode", device_id="bench")
    moves: list[StockMoved] = []
    stock: list[tuple[str, str]] = []  # (location, sku) known to hold something
    units: dict[str, str] = {}
    for i in range(n):
        t = T0 + timedelta(milliseconds=i * 10)
        roll = rng.random()
        if roll < 0.10:
            key = rng.choice(list(units)) if units and rng.random() < 0.7 else \
                f"{rng.randrange(10**17):018d}"
            to = rng.choice(locs)
            contents = () if key in units else (ItemLine(sku=f"SKU{rng.randrange(skus)}",
                                                         quantity=Decimal(rng.randint(10, 50))),)
            moves.append(StockMoved(event_id=uuid.uuid4(), occurred_at=t, warehouse="BENCH",
                                    source=src, unit=UnitRef(sscc=key), contents=contents,
                                    from_location=units.get(key), to_location=to,
                                    reason="transfer"))
            units[key] = to
            continue
        if roll < 0.55 or not stock:
            loc, sku = rng.choice(locs), f"SKU{rng.randrange(skus)}"
            frm, qty = None, rng.randint(5, 50)
            stock.append((loc, sku))
            to = loc
        else:
            frm, sku = stock[rng.randrange(len(stock))]
            qty = rng.randint(1, 3)
            to = rng.choice([*locs[:50], None])
        moves.append(StockMoved(event_id=uuid.uuid4(), occurred_at=t, warehouse="BENCH",
                                source=src, item=ItemLine(sku=sku, quantity=Decimal(qty)),
                                from_location=frm, to_location=to,
                                reason="receive" if frm is None else "pick"))
    return moves


def backend_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) the given PostgreSQL backends used so far, from /proc
    (the server runs on this machine in the bench's set-up; 0.0 when it cannot be read)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Progress:
    """Prints the rate and CPU per event of each stretch of `every` events to stderr."""

    def __init__(self, every: int, backends: list[int]) -> None:
        self.every, self.backends = every, backends
        self.done = self.mark_done = 0
        self.mark = self._now()

    def _now(self) -> tuple[float, float, float]:
        return time.perf_counter(), time.process_time(), backend_cpu_s(self.backends)

    def batch_done(self, events: int) -> None:
        self.done += events
        if not self.every or self.done - self.mark_done < self.every:
            return
        now, n = self._now(), self.done - self.mark_done
        wall, python, pg = (b - a for a, b in zip(self.mark, now, strict=True))
        print(json.dumps({"events_done": self.done, "events_per_s": round(n / wall),
                          "cpu_us_per_event": {"python": round(python / n * 1e6, 1),
                                               "postgres": round(pg / n * 1e6, 1)}}),
              file=sys.stderr, flush=True)
        self.mark, self.mark_done = now, self.done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--skus", type=int, default=5_000)
    ap.add_argument("--locations", type=int, default=2_000)
    ap.add_argument("--batch", type=int, default=1_000)
    ap.add_argument("--redeliver", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-gc-freeze", action="store_true",
                    help="leave CPython's garbage collector as it is (the hub freezes the "
                    "survivors of full collections: cloud_hub/ops/gc_pauses.py)")
    ap.add_argument("--writers", type=int, default=WRITERS,
                    help="writer connections of the pipeline (overlapping consecutive batches)")
    ap.add_argument("--plain", action="store_true",
                    help="apply batch after batch with apply_batch, without the pipeline")
    ap.add_argument("--progress", type=int, default=0, metavar="EVENTS",
                    help="also print a JSON line to stderr every EVENTS applied events: the "
                    "rate and CPU per event of that stretch (how the rate moves as tables grow)")
    args = ap.parse_args()
    if not args.no_gc_freeze:  # as `python -m cloud_hub serve` does
        gc_pauses.install()
    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        moves = synthetic(args.events, args.skus, args.locations, args.seed)
        rng = random.Random(args.seed + 1)
        with connect(url) as conn:
            upsert_locations(conn, [Location(f"L{i:05d}", "BENCH", "bin")
                                    for i in range(args.locations)])
            batches = []
            for i in range(0, len(moves), args.batch):
                chunk = moves[i:i + args.batch]
                again = rng.sample(moves[:i + len(chunk)], int(len(chunk) * args.redeliver))
                batches.append(chunk + again)
            totals = {"duplicates": 0, "applied": 0, "rejected": 0}
            errors: list[BaseException] = []

            def count(result: BatchResult | BaseException) -> None:
                if isinstance(result, BaseException):
                    errors.append(result)
                    return
                totals["duplicates"] += len(result.duplicates)
                totals["applied"] += result.applied + result.late
                totals["rejected"] += result.rejected
                progress.batch_done(len(result.outcomes))  # new events, as events_per_s counts

            backends: list[int] = []

            def opened() -> psycopg.Connection:
                new = connect(url)
                backends.append(new.info.backend_pid)
                return new

            started, cpu0 = time.perf_counter(), time.process_time()
            stats: dict[str, int] = {}
            if args.plain:
                cache = LedgerCache()  # as the hub holds one
                backends.append(conn.info.backend_pid)
                pg0 = backend_cpu_s(backends)
                progress = Progress(args.progress, backends)
                for batch in batches:
                    count(apply_batch(conn, batch, "bench", cache))
            else:  # the hub's path: the next batch is decided while this one is written
                pg0 = 0.0  # its connections open inside the timed part
                progress = Progress(args.progress, backends)
                pipeline = LedgerPipeline(opened, writers=args.writers)
                for batch in batches:
                    pipeline.submit(batch, "bench", count)
                pipeline.flush()
                stats = dict(pipeline.stats)
            seconds = time.perf_counter() - started
            python_cpu = time.process_time() - cpu0
            pg_cpu = backend_cpu_s(backends) - pg0
            if not args.plain:
                pipeline.close()
            if errors:
                raise errors[0]
            check_started = time.perf_counter()
            report = check_consistency(conn)
            check_s = time.perf_counter() - check_started
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps({"events": args.events, "seconds": round(seconds, 3),
                      "events_per_s": round(args.events / seconds),
                      "duplicates_ignored": totals["duplicates"],
                      "applied": totals["applied"], "rejected": totals["rejected"],
                      "batch": args.batch, "mode": "plain" if args.plain else "pipeline",
                      "writers": None if args.plain else args.writers,
                      "gc_freeze": not args.no_gc_freeze,
                      "pipeline": stats,
                      # CPU per event in this process and in its PostgreSQL backends
                      "cpu_us_per_event": {"python": round(python_cpu / args.events * 1e6, 1),
                                           "postgres": round(pg_cpu / args.events * 1e6, 1)},
                      "rebuild_ok": report.ok, "rebuild_check_s": round(check_s, 2)}))


if __name__ == "__main__":
    main()
