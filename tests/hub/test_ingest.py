"""MQTT ingest on the real Mosquitto and PostgreSQL: exactly-once, dead letters, live feed."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
import websockets

from cloud_hub.db.database import connect
from protocol import encode_batch, encode_event, topic
from tests.hub.mqtt_tools import Publisher
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration


def seed_site(url: str, warehouse: str) -> list[str]:
    bins = [f"{warehouse}-B{i}" for i in range(20)]
    from cloud_hub.catalog.model import Location
    from cloud_hub.catalog.pg.store import upsert_locations
    with connect(url) as conn:
        upsert_locations(conn, [Location(b, warehouse, "bin") for b in bins])
    return bins


def wait_for(conn: psycopg.Connection, sql: str, expected: object, timeout: float = 60) -> object:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        row = conn.execute(sql).fetchone()
        value = row[0] if row else None  # the row may not exist yet
        if value == expected:
            return value
        time.sleep(0.1)  # polling the ledger a separate process writes; no event to await
    return value


@pytest.fixture
def wh() -> str:
    return f"T{uuid.uuid4().hex[:8]}"


@pytest.fixture
def hub(fresh_db_url: str, mqtt_broker: tuple[str, int]) -> Iterator[Hub]:
    with running_hub(fresh_db_url) as h:
        yield h


def test_ten_thousand_events_with_malformed_and_redelivered(
        hub: Hub, fresh_db_url: str, wh: str, mqtt_broker: tuple[str, int]) -> None:
    bins = seed_site(fresh_db_url, wh)
    rng = random.Random(3)
    valid = [item_move(f"S{rng.randint(1, 50)}", rng.randint(1, 9), None, rng.choice(bins),
                       wh=wh, t=i) for i in range(10_000)]
    pub = Publisher(*mqtt_broker)
    t = topic(wh, "gw-a", "moves")
    malformed = 0
    for i in range(0, len(valid), 50):
        chunk = valid[i:i + 50]
        pub.publish(t, encode_batch(chunk))
        if rng.random() < 0.25:  # ~5% of events sent twice, as a reconnecting gateway does
            pub.publish(t, encode_batch(chunk))
        if i % 500 == 0:  # 1% of messages malformed in assorted ways
            for bad in (b"{not json", b'{"event_id": "nope"}', b"[]", b"\xff\xfe"):
                pub.publish(t, bad)
                malformed += 1
    pub.close()
    with connect(fresh_db_url) as conn:
        assert wait_for(conn, "SELECT count(*) FROM moves", 10_000) == 10_000
        # its own warehouse's: the hub also hears every gateway's status and heartbeat on
        # the shared broker, and other runs' poison ones are dead letters too
        mine = f"FROM dead_letters WHERE warehouse = '{wh}'"  # wh is our own uuid-made id
        assert wait_for(conn, f"SELECT count(*) {mine}", malformed) == malformed
        total = conn.execute("SELECT sum(quantity) FROM balances").fetchone()[0]
        assert total == sum(m.item.quantity for m in valid if m.item)
        reasons = [r[0] for r in conn.execute(f"SELECT reason {mine}")]
        assert any("not JSON" in r for r in reasons) and any("event_id" in r for r in reasons)


def test_event_for_another_warehouse_is_a_dead_letter(
        hub: Hub, fresh_db_url: str, wh: str, mqtt_broker: tuple[str, int]) -> None:
    seed_site(fresh_db_url, wh)
    pub = Publisher(*mqtt_broker)
    pub.publish(topic(wh, "gw-a", "moves"), encode_event(item_move("S", 1, None, f"{wh}-B1",
                                                                   wh="OTHER")))
    pub.publish(topic(wh, "gw-a", "status"), json.dumps({"state": "online"}).encode())
    pub.publish(topic(wh, "gw-a", "heartbeat"),
                json.dumps({"queue_depth": 7}).encode(), qos=0)
    pub.close()
    with connect(fresh_db_url) as conn:
        theirs = f"FROM dead_letters WHERE warehouse = '{wh}'"  # not other runs' poison
        assert wait_for(conn, f"SELECT count(*) {theirs}", 1) == 1
        reason, letter_wh = conn.execute(f"SELECT reason, warehouse {theirs}").fetchone()
        assert "OTHER" in reason and letter_wh == wh  # the topic's warehouse, not the event's
        mine = f"FROM gateways WHERE warehouse = '{wh}'"  # wh is our own uuid-made id
        assert wait_for(conn, f"SELECT queue_depth {mine}", 7) == 7
        assert conn.execute(f"SELECT state {mine}").fetchone()[0] == "online"


def test_websocket_sees_mqtt_move_and_a_stalled_client_does_not_slow_ingest(
        hub: Hub, fresh_db_url: str, wh: str, mqtt_broker: tuple[str, int]) -> None:
    bins = seed_site(fresh_db_url, wh)
    watcher_url, stalled_url = hub.live_url(wh), hub.live_url(wh)  # a ticket is good once

    async def scenario() -> tuple[dict[str, object], float]:
        async with websockets.connect(watcher_url) as watcher, websockets.connect(
                stalled_url, max_queue=1) as stalled:
            pub = Publisher(*mqtt_broker)
            first = item_move("S-LIVE", 2, None, bins[0], wh=wh)
            pub.publish(topic(wh, "gw-a", "moves"), encode_event(first))
            seen: dict[str, object] = {}
            while seen.get("type") != "move":
                seen = json.loads(await asyncio.wait_for(watcher.recv(), 10))
            # The stalled client never reads; 3,000 more events must still apply promptly.
            started = time.monotonic()
            more = [item_move("S-LIVE", 1, None, bins[1], wh=wh, t=i) for i in range(3000)]
            for i in range(0, 3000, 100):
                pub.publish(topic(wh, "gw-a", "moves"), encode_batch(more[i:i + 100]))
            await asyncio.to_thread(pub.close)
            with connect(fresh_db_url) as conn:
                await asyncio.to_thread(wait_for, conn, "SELECT count(*) FROM moves", 3001)
            assert stalled.state is not None
            return seen, time.monotonic() - started

    seen, elapsed = asyncio.run(scenario())
    assert seen["to_location"] == bins[0] and seen["sku"] == "S-LIVE"
    assert elapsed < 30  # generous: the point is that it completes, not a benchmark
