"""CLI: `python -m firmware_bridge.llrp_emulator --scenario FILE --port 5084 [--fast] ...`.

Prints one JSON line per served reader ({"reader", "host", "port"}) on stdout once listening.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from firmware_bridge.llrp_emulator.app import LlrpEmulator
from firmware_bridge.llrp_emulator.faults import ReaderFaults
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.llrp_emulator.server import wall_clock_us
from firmware_bridge.scenario import ScenarioError, load_scenario, simulate, truth_json


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m firmware_bridge.llrp_emulator",
                                description="LLRP 1.0.1 reader emulator fed by a scenario.")
    p.add_argument("--scenario", required=True, type=Path, help="scenario YAML file")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=5084,
                   help="port of the first reader; the next readers use the next ports "
                        "(0 = a free port each)")
    p.add_argument("--reader", action="append", dest="readers", metavar="ID",
                   help="serve only this reader id (repeatable; default: all readers)")
    p.add_argument("--seed", type=int, default=None, help="read-model seed (default: file seed)")
    p.add_argument("--speed", type=float, default=1.0, help="real-time factor (2 = twice as fast)")
    p.add_argument("--fast", action="store_true", help="play as fast as the clients take it")
    p.add_argument("--loop", action="store_true", help="repeat the scenario forever")
    p.add_argument("--start-when", choices=("all", "any"), default="all",
                   help="start playback when all (or any) served readers inventory")
    p.add_argument("--epoch", choices=("scenario", "now"), default="scenario",
                   help="timestamps from the file's start_time, or from now")
    p.add_argument("--reply-delay-ms", type=float, default=10.0,
                   help="answer requests after this long, like a real reader (default 10)")
    p.add_argument("--clock-offset-s", type=float, default=0.0,
                   help="the readers' clocks are this far off (e.g. -7200: set to UTC-2)")
    p.add_argument("--uptime-clock", action="store_true",
                   help="readers without a real-time clock: timestamps count from their boot")
    p.add_argument("--truth-out", type=Path, help="write the ground truth JSON here")
    p.add_argument("--exit-when-done", action="store_true",
                   help="exit after one playback, once the clients have closed their sessions "
                        "(at most --linger-s later; then the reader closes them)")
    p.add_argument("--linger-s", type=float, default=2.0,
                   help="with --exit-when-done: how long connected clients may take to close "
                        "their session before the reader closes it (default 2)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.speed <= 0:
        p.error("--speed must be > 0")
    if args.reply_delay_ms < 0:
        p.error("--reply-delay-ms must be >= 0")
    if args.linger_s < 0:
        p.error("--linger-s must be >= 0")
    return args


async def run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    sim = simulate(scenario, scenario.seed if args.seed is None else args.seed)
    settings = PlaybackSettings(None if args.fast else args.speed, args.loop, args.start_when)
    epoch = None if args.epoch == "now" else scenario.start_time_us
    faults = ReaderFaults(clock_offset_us=round(args.clock_offset_s * 1_000_000),
                          uptime_boot_us=wall_clock_us() - 3_600_000_000 if args.uptime_clock
                          else None)
    emulator = LlrpEmulator(sim, settings, args.readers, epoch,
                            reply_delay_s=args.reply_delay_ms / 1000,
                            faults={r.id: faults for r in sim.site.readers})
    ports = await emulator.start(args.host, args.port)
    for reader_id, port in ports.items():
        print(json.dumps({"reader": reader_id, "host": args.host, "port": port}), flush=True)

    def write_truth(epoch_us: int) -> None:
        if args.truth_out is not None:
            period = sim.duration_us if args.loop else None
            args.truth_out.write_text(truth_json(sim, epoch_us, period), encoding="utf-8")

    try:
        await emulator.play(on_start=write_truth)
        logging.info("playback done: %d tag reports sent", emulator.reports_sent)
        if not args.exit_when_done:
            await asyncio.Event().wait()  # keep serving (inventory with nothing in range)
        await emulator.finish(args.linger_s)
    finally:
        await emulator.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        return asyncio.run(run(args))
    except ScenarioError as exc:
        print(f"scenario error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot listen: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
