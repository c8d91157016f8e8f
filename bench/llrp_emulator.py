"""Benchmark: tag reports per second the LLRP emulator sustains to one sllurp client.

Starts `python -m firmware_bridge.llrp_emulator --fast` on a generated scenario (one reader,
four antennas, many pallet passes) in its own process, connects sllurp's LLRPReaderClient and
times the tag reports from first to last. Prints one JSON line last:
{"reports_per_s": r, ...}; `per_tag_message` repeats the run with report_every_n_tags=1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig

from firmware_bridge.scenario import parse_scenario, simulate

TIMEOUT_S = 300.0


def scenario_dict(passes: int) -> dict[str, Any]:
    return {
        "name": "bench", "warehouse": "WHB", "seed": 9,
        "read_model": {"rounds_per_s": 20, "range_m": 3.0},
        "readers": [{"id": "bench-gate", "antennas": [1, 2, 3, 4]}],
        "portals": [{"id": "DOCK-1", "door": "WHB-DOCK-1", "inner": "WHB-RECV", "outer": None,
                     "antennas": [{"reader": "bench-gate", "antenna": a, "side": side}
                                  for a, side in ((1, "outer"), (2, "outer"), (3, "inner"),
                                                  (4, "inner"))]}],
        "generate": [{"type": "passes", "count": passes, "start": 5, "every": 0.5,
                      "speed": [0.8, 1.5],
                      "epc": {"scheme": "sscc96", "company_prefix": "4012345",
                              "first_serial": 1}}],
    }


class Counter:
    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.first = self.last = 0.0
        self.done = threading.Event()

    def on_tags(self, _reader: Any, tags: list[dict[str, Any]]) -> None:
        now = time.perf_counter()
        if not self.count:
            self.first = now
        self.count += len(tags)
        self.last = now
        if self.count >= self.expected:
            self.done.set()


def run(path: Path, expected: int, every_n: int | None) -> dict[str, Any]:
    command = [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario", str(path),
               "--port", "0", "--fast", "--exit-when-done"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            port = json.loads(proc.stdout.readline())["port"]
            counter = Counter(expected)
            config = LLRPReaderConfig({
                "antennas": [1, 2, 3, 4], "report_every_n_tags": every_n,
                "tag_content_selector": {"EnableAntennaID": True, "EnablePeakRSSI": True,
                                         "EnableFirstSeenTimestamp": True}})
            client = LLRPReaderClient("127.0.0.1", port, config)
            client.add_tag_report_callback(counter.on_tags)
            started = time.perf_counter()
            client.connect()
            finished = counter.done.wait(TIMEOUT_S)
            client.disconnect(timeout=10)
        finally:
            proc.kill()
    span = max(counter.last - counter.first, 1e-9)
    return {"tag_reports": counter.count, "complete": finished,
            "seconds": round(span, 3), "reports_per_s": round(counter.count / span),
            "handshake_to_last_s": round(counter.last - started, 3)}


def main() -> None:
    passes = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    raw = scenario_dict(passes)
    sim = simulate(parse_scenario(raw), 9)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(yaml.safe_dump(raw), encoding="utf-8")
        batched = run(path, len(sim.reads), None)
        print(json.dumps({"mode": "batched", **batched}), file=sys.stderr)
        small = scenario_dict(max(passes // 10, 10))
        small_path = Path(tmp) / "bench_small.yaml"
        small_path.write_text(yaml.safe_dump(small), encoding="utf-8")
        small_reads = len(simulate(parse_scenario(small), 9).reads)
        per_tag = run(small_path, small_reads, 1)
    print(json.dumps({"reports_per_s": batched["reports_per_s"],
                      "tag_reports": batched["tag_reports"], "seconds": batched["seconds"],
                      "complete": batched["complete"],
                      "per_tag_message": per_tag, "target_reports_per_s": 5000}))


if __name__ == "__main__":
    main()
