"""`make bench`: run every bench/*.py, keep each one's last JSON line in bench/results.json, print a
table. Rule kept here: one benchmark failing or timing out is recorded as such, never stops the
others, and the exit status says whether all of them produced figures.
Run: python bench/run_all.py [--only e2e,ingest] [--timeout 900]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# Files in bench/ that are not benchmarks themselves (helpers other benchmarks start).
NOT_BENCHMARKS = {"run_all.py", "synthetic_hub.py", "__init__.py", "portal_traces.py",
                  "portal_figures.py", "portal_capture.py"}


def benchmarks(only: set[str] | None) -> list[Path]:
    found = sorted(p for p in BENCH.glob("*.py") if p.name not in NOT_BENCHMARKS)
    return [p for p in found if only is None or p.stem in only]


def last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                return None
            return value if isinstance(value, dict) else None
    return None


def run_one(script: Path, timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "seconds": round(time.monotonic() - started, 1)}
    seconds = round(time.monotonic() - started, 1)
    figures = last_json(done.stdout)
    if done.returncode != 0 or figures is None:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"status": "failed", "exit": done.returncode, "seconds": seconds,
                "error": " | ".join(tail)}
    return {"status": "ok", "seconds": seconds, "figures": figures}


def table(results: dict[str, dict[str, Any]]) -> str:
    rows = [("benchmark", "status", "time s", "figures")]
    for name, r in results.items():
        shown = r.get("figures") or {"error": r.get("error", r["status"])}
        text = ", ".join(f"{k}={v}" for k, v in shown.items() if not isinstance(v, dict | list))
        rows.append((name, r["status"], str(r["seconds"]), text[:150]))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows]
    lines.insert(1, "-" * min(120, sum(widths) + 60))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python bench/run_all.py", description=__doc__)
    p.add_argument("--only", help="comma-separated benchmark names (file stems)")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds per benchmark")
    p.add_argument("--out", type=Path, default=BENCH / "results.json")
    args = p.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    results: dict[str, dict[str, Any]] = {}
    for script in benchmarks(only):
        print(f"running {script.name} ...", flush=True)
        results[script.stem] = run_one(script, args.timeout)
        print(f"  {results[script.stem]['status']} in {results[script.stem]['seconds']} s",
              flush=True)
    document = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {"python": platform.python_version(), "platform": platform.platform(),
                            "cpus": _cpus()},
                "results": results}
    args.out.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    print("\n" + table(results) + f"\n\nwritten to {args.out}")
    return 0 if all(r["status"] == "ok" for r in results.values()) else 1


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
