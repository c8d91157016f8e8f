"""Benchmark: MQTT ingest into the ledger, and publish → WebSocket latency.

A private Mosquitto (deploy/local_broker.py), a hub subprocess (`python -m cloud_hub serve`)
on a throw-away database, and a publisher in a separate process. Phase 1 offers full load
(batches of events per message, as a backlogged gateway sends them) and measures the
sustained applied rate; phase 2 offers 1,000 events/s as single-event messages and measures
publish → WebSocket receipt. Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from deploy.local_broker import LocalBroker, free_port  # noqa: E402
from protocol import ItemLine, Source, StockMoved, encode_batch, encode_event, topic  # noqa: E402

ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
WH, BINS = "BENCH", [f"BENCH-B{i:03d}" for i in range(200)]


def make_event(rng: random.Random, sent_at: datetime | None = None) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC), sent_at=sent_at,
                      warehouse=WH, source=Source(kind="rfid", device_id="bench-gw"),
                      item=ItemLine(sku=f"S{rng.randrange(500)}", quantity=Decimal(1)),
                      to_location=rng.choice(BINS), reason="receive")


def publisher(port: int, mode: str, count: int, batch: int, rate: float) -> None:
    """Runs in its own process: publishes and prints one JSON line with what it sent."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{uuid.uuid4().hex[:6]}")
    client.max_inflight_messages_set(500)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    rng = random.Random(os.getpid())
    name = topic(WH, "bench-gw", "moves")
    infos = []
    started = time.time()
    for i in range(0, count, batch):
        if mode == "latency":
            due = started + i / rate
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)  # pacing the offered load, not waiting for an event
            event = make_event(rng, datetime.now(UTC))
            infos.append(client.publish(name, encode_event(event), qos=1))
        else:
            events = [make_event(rng) for _ in range(min(batch, count - i))]
            infos.append(client.publish(name, encode_batch(events), qos=1))
    for info in infos:
        info.wait_for_publish(120)
    client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
    client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
    print(json.dumps({"sent": count, "started": started, "finished": time.time()}), flush=True)


def spawn_publisher(port: int, mode: str, count: int, batch: int, rate: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--publisher", mode, "--port", str(port),
                             "--events", str(count), "--batch", str(batch), "--rate", str(rate)],
                            stdout=subprocess.PIPE, text=True)


def wait_count(conn: psycopg.Connection, target: int, timeout: float) -> tuple[int, float]:
    deadline = time.monotonic() + timeout
    while True:
        n = conn.execute("SELECT count(*) FROM moves").fetchone()[0]
        if n >= target or time.monotonic() > deadline:
            return n, time.time()
        time.sleep(0.02)  # polling the ledger another process writes


async def measure_latency(base: str, token: str, port: int, count: int, rate: float) -> list[float]:
    import websockets
    latencies: list[float] = []
    import httpx
    ticket = httpx.post(f"{base}/api/v1/live/tickets", json={"warehouse": WH}, timeout=30,
                        headers={"Authorization": f"Bearer {token}"}).json()["ticket"]
    url = base.replace("http", "ws") + f"/api/v1/live?ticket={ticket}"
    async with websockets.connect(url, max_queue=None) as ws:
        pub = spawn_publisher(port, "latency", count, 1, rate)
        deadline = time.monotonic() + count / rate + 60
        while len(latencies) < count and time.monotonic() < deadline:
            try:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 10))
            except TimeoutError:
                break
            if msg.get("type") == "move":  # stamped on receipt, before anything else
                latencies.append(time.time() - _sent_at(msg))
        await asyncio.to_thread(pub.wait, 60)
    return latencies


def _sent_at(msg: dict[str, object]) -> float:
    return datetime.fromisoformat(str(msg["occurred_at"])).timestamp()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=100, help="events per MQTT message")
    ap.add_argument("--latency-events", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--publisher")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    if args.publisher:
        publisher(args.port, args.publisher, args.events, args.batch, args.rate)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    from tests.hub_fixtures import (
        ensure_admin,
        hub_process,
        hub_settings,
        wait_http,
        wait_mqtt_connected,
    )
    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        with LocalBroker() as broker:
            from cloud_hub.catalog.model import Location
            from cloud_hub.catalog.pg.store import upsert_locations
            from cloud_hub.db.database import connect
            with connect(url) as conn:
                upsert_locations(conn, [Location(b, WH, "bin") for b in BINS])
            ensure_admin(url)
            settings = hub_settings(url, mqtt_port=broker.port, port=free_port())
            with hub_process(settings), connect(url) as conn:
                base = f"http://127.0.0.1:{settings.port}"
                wait_http(f"{base}/healthz", 60)
                wait_mqtt_connected(base)
                pub = spawn_publisher(broker.port, "throughput", args.events, args.batch, 0)
                sent = json.loads(pub.communicate(timeout=600)[0].strip().splitlines()[-1])
                applied, done_at = wait_count(conn, args.events, 600)
                seconds = done_at - sent["started"]
                import httpx
                token = httpx.post(f"{base}/api/v1/auth/token", json={
                    "username": "admin", "password": "admin-password"}).json()["access_token"]
                lat = asyncio.run(measure_latency(base, token, broker.port,
                                                  args.latency_events, args.rate))
                total = args.events + args.latency_events
                stored, _ = wait_count(conn, total, 60)
                qty = conn.execute("SELECT coalesce(sum(quantity), 0) FROM balances").fetchone()[0]
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    lat_ms = sorted(x * 1000 for x in lat)

    def pct(p: float) -> float:
        return round(lat_ms[min(len(lat_ms) - 1, int(p * len(lat_ms)))], 1) if lat_ms else -1.0

    print(json.dumps({
        "events": args.events, "events_per_message": args.batch,
        "events_per_s": round(applied / seconds), "seconds": round(seconds, 2),
        "latency_offered_events_per_s": args.rate, "latency_samples": len(lat_ms),
        "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(lat_ms), 1) if lat_ms else -1,
        "lost": total - stored, "duplicated": int(qty) - stored}))


if __name__ == "__main__":
    main()
