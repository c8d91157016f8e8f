"""Portal logic benchmark across simulators.

Own simulator: reads/s through the pure tracker, and pass recall / phantom rate / direction
errors on the LLRP emulator's noisy scenarios scored against their ground truth.
Independent simulator (when ../shared/portal-traces is present, or --traces DIR): its traces
played by its player over LLRP through sllurp into `python -m edge`, the published moves
scored by its score.py: recall over observable tag-passes, pallets moved, direction errors,
precision, phantoms and crossing -> publish latency, per trace and in total
(bench/portal_traces.py).

Run: .venv/bin/python bench/portal.py [--seeds N] [--first-seed K] [--traces DIR]
         [--speed S] [--concurrent] [--trace NAME] [--no-own | --no-traces]
     (last line: one JSON object; the traces' figures under "traces")
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_traces import (  # noqa: E402
    DEFAULT_TRACES,
    RunOptions,
    TracesUnavailable,
    run_traces,
)
from edge.portal import (  # noqa: E402
    PortalAntenna,
    PortalConfig,
    PortalParams,
    PortalPass,
    PortalsConfig,
    PortalTracker,
)
from edge.reads import TagRead  # noqa: E402
from firmware_bridge.scenario import Simulation, Site, load_scenario, simulate  # noqa: E402

SCENARIOS = sorted((ROOT / "firmware_bridge" / "scenarios").glob("noisy_*.yaml"))
MATCH_US = 6_000_000  # a move counts for a true pass when it crossed within this of it


def portals_from_site(site: Site, params: PortalParams | None = None) -> PortalsConfig:
    """The emulator's site description as the gateway's portal configuration."""
    chosen = params or PortalParams()
    return PortalsConfig(
        portals=tuple(
            PortalConfig(p.id, p.door_location, p.inner_location, p.outer_location, chosen)
            for p in site.portals
        ),
        antennas=tuple(
            PortalAntenna(a.reader_id, a.antenna_id, p.id, a.side)
            for p in site.portals
            for a in p.antennas
        ),
    )


def tag_reads(sim: Simulation, epoch_us: int = 1_700_000_000_000_000) -> list[TagRead]:
    return [TagRead(r.epc_hex, r.reader_id, r.antenna_id, r.rssi_dbm, epoch_us + r.time_us)
            for r in sim.reads]


@dataclass
class Score:
    true_passes: int = 0
    recalled: int = 0
    moves: int = 0
    phantoms: int = 0
    direction_errors: int = 0

    def add(self, other: Score) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def run_tracker(config: PortalsConfig, reads: list[TagRead]) -> list[PortalPass]:
    tracker = PortalTracker(config)
    out: list[PortalPass] = []
    for read in reads:
        out += tracker.feed(read)
    return out + tracker.flush()


def score(sim: Simulation, moves: list[PortalPass], epoch_us: int) -> Score:
    """Greedy one-to-one match of moves to true passes by tag, portal and time."""
    result = Score(true_passes=len(sim.truth), moves=len(moves))
    unmatched = list(moves)
    for truth in sim.truth:
        at = epoch_us + truth.time_us
        near = [m for m in unmatched if m.epc_hex == truth.epc_hex
                and m.portal_id == truth.portal_id and abs(m.crossed_us - at) <= MATCH_US]
        if not near:
            continue
        move = min(near, key=lambda m: abs(m.crossed_us - at))
        unmatched.remove(move)
        right = (move.direction, move.from_location, move.to_location) == (
            truth.direction, truth.from_location, truth.to_location)
        result.recalled += right
        result.direction_errors += not right
    result.phantoms = len(unmatched)
    return result


def scenario_quality(seeds: int, params: PortalParams | None = None, verbose: bool = False,
                     first_seed: int = 0) -> tuple[Score, dict[str, Score]]:
    total, per = Score(), {}
    epoch = 1_700_000_000_000_000
    for path in SCENARIOS:
        scenario = load_scenario(path)
        mine = Score()
        for seed in range(first_seed, first_seed + seeds):
            sim = simulate(scenario, seed)
            moves = run_tracker(portals_from_site(sim.site, params), tag_reads(sim, epoch))
            got = score(sim, moves, epoch)
            mine.add(got)
            if verbose and (got.phantoms or got.direction_errors or got.recalled < got.true_passes):
                print(f"{path.stem} seed {seed}: {got}", file=sys.stderr)
        per[path.stem] = mine
        total.add(mine)
    return total, per


def replay_batch(min_reads: int) -> tuple[PortalsConfig, list[TagRead]]:
    """The busiest noisy run replayed back to back (later in time each loop) to min_reads."""
    scenario = load_scenario(SCENARIOS[-1])
    sim = simulate(scenario, 0)
    reads = tag_reads(sim)
    span = reads[-1].time_us - reads[0].time_us + 60_000_000
    batch: list[TagRead] = []
    copies = 0
    while len(batch) < min_reads:
        batch += [TagRead(r.epc_hex, r.reader_id, r.antenna_id, r.rssi_dbm,
                          r.time_us + copies * span) for r in reads]
        copies += 1
    return portals_from_site(sim.site), batch


def throughput(min_reads: int = 400_000, repeat: int = 3) -> tuple[float, int]:
    """Reads per second through a fresh tracker: the median of `repeat` timed runs (the
    machine is shared, so one run alone says little)."""
    config, batch = replay_batch(min_reads)
    rates = []
    for _ in range(repeat):
        tracker = PortalTracker(config)
        feed = tracker.feed
        started = time.perf_counter()
        for read in batch:
            feed(read)
        tracker.flush()
        rates.append(len(batch) / (time.perf_counter() - started))
    return sorted(rates)[len(rates) // 2], len(batch)


def own_simulator(args: argparse.Namespace) -> dict[str, object]:
    rate, n = throughput()
    total, per = scenario_quality(args.seeds, verbose=args.verbose, first_seed=args.first_seed)
    for name, s in per.items():
        print(f"{name}: {s}", file=sys.stderr)
    return {
        "reads_per_s": round(rate),
        "reads_timed": n,
        "scenarios": [p.stem for p in SCENARIOS],
        "seeds_per_scenario": args.seeds,
        "first_seed": args.first_seed,
        "true_passes": total.true_passes,
        "moves": total.moves,
        "pass_recall": round(total.recalled / max(1, total.true_passes), 5),
        "phantom_rate": round(total.phantoms / max(1, total.moves), 5),
        "phantoms": total.phantoms,
        "direction_errors": total.direction_errors,
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=10, help="read-model seeds per scenario")
    parser.add_argument("--first-seed", type=int, default=0,
                        help="e.g. 10 to score seeds the defaults were not tuned on")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--no-own", action="store_true", help="skip the own simulator")
    parser.add_argument("--no-traces", action="store_true", help="skip the shared traces")
    parser.add_argument("--traces", type=Path, default=None,
                        help=f"trace directory (default {DEFAULT_TRACES} when present)")
    parser.add_argument("--speed", type=float, default=20.0,
                        help="trace seconds per wall second (1 = real time, the acceptance "
                             "figure; default 20)")
    parser.add_argument("--concurrent", action="store_true",
                        help="play every trace at once, each into its own gateway")
    parser.add_argument("--trace", help="only traces whose name contains this")
    parser.add_argument("--cut-s", type=float, default=None,
                        help="play each trace only up to a quiet moment before this trace time")
    parser.add_argument("--settle-s", type=float, default=10.0,
                        help="after a trace, stop once no move came for this long (wall s)")
    parser.add_argument("--mqtt", help="HOST:PORT of the broker (default: a private mosquitto)")
    parser.add_argument("--keep", type=Path, help="keep configs, logs, moves and scores here")
    return parser


def traces_part(args: argparse.Namespace) -> dict[str, object]:
    """The shared traces' figures, or why there are none (never a traceback)."""
    directory = args.traces or DEFAULT_TRACES
    if args.traces is None and not DEFAULT_TRACES.exists():
        return {"skipped": f"no trace directory at {DEFAULT_TRACES} (give --traces DIR)"}
    if args.speed <= 0:
        raise TracesUnavailable("--speed must be above 0 (latency needs a wall clock)")
    mqtt_at = None
    if args.mqtt:
        host, _, port = args.mqtt.rpartition(":")
        mqtt_at = (host or "127.0.0.1", int(port))
    options = RunOptions(args.speed, settle_s=args.settle_s, cut_s=args.cut_s)
    return run_traces(directory, options, args.trace, args.concurrent, mqtt_at, args.keep)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out: dict[str, object] = {} if args.no_own else own_simulator(args)
    if not args.no_traces:
        try:
            traces = traces_part(args)
        except TracesUnavailable as exc:
            print(f"portal bench: traces not played: {exc}", file=sys.stderr)
            if args.traces is not None:  # asked for by name: say so in the exit status too
                print(json.dumps({**out, "traces": {"error": str(exc)}}))
                return 2
            traces = {"error": str(exc)}
        for name, figures in traces.get("per_trace", {}).items():  # type: ignore[attr-defined]
            print(f"{name}: {json.dumps(figures)}", file=sys.stderr)
        out["traces"] = traces
        total = traces.get("total")
        if isinstance(total, dict):
            for key in ("recall_observable", "pallets_moved_rate", "direction_errors",
                        "precision", "phantoms"):
                out[f"traces_{key}"] = total[key]
            latency = total.get("latency_wall_s") or {}
            out["traces_latency_p99_s"] = latency.get("p99")
            out["traces_speed"] = args.speed
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
