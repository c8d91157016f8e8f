"""Benchmark: the whole chain, tag reads to the live map's WebSocket.

LLRP emulator (real time, timestamps from now) → sllurp → edge gateway → private Mosquitto →
hub → PostgreSQL ledger → WebSocket. Pallets pass N dock doors at a target rate; for each
pass the latency runs from the emulator's timestamp of the pallet's last read at the door
to the move's arrival on the WebSocket, minus the portal's silence gap (the portal must hear
nothing for gap_s before it can call a pass over: that dwell is excluded and reported).
Prints one JSON line last: moves_per_s, p50_ms, p99_ms, portal_dwell_ms, ...
moves_per_s is the steady rate: moves reaching the WebSocket over the middle 80% of the run.
Over the whole run (moves_per_s_whole_run) it is lower than what the chain sustains, because
pallets' dwell times differ, so the first and last passes of the run become due (last read +
gap) spread out; due_per_s is the rate at which passes became due in the same middle 80%.

--profile adds `stages`: p50/p99 of each leg, per pallet, from timestamps taken along the way:
portal (last read + gap -> the read time at which the portal logic confirms the pass, found
by replaying the reads through the same PortalTracker), edge (-> the move leaves the broker,
seen by a plain subscriber beside the hub), hub_queue (-> the hub's apply transaction starts:
moves.received_at) and apply_ws (-> the WebSocket message).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from cloud_hub.catalog.model import Location  # noqa: E402
from cloud_hub.catalog.pg.store import upsert_locations  # noqa: E402
from cloud_hub.db.database import connect  # noqa: E402
from deploy.local_broker import free_port  # noqa: E402
from deploy.supervisor import Supervisor  # noqa: E402
from deploy.system import hub_env, start_broker, start_edge, start_emulator, start_hub  # noqa: E402
from edge.portal.config import PortalParams  # noqa: E402

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WH = "BENCHE2E"


def scenario_yaml(doors: int, rate: float, seconds: float) -> str:
    """`doors` portals 30 m apart (no cross-reads), passes at `rate` per second in all."""
    count = max(1, int(rate * seconds))
    lines = [f"name: e2e_bench\nwarehouse: {WH}\nseed: 11\n"
             "read_model: {rounds_per_s: 4, range_m: 2.5, rssi_noise_db: 2.0}\nreaders:"]
    lines += [f"  - {{id: r{i}, antennas: [1, 2, 3, 4]}}" for i in range(doors)]
    lines.append("portals:")
    for i in range(doors):
        ants = ", ".join(f"{{reader: r{i}, antenna: {a}, side: {'outer' if a < 3 else 'inner'}}}"
                         for a in (1, 2, 3, 4))
        lines.append(f"  - {{id: D{i}, door: {WH}-D{i}, inner: {WH}-IN{i}, outer: null, "
                     f"x: {i * 30.0}, antennas: [{ants}]}}")
    lines.append("generate:\n  - type: passes\n"
                 f"    count: {count}\n    start: 2\n    every: {1.0 / rate:.6f}\n"
                 "    speed: [1.5, 2.5]\n"
                 "    directions: [inbound]\n"
                 "    epc: {scheme: sscc96, company_prefix: \"4012345\", first_serial: 100000}")
    return "\n".join(lines) + "\n"


def gateway_yaml(doors: int, ports: dict[str, int], mqtt_port: int, outbox: Path) -> str:
    readers = "\n".join(
        f"    - {{id: r{i}, host: 127.0.0.1, port: {ports[f'r{i}']}, antennas: ["
        + ", ".join(f"{{antenna: {a}, portal: D{i}, side: {'outer' if a < 3 else 'inner'}}}"
                    for a in (1, 2, 3, 4)) + "]}" for i in range(doors))
    portals = "\n".join(f"    - {{id: D{i}, door: {WH}-D{i}, inside: {WH}-IN{i}}}"
                        for i in range(doors))
    return (f"warehouse: {WH}\ngateway_id: gw-bench\nheartbeat_s: 5\n"
            f"mqtt: {{host: 127.0.0.1, port: {mqtt_port}, window: 32, batch_events: 200}}\n"
            f"outbox: {{path: {outbox}, synchronous: normal}}\n"
            f"rfid:\n  readers:\n{readers}\n  portals:\n{portals}\n")


class Feed:
    """The live WebSocket: arrival time of every move message, by unit key."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect as ws_connect

        self.arrived: dict[str, float] = {}
        self.ws = ws_connect(url, max_size=None)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for raw in self.ws:
                now = time.time()
                msg = json.loads(raw)
                if msg.get("type") == "move":
                    self.arrived.setdefault(str(msg["unit_key"]), now)
        except Exception:  # closed at the end of the run
            return

    def close(self) -> None:
        self.ws.close()
        self.thread.join(5)


def seed(db_url: str, doors: int) -> None:
    from cloud_hub.auth.pg.store import create_user

    with connect(db_url) as conn:
        upsert_locations(conn, [Location(f"{WH}-{k}{i}", WH, "area", x=i * 30.0, y=y)
                                for i in range(doors) for k, y in (("D", 0.0), ("IN", 3.0))])
        create_user(conn, "bench", "bench-password", ["manager"], [WH])


def last_reads(truth_path: Path, scenario: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Per pallet (unit key): wall time of its first and last read at the door (seconds)."""
    from edge.epc import unit_ref_for
    from firmware_bridge.scenario import load_scenario, simulate

    truth = json.loads(truth_path.read_text())
    sim = simulate(load_scenario(scenario), truth["seed"])
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    keys: dict[str, str] = {}
    for read in sim.reads:
        key = keys.get(read.epc_hex) or keys.setdefault(read.epc_hex,
                                                        unit_ref_for(read.epc_hex).key)
        t = (truth["epoch_us"] + read.time_us) / 1e6
        first.setdefault(key, t)
        last[key] = t
    return first, last


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(args: argparse.Namespace, work: Path, db_url: str) -> dict[str, Any]:
    scenario = work / "scenario.yaml"
    scenario.write_text(scenario_yaml(args.doors, args.rate, args.seconds))
    seed(db_url, args.doors)
    sup = Supervisor(work / "logs", out=sys.stderr)
    broker = start_broker(sup)
    tap = None
    try:
        if args.profile:
            tap = Tap(broker.port)
        port = free_port()
        start_hub(sup, "hub", hub_env(db_url, broker, port))
        import httpx

        token = httpx.post(f"http://127.0.0.1:{port}/api/v1/auth/token", timeout=30, json={
            "username": "bench", "password": "bench-password"}).json()["access_token"]
        ticket = httpx.post(f"http://127.0.0.1:{port}/api/v1/live/tickets", timeout=30,
                            json={"warehouse": WH}, headers={"Authorization": f"Bearer {token}"}
                            ).json()["ticket"]
        feed = Feed(f"ws://127.0.0.1:{port}/api/v1/live?ticket={ticket}")
        truth = work / "truth.json"
        emulator, ports = start_emulator(sup, scenario, speed=1.0, epoch="now",
                                         truth_out=truth, extra=("--exit-when-done",))
        outbox = work / "outbox.sqlite"
        config = work / "gateway.yaml"
        config.write_text(gateway_yaml(args.doors, ports, broker.port, outbox))
        start_edge(sup, config)
        emulator.proc.wait(args.seconds + 120)
        expected = len(json.loads(truth.read_text())["passes"])
        deadline = time.monotonic() + 60
        while len(feed.arrived) < expected and time.monotonic() < deadline:
            time.sleep(0.5)  # the last passes close after the portal's silence gap
        feed.close()
    finally:
        if tap is not None:
            tap.close()
        sup.stop_all()
        broker.stop(sup)
    out = figures(args, feed, truth, scenario, expected)
    if tap is not None:
        out["stages"] = stages(feed, tap, truth, scenario, config, db_url)
    return out


class Tap:
    """A plain subscriber beside the hub's shared one: when each move left the broker."""

    def __init__(self, port: int) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.arrived: dict[str, float] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"tap-{uuid.uuid4()}")
        self.client.on_connect = lambda c, *_: c.subscribe(f"stockpulse/v1/{WH}/+/moves", 1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, msg: Any) -> None:
        from protocol import decode_message

        now = time.time()
        for event in decode_message(msg.payload).events:
            if event.unit is not None:
                self.arrived.setdefault(event.unit.key, now)

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)


def portal_confirmed(config: Path, truth_path: Path, scenario: Path) -> dict[str, float]:
    """Per pallet: the read time (s) at which the edge's PortalTracker confirms its pass, from
    the scenario's reads fed in time order, as the gateway gets them; where no read comes for
    a while, time is advanced in the gateway's idle steps (edge/rfid/source.py)."""
    from edge.config import load_config
    from edge.epc import unit_ref_for
    from edge.portal.tracker import PortalTracker
    from edge.reads import TagRead
    from edge.rfid.source import IDLE_S
    from firmware_bridge.scenario import load_scenario, simulate

    truth = json.loads(truth_path.read_text())
    sim = simulate(load_scenario(scenario), truth["seed"])
    tracker = PortalTracker(load_config(config).rfid.portals)  # type: ignore[attr-defined]
    epoch = truth["epoch_us"]
    idle_us = int(IDLE_S * 1e6)
    confirmed: dict[str, float] = {}
    now = 0
    for read in sorted(sim.reads, key=lambda r: r.time_us):
        t = epoch + read.time_us
        passes = []
        while now and t - now > idle_us:
            now += idle_us
            passes += [(p, now) for p in tracker.advance(now)]
        passes += [(p, t) for p in tracker.feed(TagRead(read.epc_hex, read.reader_id,
                                                         read.antenna_id, read.rssi_dbm, t, 1))]
        now = t
        for passed, at in passes:
            confirmed.setdefault(unit_ref_for(passed.epc_hex).key, at / 1e6)
    return confirmed


def hub_received(db_url: str) -> dict[str, float]:
    """Per pallet: when the hub's apply transaction began (moves.received_at is now())."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT unit_key, extract(epoch FROM received_at)::float8 "
                            "FROM moves WHERE warehouse = %s", (WH,)).fetchall()
    return {str(k): float(t) for k, t in rows if k is not None}


def stages(feed: Feed, tap: Tap, truth: Path, scenario: Path, config: Path, db_url: str
           ) -> dict[str, Any]:
    _first, last = last_reads(truth, scenario)
    gap_s = PortalParams().gap_us / 1e6
    confirmed = portal_confirmed(config, truth, scenario)
    received = hub_received(db_url)
    legs: dict[str, list[float]] = {"portal": [], "edge": [], "hub_queue": [], "apply_ws": []}
    for key, ws in feed.arrived.items():
        if not all(key in d for d in (last, confirmed, tap.arrived, received)):
            continue
        marks = [last[key] + gap_s, confirmed[key], tap.arrived[key], received[key], ws]
        for leg, (a, b) in zip(legs, pairwise(marks), strict=True):
            legs[leg].append((b - a) * 1000)
    out: dict[str, Any] = {leg: {"p50_ms": round(pct(v, 0.5), 1),
                                 "p99_ms": round(pct(v, 0.99), 1), "n": len(v)}
                           for leg, v in legs.items()}
    # The emulator (firmware_bridge/llrp_emulator/app.py) takes its epoch, writes the truth
    # file, then starts playing scenario time 0. While it plays from that moment (as it does
    # today), every read is stamped this much before it is played, which adds as much to
    # every latency measured from read timestamps.
    epoch_s = json.loads(truth.read_text())["epoch_us"] / 1e6
    out["emulator_started_after_epoch_ms"] = round((truth.stat().st_mtime - epoch_s) * 1000, 1)
    return out


def figures(args: argparse.Namespace, feed: Feed, truth: Path, scenario: Path,
            expected: int) -> dict[str, Any]:
    first, last = last_reads(truth, scenario)
    gap_s = PortalParams().gap_us / 1e6
    keys = [k for k in feed.arrived if k in last]
    latency = [(feed.arrived[k] - last[k] - gap_s) * 1000 for k in keys]
    dwell = [(last[k] - first[k] + gap_s) * 1000 for k in keys]
    times = sorted(feed.arrived[k] for k in keys)
    span = (times[-1] - times[0]) if len(times) > 1 else float("nan")
    due = sorted(last[k] + gap_s for k in keys)
    return {
        "doors": args.doors, "offered_passes_per_s": args.rate, "passes": expected,
        "moves_seen": len(keys), "lost": expected - len(keys),
        "read_to_ws_p50_ms": round(statistics.median([x + gap_s * 1000 for x in latency]), 1)
        if latency else None,
        "portal_gap_ms": gap_s * 1000,
        "portal_dwell_ms": round(statistics.median(dwell), 1) if dwell else None,
        "moves_per_s": steady_rate(times), "due_per_s": steady_rate(due),
        "moves_per_s_whole_run": round((len(times) - 1) / span, 1) if len(times) > 1 else 0.0,
        "p50_ms": round(pct(latency, 0.50), 1), "p99_ms": round(pct(latency, 0.99), 1),
    }


def steady_rate(times: list[float], cut: float = 0.1) -> float:
    """Events per second between the `cut` and 1 - `cut` quantiles of sorted `times`."""
    lo, hi = int(cut * len(times)), int((1 - cut) * len(times)) - 1
    if hi <= lo or times[hi] <= times[lo]:
        return 0.0
    return round((hi - lo) / (times[hi] - times[lo]), 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rate", type=float, default=500.0, help="passes per second offered")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the traffic")
    p.add_argument("--doors", type=int, default=8)
    p.add_argument("--profile", action="store_true",
                   help="add per-leg latencies (a subscriber beside the hub, the ledger's "
                        "receive times, the portal logic replayed)")
    args = p.parse_args()
    name = f"sp_bench_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="sp-bench-e2e-") as tmp:
            out = run(args, Path(tmp), ADMIN.rsplit("/", 1)[0] + f"/{name}")
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
