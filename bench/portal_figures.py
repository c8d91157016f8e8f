"""The portal bench across simulators, its pure part: the gateway's published moves as the
shared scorer's JSON lines, the scorer's answer as the bench's figures (per trace and in
total), crossing → publish latency, and a trace cut short at a quiet moment.

Rule kept here: no I/O and no clock; every figure comes from the scorer's own categories and
the truth file, never from a threshold of ours. Times: `t` of a trace is seconds of trace
time; wall times are epoch seconds of this host; the player's session file maps one to the
other (`sync_wall_to_trace`, `speed`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from protocol import Reason, StockMoved

INSIDE = "BENCH-INSIDE"  # the ledger location behind every door of the bench's config
PERCENTILES = (50, 95, 99)
_DOOR = re.compile(r"^DOCK-(\d+)$")


def portal_id(door: int) -> str:
    return f"DOCK-{door}"


def outside(door: int) -> str:
    return f"BENCH-YARD-{door}"


@dataclass(frozen=True, slots=True)
class Published:
    """One portal move the gateway made, as the scorer needs it, and when it reached us."""

    epc: str
    door: int
    direction: str  # "in" (yard -> warehouse) or "out"
    occurred_s: float  # the move's occurred_at (epoch s, the gateway's clock)
    received_wall_s: float | None  # when the bench's subscriber got it; None: left in outbox


def published_move(event: StockMoved, received_wall_s: float | None) -> Published | None:
    """The move as (EPC, door, direction), or None for an event that is not a portal pass
    of a tagged unit at one of the bench's doors."""
    if event.reason != Reason.PORTAL_PASS or event.unit is None or event.unit.epc is None:
        return None
    found = _DOOR.match(event.source.read_point or "")
    if found is None:
        return None
    if event.to_location == INSIDE:
        direction = "in"
    elif event.from_location == INSIDE:
        direction = "out"
    else:
        return None
    return Published(event.unit.epc.upper(), int(found.group(1)), direction,
                     event.occurred_at.timestamp(), received_wall_s)


def score_line(move: Published) -> dict[str, Any]:
    """One line of score.py's moves file; `t` is the gateway's wall clock (--clock wall)."""
    return {"epc": move.epc, "door": move.door, "direction": move.direction,
            "t": round(move.occurred_s, 6), "clock": "wall"}


def wall_at(session: Mapping[str, Any], trace_s: float) -> float:
    """The host's wall time at which the player played trace time `trace_s`."""
    sync = sorted(session.get("sync_wall_to_trace") or [])
    speed = float(session.get("speed") or 0)
    if not sync or speed <= 0:
        raise ValueError("the session has no wall clock mapping (played with --speed 0?)")
    wall, at = sync[0]
    for w, t in sync:
        if t <= trace_s:
            wall, at = w, t
    return float(wall) + (trace_s - float(at)) / speed


def percentiles(values: Sequence[float]) -> dict[str, float] | None:
    """Nearest-rank p50/p95/p99, rounded to ms; None when there is nothing to rank."""
    if not values:
        return None
    ranked = sorted(values)
    out = {f"p{p}": round(ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)], 3)
           for p in PERCENTILES}
    out["max"] = round(ranked[-1], 3)
    return out


def latencies(truth: Mapping[str, Any], score: Mapping[str, Any], moves: Sequence[Published],
              session: Mapping[str, Any]) -> list[float]:
    """Crossing → publish in wall seconds for every move the scorer found correct: when the
    subscriber received it minus when the player played the pass's t_exit (the moment the
    pallet has left the door's zone, the scorer's own latency origin).

    score.py's move details are its moves sorted by time; ours are sorted the same way, and
    matched to them per (EPC, door, direction) in order."""
    t_exit = {p["id"]: float(p["t_exit"]) for p in truth["passes"]}
    ours: dict[tuple[str, int, str], list[Published]] = defaultdict(list)
    for m in sorted(moves, key=lambda m: m.occurred_s):
        ours[(m.epc, m.door, m.direction)].append(m)
    taken: dict[tuple[str, int, str], int] = defaultdict(int)
    out: list[float] = []
    for d in score.get("moves_detail", []):
        key = (str(d["epc"]).upper(), int(d["door"]), str(d["direction"]))
        i = taken[key]
        taken[key] += 1
        if i >= len(ours[key]) or d["category"] != "correct" or d["pass_id"] not in t_exit:
            continue
        received = ours[key][i].received_wall_s
        if received is not None:
            out.append(received - wall_at(session, t_exit[d["pass_id"]]))
    return out


def trace_figures(truth: Mapping[str, Any], score: Mapping[str, Any],
                  moves: Sequence[Published], session: Mapping[str, Any]) -> dict[str, Any]:
    """The bench's figures for one trace, from the scorer's detailed answer."""
    epcs_of = {p["id"]: len(p["epcs"]) for p in truth["passes"]}
    missed = score.get("missed_tag_passes", [])
    missed_per_pass: dict[str, int] = defaultdict(int)
    for t in missed:
        missed_per_pass[t["pass_id"]] += 1
    observable = int(score["observable_tag_passes"])
    observable_hit = observable - sum(1 for t in missed if t["observable"])
    passes = len(epcs_of)
    moved = passes - sum(1 for p, n in missed_per_pass.items() if n >= epcs_of.get(p, 0))
    lat = latencies(truth, score, moves, session)
    speed = float(session.get("speed") or 0)
    return {
        "speed": speed,
        "observable_tag_passes": observable,
        "observable_recalled": observable_hit,
        "recall_observable": _ratio(observable_hit, observable),
        "tag_passes": int(score["tag_passes"]),
        "tag_pass_recall": score["tag_pass_recall"],
        "pallets": passes,
        "pallets_moved": moved,
        "pallets_moved_rate": _ratio(moved, passes),
        "moves": int(score["moves"]),
        "correct_moves": int(score["correct_moves"]),
        "direction_errors": int(score["direction_errors"]),
        "phantoms": int(score["phantom_moves"]),
        "phantom_breakdown": {k: v for k, v in score["phantom_breakdown"].items() if v},
        "precision": _ratio(int(score["correct_moves"]), int(score["moves"])),
        "recall_weak_tags": score.get("recall_weak_tags"),
        "recall_by_flag": {k: {"recall": v.get("tag_pass_recall"),
                               "tag_passes": int(v.get("tag_passes") or 0)}
                           for k, v in score.get("recall_by_flag", {}).items()},
        "latency_wall_s": percentiles(lat),
        "latency_real_time_equiv_s": percentiles([x * speed for x in lat]),
        "_latencies": lat,
    }


SUMMED = ("observable_tag_passes", "observable_recalled", "tag_passes", "pallets",
          "pallets_moved", "moves", "correct_moves", "direction_errors", "phantoms")


def total_figures(per_trace: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """All traces together: counts summed, ratios and percentiles recomputed from them."""
    rows = [r for r in per_trace if "error" not in r]
    total: dict[str, Any] = {k: sum(int(r[k]) for r in rows) for k in SUMMED}
    total["traces"] = len(rows)
    kinds: dict[str, int] = defaultdict(int)
    for r in rows:
        for kind, n in r.get("phantom_breakdown", {}).items():
            kinds[kind] += int(n)
    total["phantom_breakdown"] = dict(sorted(kinds.items()))
    total["recall_by_flag"] = _recall_by_flag(rows)
    total["recall_observable"] = _ratio(total["observable_recalled"],
                                        total["observable_tag_passes"])
    total["pallets_moved_rate"] = _ratio(total["pallets_moved"], total["pallets"])
    total["precision"] = _ratio(total["correct_moves"], total["moves"])
    lat = [x for r in rows for x in r.get("_latencies", [])]
    total["latency_wall_s"] = percentiles(lat)
    total["latency_real_time_equiv_s"] = percentiles(
        [x * float(r["speed"]) for r in rows for x in r.get("_latencies", [])])
    return total


def _recall_by_flag(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tag-pass recall per truth flag (multipath, dwell, cross, ...) over all traces."""
    hit: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for r in rows:
        for flag, v in r.get("recall_by_flag", {}).items():
            if v["recall"] is not None:
                hit[flag] += v["recall"] * v["tag_passes"]
                count[flag] += v["tag_passes"]
    return {f: {"recall": round(hit[f] / count[f], 4) if count[f] else None,
                "tag_passes": count[f]} for f in sorted(count)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# -- a trace cut short (for a quick test) ----------------------------------------------------
def quiet_cut(truth: Mapping[str, Any], limit_s: float) -> float:
    """The latest time <= limit_s at which no pass or peek is under way (a cut there splits
    nothing the scorer judges); 0.0 when there is none."""
    busy = [(float(p["t_enter"]) - 1.0, float(p["t_exit"]) + 1.0) for p in truth["passes"]]
    busy += [(float(x["t_start"]) - 1.0, float(x["t_end"]) + 1.0)
             for x in truth.get("no_move", []) if x.get("kind") == "peek"]
    cut = limit_s
    moved = True
    while moved and cut > 0:
        moved = False
        for lo, hi in busy:
            if lo < cut < hi:
                cut, moved = lo, True
    return max(cut, 0.0)


def cut_trace(trace: Mapping[str, Any], truth: Mapping[str, Any], cut_s: float
              ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trace and its truth up to cut_s (use quiet_cut to choose it)."""
    short = dict(trace)
    short["reads"] = [r for r in trace["reads"] if float(r[0]) < cut_s]
    short["duration_s"] = cut_s
    short["outages"] = [o for o in trace.get("outages", []) if float(o["t_end"]) <= cut_s]
    kept = [p for p in truth["passes"] if float(p["t_exit"]) < cut_s]
    short_truth = dict(truth)
    short_truth["passes"] = kept
    short_truth["duration_s"] = cut_s
    short_truth["no_move"] = [x for x in truth.get("no_move", [])
                              if float(x.get("t_start", 0.0)) < cut_s]
    short_truth["outages"] = short["outages"]
    return short, short_truth
