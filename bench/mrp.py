"""Benchmark: MRP over synthetic BOMs (cloud_hub.mrp, the pure core).

    python bench/mrp.py                      # 20,000 end items, 6 levels, ~200,000 BOM lines
    python bench/mrp.py --end-items 2000     # the same shape, a tenth of the size

Items: the end items, then 8,000 / 5,000 / 3,000 / 2,000 / 1,500 components in levels 1-5
(scaled with --end-items), ~5 lines a parent (4 for level 4), one parent in ten with a second
revision from mid-horizon, 5 % phantoms, every lot rule; random on hand, allocations, safety
stock, open orders (scheduled receipts) and end-item demand in 52 weekly buckets.
mrp_seconds is one plan() with MRP records kept, the cyclic GC paused (--gc: on); generation
is reported apart. The reference
(tests/mrp/reference.py) runs on a sample of --sample end items with everything below them,
against plan() on the same sample. Prints ONE JSON line last.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloud_hub.mrp.netting import pegging_gaps, plan
from tests.mrp.reference import reference_orders
from tests.mrp.synthetic import generate

LEVELS = (8000, 5000, 3000, 2000, 1500)  # per 20,000 end items
LINES = (5, 5, 5, 5, 4)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--end-items", type=int, default=20000)
    ap.add_argument("--buckets", type=int, default=52)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=27)
    ap.add_argument("--gc", action="store_true", help="keep the cyclic GC on during plan()")
    args = ap.parse_args()
    scale = args.end_items / 20000
    t0 = time.perf_counter()
    problem = generate(args.seed, args.end_items, [max(1, round(n * scale)) for n in LEVELS],
                       LINES, args.buckets)
    boms = problem.boms()
    generate_seconds = time.perf_counter() - t0

    # plan() makes no reference cycles but millions of small tuples (pegs, requirements): the
    # cyclic collector would re-scan them again and again (≈ 2.7× the run time at 1/5 size), so
    # it is paused for the run, as an adapter calling plan() may do too (--gc keeps it on)
    gc.collect()
    if not args.gc:
        gc.disable()
    t0 = time.perf_counter()
    result = plan(boms, problem.items, problem.demands, problem.receipts, problem.horizon)
    mrp_seconds = time.perf_counter() - t0
    gc.enable()
    gaps = pegging_gaps(result)

    rng = random.Random(args.seed)
    sample = problem.sample(rng.sample(problem.end_items, args.sample))
    t0 = time.perf_counter()
    sample_boms = sample.boms()
    fast = plan(sample_boms, sample.items, sample.demands, sample.receipts, sample.horizon)
    slow = reference_orders(sample_boms, sample.items, sample.demands, sample.receipts,
                            sample.horizon)
    reference_seconds = time.perf_counter() - t0
    equal = sorted((o.item, o.due, o.release, o.quantity) for o in fast.orders) == slow

    print(json.dumps({
        "items": len(problem.items) + len(problem.phantoms),
        "end_items": args.end_items,
        "bom_lines": sum(len(r.components) for r in problem.revisions),
        "levels": max(boms.low_level_codes.values()) + 1,
        "buckets": args.buckets,
        "demands": len(problem.demands),
        "scheduled_receipts": len(problem.receipts),
        "mrp_seconds": round(mrp_seconds, 2),
        "gc_paused": not args.gc,
        "planned_orders": len(result.orders),
        "pegs": sum(len(o.pegs) for o in result.orders),
        "messages": len(result.messages),
        "pegging_complete": not gaps,
        "equals_reference": equal,
        "reference_sample": {"end_items": args.sample, "items": len(sample.items),
                             "planned_orders": len(slow),
                             "seconds": round(reference_seconds, 2)},
        "generate_seconds": round(generate_seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main()
