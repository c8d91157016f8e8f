"""Sign-in flood: how much slower other requests get while 48 threads sign in as fast as they
can (scrypt: ~16 MiB and tens of ms of CPU each). Issue 18 measured 100x before sign-in hashing
was bounded. Runs `python -m cloud_hub serve` (as deployed) twice on a scratch database: with
the default gate (HUB_LOGIN_HASH_SLOTS / _QUEUE) and with a gate wide enough to let every
sign-in hash at once, as before. Prints one JSON line last.

  .venv/bin/python bench/login_flood.py [--threads 48 --seconds 5 --probes 40]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
PASSWORD = "flood-password"


def probe(base: str, token: str, n: int) -> list[float]:
    """Latencies (ms) of `n` authenticated reads, one after another."""
    out = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as c:
        for _ in range(n):
            started = time.perf_counter()
            c.get("/api/v1/auth/me").raise_for_status()
            out.append((time.perf_counter() - started) * 1000)
    return out


def flood(base: str, threads: int, seconds: float) -> dict[str, int]:
    """Sign in from `threads` threads for `seconds` (run in its own process: the flood's own
    GIL must not slow the probe that measures the hub)."""
    seen: Counter[int] = Counter()
    stop = threading.Event()

    def sign_in_loop() -> None:
        with httpx.Client(base_url=base, timeout=60) as c:
            while not stop.is_set():
                r = c.post("/api/v1/auth/token", json={"username": "flood",
                                                       "password": PASSWORD})
                seen[r.status_code] += 1
    workers = [threading.Thread(target=sign_in_loop, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    stop.wait(seconds)
    stop.set()
    for w in workers:
        w.join(60)
    return {str(k): v for k, v in sorted(seen.items())}


def figures(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "max_ms": round(ordered[-1], 2)}


def run(db_url: str, args: argparse.Namespace, **gate: int) -> dict[str, Any]:
    from tests.hub_fixtures import ADMIN, ensure_admin, hub_process, hub_settings, wait_http
    ensure_admin(db_url)
    settings = hub_settings(db_url, mqtt_enabled=False, rules_enabled=False,
                            login_max_failures_per_address=10**6, **gate)
    with hub_process(settings):
        base = f"http://127.0.0.1:{settings.port}"
        wait_http(f"{base}/healthz", timeout=60)
        token = httpx.post(f"{base}/api/v1/auth/token", timeout=60, json={
            "username": ADMIN[0], "password": ADMIN[1]}).json()["access_token"]
        quiet = probe(base, token, args.probes)
        flooder = subprocess.Popen([sys.executable, __file__, "--flood", base, "--threads",
                                    str(args.threads), "--seconds", str(args.seconds + 2)],
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)  # let the flood build up before measuring under it
        started = time.monotonic()
        loaded = probe(base, token, args.probes)
        while time.monotonic() - started < args.seconds:
            loaded += probe(base, token, 5)
        out, _ = flooder.communicate(timeout=120)
        seen = json.loads(out.strip().splitlines()[-1])
    return {"quiet": figures(quiet), "flood": figures(loaded),
            "slowdown_p50": round(statistics.median(loaded) / statistics.median(quiet), 1),
            "sign_ins": seen, **gate}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=48)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--probes", type=int, default=40)
    p.add_argument("--flood", metavar="BASE_URL", help=argparse.SUPPRESS)  # the child process
    args = p.parse_args()
    if args.flood:
        print(json.dumps(flood(args.flood, args.threads, args.seconds)))
        return
    from cloud_hub.auth.pg.store import create_user
    from cloud_hub.db.database import connect
    from cloud_hub.settings import HubSettings
    from tests.web.conftest import scratch_database
    defaults = HubSettings()
    with scratch_database("postgresql://postgres@127.0.0.1:5432/postgres") as db_url:
        with connect(db_url) as conn:
            create_user(conn, "flood", PASSWORD, ["picker"], ["WH1"])
        bounded = run(db_url, args, login_hash_slots=defaults.login_hash_slots,
                      login_hash_queue=defaults.login_hash_queue)
        unbounded = run(db_url, args, login_hash_slots=args.threads,
                        login_hash_queue=args.threads)
    print(json.dumps({"benchmark": "login_flood", "threads": args.threads,
                      "bounded": bounded, "unbounded": unbounded}))


if __name__ == "__main__":
    main()
