"""Benchmark: forecasts, policies and replenishment suggestions for many SKUs at once.

    python bench/replenish.py --skus 100000 --days 365
    python bench/replenish.py --skus 10000 --days 365 --ledger-url postgresql://... --seed

Prints progress lines, then ONE JSON line last: {"skus", "seconds", "peak_mb", ...}; peak_mb is
the process's peak RSS (input_peak_mb: before planning started). `seconds`
is forecast + policy + suggestions (+ ABC/XYZ) on the demand matrix; with --ledger-url the
demand is read from the ledger's moves (SQL date_bin) and that read is timed as well.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_hub.planning.classify import abc_classes, demand_cv, xyz_classes
from cloud_hub.planning.forecast import Model, Pattern, forecast
from cloud_hub.planning.policy import PolicyInputs
from cloud_hub.planning.replenish import StockArrays, plan

TODAY = date(2026, 1, 1)


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


def seed_ledger(url: str, y: np.ndarray, keys: list[tuple[str, str]]) -> int:
    """Write the matrix as pick moves (bin → out) straight into `moves` with COPY: enough for
    the demand query; not the apply path (that has its own benchmark)."""
    import psycopg
    from psycopg.types.json import Jsonb

    from cloud_hub.storage.catalog import Location, upsert_locations
    from cloud_hub.storage.database import connect

    with connect(url) as conn:
        whs = sorted({wh for _, wh in keys})
        upsert_locations(conn, [Location(f"BENCH-{wh}-BIN", wh, "bin") for wh in whs])
        days = y.shape[0]
        origin = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC) - timedelta(days=days)
        rows = 0
        with conn.cursor() as cur, cur.copy(
                "COPY moves (event_id, occurred_at, warehouse, source_kind, device_id, sku, "
                "quantity, from_location, reason, outcome, payload) FROM STDIN") as copy:
            for d in range(days):
                when = origin + timedelta(days=d, hours=10)
                for i in np.flatnonzero(y[d]):
                    sku, wh = keys[i]
                    copy.write_row((uuid.uuid4(), when, wh, "system", "bench", sku,
                                    float(y[d, i]), f"BENCH-{wh}-BIN", "pick", "applied",
                                    Jsonb({})))
                    rows += 1
        conn.execute("ANALYZE moves")
    del psycopg
    return rows


def run(y: np.ndarray, keys: list[tuple[str, str]]) -> dict[str, float | int]:
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
        "suggestions": len(result.suggestions), "by_kind": kinds,  # type: ignore[dict-item]
        "patterns": {p.name.lower(): int((fc.pattern == p).sum()) for p in Pattern},  # type: ignore[dict-item]
        "models": {m.name.lower(): int((fc.model == m).sum()) for m in Model},  # type: ignore[dict-item]
        "abc": {c: int((abc == c).sum()) for c in "ABC"},  # type: ignore[dict-item]
        "xyz": {c: int((xyz == c).sum()) for c in "XYZ"},  # type: ignore[dict-item]
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skus", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--warehouses", type=int, default=2)
    ap.add_argument("--ledger-url", help="read demand from this ledger (PostgreSQL URL)")
    ap.add_argument("--seed", action="store_true", help="first write synthetic moves there")
    args = ap.parse_args()
    keys = [(f"SKU{i // args.warehouses:06d}", f"WH{i % args.warehouses + 1}")
            for i in range(args.skus)]
    t = time.perf_counter()
    y = synthetic_demand(args.skus, args.days)
    print(f"generated {args.skus} × {args.days} demand matrix in "
          f"{time.perf_counter() - t:.1f}s", file=sys.stderr)
    extra: dict[str, object] = {}
    if args.ledger_url:
        import psycopg

        from cloud_hub.planning.history import demand_history
        if args.seed:
            t = time.perf_counter()
            extra["seeded_moves"] = seed_ledger(args.ledger_url, y, keys)
            extra["seed_seconds"] = round(time.perf_counter() - t, 2)
        del y
        t = time.perf_counter()
        with psycopg.connect(args.ledger_url) as conn:
            hist = demand_history(conn, TODAY, args.days)
        extra["ledger_read_seconds"] = round(time.perf_counter() - t, 3)
        y, keys = hist.quantities, list(hist.keys)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = run(y, keys)
    total = float(figures["seconds"]) + float(extra.get("ledger_read_seconds", 0.0))  # type: ignore[arg-type]
    figures["core_seconds"] = figures.pop("seconds")
    print(json.dumps({
        "skus": len(keys), "days": args.days, "seconds": round(total, 3),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "input_peak_mb": round(rss_before, 1), "source":
        "ledger" if args.ledger_url else "synthetic", **extra, **figures}))


if __name__ == "__main__":
    main()
