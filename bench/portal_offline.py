"""Offline replay of the independent simulator's dock-door traces through the portal tracker.

Feeds each trace's reads into `PortalTracker` in time order on a simulated clock, the way the
gateway does: the player's 50 ms RO_ACCESS_REPORTs (per reader, reads aggregated per EPC and
antenna: peak RSSI, last-seen time, seen count), each report fed read by read, then the
tracker advanced to the report's end (the RFID worker's idle tick). A pass's emit time is the
report time at which the tracker returned it. The moves are scored with the traces' own
score.py (imported), per trace and in total; latency = emit time - the truth pass's t_exit
(when the pallet has left the door's field), over the correct moves.

Run: .venv/bin/python bench/portal_offline.py [--traces DIR] [--raw] [--only p1,p3]
     [--details] [--by-flag] [--tracker early]        (last line: one JSON object)
--by-flag counts, over all traces, the missed observable tag-passes by their pass's phenomenon
flags (the truth's flags without the cross-read ones; "plain" when none; "+weak" for a weak tag)
and the wrong moves by category and flags: what to fix first.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.portal import (  # noqa: E402
    PortalAntenna,
    PortalConfig,
    PortalParams,
    PortalsConfig,
    PortalTracker,
)
from edge.reads import TagRead  # noqa: E402

TRACES = ROOT.parent.parent / "shared" / "portal-traces"
if not TRACES.is_dir():
    TRACES = Path("/work/shared/portal-traces")
EPOCH_US = 1_790_000_000_000_000
BATCH_US = 50_000  # the player's report interval (trace time)


def door_config(doors: list[int], params: PortalParams | None = None) -> PortalsConfig:
    """One reader per door (`door<N>`), antenna 1 looking out (yard), 2 looking in."""
    chosen = params or PortalParams()
    return PortalsConfig(
        portals=tuple(PortalConfig(f"door{d}", f"DOCK-{d}", "WH", "YARD", chosen) for d in doors),
        antennas=tuple(
            PortalAntenna(f"door{d}", ant, f"door{d}", side)
            for d in doors for ant, side in ((1, "outer"), (2, "inner"))
        ),
    )


@dataclass(frozen=True, slots=True)
class Move:
    epc: str
    door: int
    direction: str
    crossed_s: float
    emitted_s: float
    confidence: float
    basis: str


def batches(trace: dict[str, Any], raw: bool) -> list[tuple[int, list[TagRead]]]:
    """(report end µs, reads) in delivery order: every 50 ms, door 1's report, then 2, 3."""
    epcs = trace["epcs"]
    by_tick: dict[tuple[int, int], dict[tuple[str, int], list[float]]] = defaultdict(dict)
    out: list[tuple[int, list[TagRead]]] = []
    for t_s, door, antenna, index, rssi in trace["reads"]:
        t_us = round(t_s * 1e6)
        tick = t_us // BATCH_US
        epc = epcs[index].upper()
        if raw:
            out.append((t_us, [TagRead(epc, f"door{door}", antenna, float(rssi), EPOCH_US + t_us)]))
            continue
        agg = by_tick[(tick, door)].get((epc, antenna))
        if agg is None:
            by_tick[(tick, door)][(epc, antenna)] = [float(rssi), t_us, 1]
        else:
            agg[0] = max(agg[0], float(rssi))
            agg[1] = max(agg[1], t_us)
            agg[2] += 1
    if raw:
        out.sort(key=lambda x: x[0])
        return out
    for (tick, door), tags in sorted(by_tick.items()):
        end = (tick + 1) * BATCH_US
        reads = [TagRead(epc, f"door{door}", ant, peak, EPOCH_US + int(last), int(n))
                 for (epc, ant), (peak, last, n) in tags.items()]
        reads.sort(key=lambda r: r.time_us)
        out.append((end, reads))
    return out


def make_tracker(config: PortalsConfig, kind: str, early: Any = None) -> Any:
    if kind == "early":
        from bench.portal_early.tracker import EarlyPortalTracker

        return EarlyPortalTracker(config, early)
    return PortalTracker(config)


def replay(trace: dict[str, Any], raw: bool = False, params: PortalParams | None = None,
           kind: str = "main", early: Any = None) -> tuple[list[Move], dict[str, int]]:
    doors = sorted(d["door"] for d in trace["site"]["doors"])
    tracker = make_tracker(door_config(doors, params), kind, early)
    moves: list[Move] = []

    def take(passes: list[Any], now_us: int) -> None:
        for p in passes:
            moves.append(Move(p.epc_hex, int(p.portal_id.removeprefix("door")),
                              "in" if p.direction == "inbound" else "out",
                              (p.crossed_us - EPOCH_US) / 1e6, now_us / 1e6, p.confidence,
                              getattr(p, "basis", "crossed")))

    last_tick = 0
    for end_us, reads in batches(trace, raw):
        # idle ticks between reports (the worker's advance when no reads come)
        while last_tick + BATCH_US < end_us:
            last_tick += BATCH_US
            take(tracker.advance(EPOCH_US + last_tick), last_tick)
        for read in reads:
            take(tracker.feed(read), end_us)
        take(tracker.advance(EPOCH_US + end_us), end_us)
        last_tick = max(last_tick, end_us)
    end = int(trace["duration_s"] * 1e6)
    while last_tick + BATCH_US <= end:  # the worker keeps ticking after the last read
        last_tick += BATCH_US
        take(tracker.advance(EPOCH_US + last_tick), last_tick)
    take(tracker.flush(), end + 1)
    return moves, dict(tracker.suppressed)


def load_scorer(traces: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("portal_trace_score", traces / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))], 2)


def evaluate(path: Path, scorer: ModuleType, raw: bool = False, details: bool = False,
             params: PortalParams | None = None, kind: str = "main",
             early: Any = None) -> dict[str, Any]:
    trace = json.loads(path.read_text())
    truth = json.loads(path.with_name(path.name.replace(".json", ".truth.json")).read_text())
    moves, suppressed = replay(trace, raw, params, kind, early)
    lines = [{"epc": m.epc, "door": m.door, "direction": m.direction, "t": m.crossed_s,
              "clock": "trace"} for m in moves]
    res = scorer.score(truth, lines, scorer.Clock("trace", None), {}, details=True)
    # latency: each correct move's emit time after its pass's t_exit
    t_exit = {p["id"]: p["t_exit"] for p in truth["passes"]}
    emitted: dict[tuple[str, int, str, float], list[float]] = defaultdict(list)
    for m in moves:
        emitted[(m.epc.upper(), m.door, m.direction, round(m.crossed_s, 3))].append(m.emitted_s)
    lat = []
    basis = {(m.epc.upper(), m.door, m.direction, round(m.crossed_s, 3)): m.basis for m in moves}
    for d in res["moves_detail"]:
        d["basis"] = basis.get((d["epc"], d["door"], d["direction"], d["t_trace"]))
        if d["category"] == "correct":
            key = (d["epc"], d["door"], d["direction"], d["t_trace"])
            lat.append(emitted[key].pop(0) - t_exit[d["pass_id"]])
    missed = res["missed_tag_passes"]
    flags = {p["id"]: p["flags"] for p in truth["passes"]}
    out_flags: dict[str, int] = defaultdict(int)
    for m in missed:
        if m["observable"]:
            out_flags[phenomena(m["flags"]) + ("+weak" if m["weak"] else "")] += 1
    bad: dict[str, int] = defaultdict(int)
    for d in res["moves_detail"]:
        if d["category"] != "correct":
            bad[f'{d["category"]} {",".join(flags.get(d["pass_id"], []))}'.strip()] += 1
    out = {
        "trace": path.stem,
        "observable": res["observable_tag_passes"],
        "observable_hit": res["observable_tag_passes"] - sum(1 for m in missed if m["observable"]),
        "tag_passes": res["tag_passes"],
        "tag_hit": res["tag_passes"] - len(missed),
        "passes": res["passes"],
        "passes_moved": round(res["pass_recall_any_epc"] * res["passes"]),
        "moves": res["moves"],
        "correct": res["correct_moves"],
        "direction_errors": res["direction_errors"],
        "phantoms": res["phantom_breakdown"],
        "latencies": lat,
        "suppressed": suppressed,
        "missed_by_flag": dict(out_flags),
        "bad_by_kind": dict(bad),
    }
    if details:
        out["missed"] = missed
        out["bad_moves"] = [d for d in res["moves_detail"] if d["category"] != "correct"]
    return out


def phenomena(flags: list[str]) -> str:
    """A pass's flags without the cross-read ones (those say where else it was read)."""
    kept = sorted(f for f in flags if not f.startswith("cross_to"))
    return ",".join(kept) or "plain"


def summary(r: dict[str, Any]) -> dict[str, Any]:
    lat = r["latencies"]
    return {
        "recall_observable": round(r["observable_hit"] / max(1, r["observable"]), 4),
        "recall_tag_passes": round(r["tag_hit"] / max(1, r["tag_passes"]), 4),
        "pallets_moved": round(r["passes_moved"] / max(1, r["passes"]), 4),
        "direction_errors": r["direction_errors"],
        "precision": round(r["correct"] / max(1, r["moves"]), 4),
        "moves": r["moves"],
        "phantoms": {k: v for k, v in r["phantoms"].items() if v},
        "latency_p50_s": pct(lat, 0.5),
        "latency_p99_s": pct(lat, 0.99),
        "latency_max_s": round(max(lat), 2) if lat else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=Path, default=TRACES)
    parser.add_argument("--raw", action="store_true", help="feed single reads, not 50 ms reports")
    parser.add_argument("--only", default="", help="comma-separated trace name prefixes")
    parser.add_argument("--details", action="store_true", help="missed passes and bad moves")
    parser.add_argument("--by-flag", action="store_true",
                        help="misses by phenomenon flag and bad moves by kind, over all traces")
    parser.add_argument("--tracker", choices=["main", "early"], default="main",
                        help="edge.portal's PortalTracker, or bench/portal_early's experiment")
    args = parser.parse_args()
    scorer = load_scorer(args.traces)
    paths = sorted(p for p in args.traces.glob("*.json") if not p.name.endswith(".truth.json"))
    if args.only:
        paths = [p for p in paths if any(p.name.startswith(x) for x in args.only.split(","))]
    started = time.perf_counter()
    per: dict[str, Any] = {}
    total: dict[str, Any] = {}
    for path in paths:
        r = evaluate(path, scorer, args.raw, args.details, kind=args.tracker)
        per[path.stem] = summary(r)
        if args.details:
            per[path.stem]["missed"] = r["missed"]
            per[path.stem]["bad_moves"] = r["bad_moves"]
        for k, v in r.items():
            if isinstance(v, int):
                total[k] = total.get(k, 0) + v
            elif isinstance(v, list) and k == "latencies":
                total[k] = total.get(k, []) + v
            elif isinstance(v, dict) and k in ("phantoms", "missed_by_flag", "bad_by_kind"):
                agg = total.setdefault(k, {})
                for kk, vv in v.items():
                    agg[kk] = agg.get(kk, 0) + vv
    totals = summary(total) if total else {}
    if args.by_flag and total:
        for k in ("missed_by_flag", "bad_by_kind"):
            totals[k] = dict(sorted(total.get(k, {}).items(), key=lambda kv: -kv[1]))
    result = {"traces": per, "total": totals,
              "mode": "raw reads" if args.raw else "50 ms reports", "tracker": args.tracker,
              "seconds": round(time.perf_counter() - started, 1)}
    if not args.details:
        for name, s in per.items():
            print(name, json.dumps(s), file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
