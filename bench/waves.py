"""Benchmark: building a wave (1,000 orders × 5 lines over 50,000 SKUs / 20,000 bins, FEFO lots,
serpentine path) in the pure core, and reservations per second with 8 concurrent clients on
the real PostgreSQL. Prints one JSON line last.

    .venv/bin/python bench/waves.py [--orders 1000] [--clients 8] [--reservations 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_hub.work.model import Bin, StockLine
from cloud_hub.work.orders import Order, OrderLine
from cloud_hub.work.picking import (
    LotPolicy,
    WaveBy,
    WaveRule,
    allocate,
    index_stock,
    path_length,
    select_orders,
)

TODAY = date(2026, 6, 1)
T0 = datetime(2026, 6, 1, tzinfo=UTC)


def synthetic_site(skus: int, bins: int, seed: int) -> tuple[dict[str, Bin], list[StockLine]]:
    rng = random.Random(seed)
    per_aisle = 100
    site = {}
    for i in range(bins):
        aisle, bay = divmod(i, per_aisle)
        code = f"B{aisle:03d}-{bay:03d}"
        site[code] = Bin(code, "WH", x=aisle * 3.0, y=bay * 1.2, aisle=aisle, bay=bay)
    codes = list(site)
    stock = []
    for s in range(skus):
        for lot in range(rng.randint(1, 3)):
            stock.append(StockLine(
                rng.choice(codes), f"S{s:05d}", f"L{lot}", Decimal(rng.randint(5, 60)),
                expiry=TODAY + timedelta(days=rng.randint(-10, 400)),
                received_at=T0 - timedelta(days=rng.randint(0, 200))))
    return site, stock


def bench_wave(n_orders: int, lines: int, skus: int, bins: int) -> dict[str, float]:
    site, stock = synthetic_site(skus, bins, 7)
    rng = random.Random(11)
    orders = [Order(f"O{i:05d}", "WH", tuple(OrderLine(n + 1, f"S{rng.randrange(skus):05d}",
                                                       Decimal(rng.randint(1, 6)))
                                             for n in range(lines)),
                    cutoff=T0 + timedelta(hours=rng.randint(1, 12)))
              for i in range(n_orders)]
    started = time.perf_counter()
    chosen = select_orders(orders, WaveRule(WaveBy.CUTOFF, n_orders))
    wanted = {ln.sku for o in chosen for ln in o.lines}
    indexed = index_stock((s for s in stock if s.sku in wanted), LotPolicy.FEFO, TODAY)
    plan = allocate(chosen, indexed, site)
    seconds = time.perf_counter() - started
    naive = sorted(plan.lines, key=lambda p: (p.order_id, p.line_no))
    return {"wave_seconds": round(seconds, 3), "wave_pick_lines": len(plan.lines),
            "wave_shortfalls": len(plan.shortfalls), "wave_orders": len(chosen),
            "stock_lines": len(stock),
            "walk_m": round(path_length(plan.lines, site)),
            "walk_m_order_by_order": round(path_length(naive, site))}


def bench_reservations(clients: int, total: int) -> dict[str, float]:
    import psycopg

    from cloud_hub.db.database import connect
    from cloud_hub.work.pg.orders import create_order
    from tests.work.site import WH, build_site, stock

    admin = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        n_skus = 200
        with connect(url) as conn:
            build_site(conn)
            for s in range(n_skus):
                stock(conn, f"P{s:03d}", 10_000, "A1-01")
        per_client = total // clients
        barrier = threading.Barrier(clients)
        reserved = [Decimal(0)] * clients

        def client(k: int) -> None:
            rng = random.Random(k)
            with connect(url, migrate_schema=False) as conn:
                barrier.wait(timeout=60)
                for i in range(per_client):
                    order = Order(f"C{k}-{i}", WH, tuple(
                        OrderLine(n + 1, f"P{rng.randrange(n_skus):03d}", Decimal(1))
                        for n in range(rng.randint(1, 3))))
                    reserved[k] += sum((r.reserved for r in create_order(conn, order)),
                                       Decimal(0))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        seconds = time.perf_counter() - started
        done = per_client * clients
        with connect(url, migrate_schema=False) as conn:
            held = conn.execute("SELECT sum(reserved) FROM work_order_lines").fetchone()
        return {"reservations_per_s": round(done / seconds, 1), "reservation_orders": done,
                "reservation_clients": clients,
                "reservations_exact": bool(held and held[0] == sum(reserved))}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--orders", type=int, default=1000)
    p.add_argument("--lines", type=int, default=5)
    p.add_argument("--skus", type=int, default=50_000)
    p.add_argument("--bins", type=int, default=20_000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--reservations", type=int, default=2000)
    p.add_argument("--no-db", action="store_true", help="skip the PostgreSQL part")
    args = p.parse_args()
    out: dict[str, object] = bench_wave(args.orders, args.lines, args.skus, args.bins)
    print(f"wave: {out}", file=sys.stderr)
    if not args.no_db:
        out.update(bench_reservations(args.clients, args.reservations))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
