"""Outbox benchmark: enqueue rate, drain rate to real Mosquitto, disk size of 1,000,000 events.

Run: .venv/bin/python bench/outbox.py [--events 1000000] [--drain 200000]
Prints one JSON line last: enqueue_events_per_s (StockMoved -> SQLite, 100 per commit,
synchronous=FULL), bulk_fill_events_per_s, disk_bytes_1m (file size with 1,000,000 queued),
drain_events_per_s (outbox -> MqttPublisher -> Mosquitto, QoS 1, acked and deleted) and
subscriber_events (what a subscriber received of the drained events).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.outbox import SqliteOutbox, unit_key
from edge.publisher import MqttPublisher
from edge.settings import MqttSettings
from protocol import (
    ItemLine,
    Reason,
    Source,
    SourceKind,
    StockMoved,
    UnitRef,
    encode_event,
)

WH, GW = f"BENCH{uuid.uuid4().hex[:6]}", "gw-bench"


def event(n: int) -> StockMoved:
    """A realistic event: an SSCC pallet with one content line, from a dock to staging."""
    return StockMoved(
        event_id=uuid.uuid4(), occurred_at=datetime(2026, 3, 1, 8, 0, n % 60, tzinfo=UTC),
        warehouse=WH, source=Source(kind=SourceKind.RFID, device_id="reader-dock-1",
                                    read_point="DOCK-1:inner"),
        unit=UnitRef(sscc=f"{n % 10**17:017d}0"),
        contents=(ItemLine(gtin="09506000134352", lot=f"LOT{n % 97}", quantity=24),),
        from_location="DOCK-1", to_location="STAGE-1", reason=Reason.PORTAL_PASS,
        confidence=0.98)


def bench_enqueue(path: Path, count: int) -> float:
    box = SqliteOutbox(path, synchronous="FULL")
    events = [event(n) for n in range(count)]
    started = time.perf_counter()
    for i in range(0, count, 100):
        box.enqueue(events[i:i + 100])
    elapsed = time.perf_counter() - started
    box.close()
    return count / elapsed


def bulk_fill(box: SqliteOutbox, count: int) -> float:
    """Fill with encoded events (fresh event_id each) in 10,000-event transactions."""
    template = event(0)
    payload = encode_event(template)
    old_id = str(template.event_id).encode()
    key = unit_key(template)
    started = time.perf_counter()
    for start in range(0, count, 10_000):
        rows = []
        for _ in range(min(10_000, count - start)):
            eid = str(uuid.uuid4())
            rows.append((eid, key, payload.replace(old_id, eid.encode())))
        box.enqueue_encoded(rows)
    return count / (time.perf_counter() - started)


def subscriber(host: str, port: int, counted: list[int], ready: threading.Event
               ) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-sub-{uuid.uuid4().hex}")

    def on_message(_c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        counted[0] += len(json.loads(msg.payload)["events"])

    client.on_message = on_message
    client.on_connect = lambda c, *_: c.subscribe(f"stockpulse/v1/{WH}/{GW}/moves", qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.connect(host, port)
    client.loop_start()
    return client


def bench_drain(box: SqliteOutbox, host: str, port: int, count: int) -> tuple[float, int]:
    counted, ready = [0], threading.Event()
    sub = subscriber(host, port, counted, ready)
    ready.wait(10)
    start_depth = box.depth
    pub = MqttPublisher(box, MqttSettings(host=host, port=port, batch_events=500, window=16),
                        WH, GW, heartbeat_s=3600)
    started = time.perf_counter()
    pub.start()
    target = start_depth - count
    while box.depth > target:
        time.sleep(0.05)  # polling the depth is what a benchmark reports
    elapsed = time.perf_counter() - started
    pub.stop()
    deadline = time.monotonic() + 30
    while counted[0] < start_depth - box.depth and time.monotonic() < deadline:
        time.sleep(0.05)
    sub.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
    sub.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
    return (start_depth - box.depth) / elapsed, counted[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--drain", type=int, default=200_000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        enqueue_rate = bench_enqueue(Path(tmp) / "enqueue.sqlite", 20_000)
        box = SqliteOutbox(Path(tmp) / "outbox.sqlite", synchronous="FULL")
        fill_rate = bulk_fill(box, args.events)
        disk = box.file_bytes()
        stats = box.stats()
        drain_rate, received = bench_drain(box, args.host, args.port, args.drain)
        box.close()
    print(json.dumps({
        "enqueue_events_per_s": round(enqueue_rate),
        "bulk_fill_events_per_s": round(fill_rate),
        "queued_events": stats.depth,
        "disk_bytes_1m": disk,
        "disk_mib_1m": round(disk / 2**20, 1),
        "payload_bytes_per_event": round(stats.stored_bytes / max(stats.depth, 1)),
        "drained_events": args.drain,
        "drain_events_per_s": round(drain_rate),
        "subscriber_events": received,
    }))


if __name__ == "__main__":
    main()
