"""Benchmark: onboarding imports at size — --skus SKUs from an XLSX file, then --opening rows
of opening stock from a CSV file (each row its own location × SKU × lot), each timed as
`python -m cloud_hub import` runs it (read, check, plan, write all or nothing in one
transaction, the opening stock as ledger moves through ApplyService). Generating the files and
the --locations bins is not timed. A throw-away database. Prints one JSON line.

    .venv/bin/python bench/imports.py                      # 100k SKUs, 500k opening rows
    .venv/bin/python bench/imports.py --skus 10000 --opening 50000

Then the webhook part (bench/webhooks.py, --webhook-events moves to a receiver in its own
process, killed with SIGKILL halfway and restarted --down-s later): deliveries per second,
lost, duplicated. --webhook-events 0 leaves it out (null).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402

from bench.webhooks import measure as measure_webhooks  # noqa: E402
from cloud_hub.db.database import connect, open_pool  # noqa: E402
from cloud_hub.imports.pg.command import batch_gc  # noqa: E402
from cloud_hub.imports.pg.run import ImportFile, run_import  # noqa: E402
from cloud_hub.ledger.pg.apply import ApplyService  # noqa: E402
from tests.conftest import scratch_database  # noqa: E402


def sku_file(path: Path, n: int) -> Path:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("skus")
    sheet.append(["sku", "name", "base_uom", "lot_tracked", "serial_tracked", "expiry_tracked",
                  "category", "weight_kg"])
    for i in range(n):
        sheet.append([f"SKU-{i:07d}", f"Item number {i}", "EA", "yes", "no", "no",
                      f"cat-{i % 50}", round(0.1 + (i % 97) / 10, 2)])
    book.save(path)
    return path


def opening_file(path: Path, rows: int, skus: int, locations: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["sku", "location", "quantity", "lot", "cost"])
        for i in range(rows):
            out.writerow([f"SKU-{i % skus:07d}", f"BIN-{i % locations:05d}", 1 + i % 40,
                          f"L{i}",
                          "1.25"])
    return path


def timed(conn, apply, kind: str, path: Path) -> tuple[float, dict[str, object]]:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with batch_gc():  # as the CLI runs it
        report = run_import(conn, apply, ImportFile(kind, path, path.name, "bench"),
                            datetime.now(UTC))
    seconds = time.perf_counter() - started
    summary = report.summary()
    assert not report.errors, summary["errors"][:5]  # type: ignore[index]
    return seconds, summary


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skus", type=int, default=100_000)
    p.add_argument("--opening", type=int, default=500_000)
    p.add_argument("--locations", type=int, default=5_000)
    p.add_argument("--webhook-events", type=int, default=20_000)
    p.add_argument("--down-s", type=float, default=3.0)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as url:
        skus = sku_file(Path(tmp) / "skus.xlsx", args.skus)
        opening = opening_file(Path(tmp) / "opening.csv", args.opening, args.skus,
                               args.locations)
        sizes = [round(f.stat().st_size / 1e6, 1) for f in (skus, opening)]
        with connect(url) as conn:
            conn.execute("INSERT INTO warehouses (code) VALUES ('WH1')")
            conn.cursor().executemany(
                "INSERT INTO locations (code, warehouse, kind) VALUES (%s, 'WH1', 'bin')",
                [(f"BIN-{i:05d}",) for i in range(args.locations)])
        pool = open_pool(url, 1, 2)
        apply = ApplyService(pool)
        try:
            with pool.connection() as conn:
                sku_seconds, sku_summary = timed(conn, None, "skus", skus)
                open_seconds, open_summary = timed(conn, apply, "opening_stock", opening)
                with conn.cursor() as cur:
                    moves = cur.execute("SELECT count(*) FROM moves").fetchone()
        finally:
            apply.close()
            pool.close()
    hooks: dict[str, object] = {"webhook_deliveries_per_s": None, "webhook_lost": None,
                                "webhook_duplicates": None}
    if args.webhook_events > 0:
        hooks = measure_webhooks(args.webhook_events, args.down_s)
    print(json.dumps({
        "sku_rows": sku_summary["rows"], "sku_import_seconds": round(sku_seconds, 2),
        "sku_file": "xlsx", "sku_file_mb": sizes[0],
        "opening_stock_rows": open_summary["rows"],
        "opening_stock_seconds": round(open_seconds, 2), "opening_stock_file": "csv",
        "opening_file_mb": sizes[1],
        "opening_moves": moves[0] if moves else None,
        **hooks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
