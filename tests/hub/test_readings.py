"""Device readings (issue 25): sorted from the readings topic — plausible ones kept, broken,
misaddressed or flooding ones as dead letters with their reasons — and, through the real
broker and a running hub, stored with their device's place and read back in buckets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.ingest.messages import MAX_READINGS_PER_DEVICE, sort_messages
from protocol import topic
from protocol.devices import AckMessage, ReadingMessage
from tests.conftest import scratch_database
from tests.hub.mqtt_tools import Publisher
from tests.hub.test_ingest import wait_for
from tests.hub_fixtures import Hub, running_hub

NOW = datetime.now(UTC).replace(microsecond=0)
TOPIC = topic("WH1", "gw-cold", "readings")


def reading(value: str, *, device: int = 7, kind: str = "temperature", unit: str = "celsius",
            seq: int = 1, at: datetime = NOW, gateway: str = "gw-cold") -> bytes:
    return ReadingMessage(warehouse="WH1", gateway=gateway, device_id=device, seq=seq,
                          received_at=at, kind=kind, value=Decimal(value), unit=unit).to_json()


def test_plausible_readings_are_kept_and_impossible_ones_say_why() -> None:
    out = sort_messages([(TOPIC, reading("-18.5")), (TOPIC, reading("-300", seq=2)),
                         (TOPIC, reading("140", kind="humidity", unit="percent", seq=3)),
                         (TOPIC, reading("3", kind="temperature", unit="kilogram", seq=4))],
                        NOW)
    assert [(r.kind, r.value) for r in out.readings] == [("temperature", Decimal("-18.5"))]
    reasons = [d.reason for d in out.dead]
    assert "temperature -300 celsius is outside what such a sensor can report" in reasons[0]
    assert "humidity 140 percent" in reasons[1]
    assert "temperature reading in kilogram is not one this hub understands" in reasons[2]


def test_misaddressed_broken_and_ack_messages() -> None:
    ack = AckMessage(warehouse="WH1", gateway="gw-cold", device_id=7, seq=9, received_at=NOW,
                     acked_seq=3, status="ok").to_json()
    out = sort_messages([(TOPIC, reading("4", gateway="gw-other")), (TOPIC, b"{not json"),
                         (TOPIC, ack), (TOPIC, b'{"type": "reading", "value": 1}')], NOW)
    assert out.readings == [] and out.device_notes == 1
    assert "came on a topic of WH1/gw-cold" in out.dead[0].reason
    assert all("device message refused" in d.reason for d in out.dead[1:])


def test_a_flooding_device_costs_one_letter_and_no_other_devices_readings() -> None:
    flood = [(TOPIC, reading("5", seq=i % 65535)) for i in range(MAX_READINGS_PER_DEVICE + 50)]
    out = sort_messages([*flood, (TOPIC, reading("6", device=8))], NOW)
    kept = [r for r in out.readings if r.device_id == 7]
    assert len(kept) == MAX_READINGS_PER_DEVICE
    assert [r.device_id for r in out.readings].count(8) == 1
    (letter,) = out.dead
    assert "flooding" in letter.reason and out.flooded == 49


@pytest.fixture(scope="module")
def hub(pg_server_url: str, mqtt_broker: tuple[str, int]) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=[
                {"code": "COLD-1", "warehouse": "WH1", "kind": "zone", "x": 0, "y": 0}]
            ).status_code == 201
        yield h


@pytest.mark.integration
def test_readings_travel_broker_to_hub_to_chart(hub: Hub, mqtt_broker: tuple[str, int]) -> None:
    with hub.client() as c:
        r = c.put("/api/v1/devices/gw-cold/7", params={"warehouse": "WH1"},
                  json={"location": "COLD-1", "zone": "cold", "label": "freezer probe"})
        assert r.status_code == 200, r.text
        assert c.put("/api/v1/devices/gw-cold/8", params={"warehouse": "WH1"},
                     json={"location": "NOWHERE"}).status_code == 422
    publisher = Publisher(*mqtt_broker)
    try:
        for i, value in enumerate(["-18.0", "-17.0", "-16.0", "-300"]):
            publisher.publish(TOPIC, reading(value, seq=i, at=NOW + timedelta(seconds=i)))
        publisher.flush()
    finally:
        publisher.close()
    with psycopg.connect(hub.settings.database_url or "") as conn:
        wait_for(conn, "SELECT count(*) FROM device_readings", 3)
        wait_for(conn, "SELECT count(*) FROM dead_letters WHERE reason LIKE '%%-300%%'", 1)
    with hub.client() as c:
        (bucket,) = c.get("/api/v1/readings", params={
            "warehouse": "WH1", "kind": "temperature", "bucket": "hour",
            "start": (NOW - timedelta(hours=1)).isoformat()}).json()
        assert (bucket["location"], bucket["count"], bucket["minimum"], bucket["maximum"]) == (
            "COLD-1", 3, -18.0, -16.0)
        assert c.get("/api/v1/readings", params={
            "warehouse": "WH1", "start": "2026-01-01T00:00:00"}).status_code == 422
        devices = c.get("/api/v1/devices", params={"warehouse": "WH1"}).json()
        assert [(d["device_id"], d["label"]) for d in devices] == [(7, "freezer probe")]
    assert json.loads(reading("1"))["type"] == "reading"


@pytest.mark.integration
def test_a_new_months_partition_never_holds_up_readings(fresh_db_url: str) -> None:
    """Making a month's partition locks device_readings; while a rules evaluation reads the
    readings in an open transaction, the month's first readings go to the DEFAULT partition
    instead of waiting (an ingest stall seen once while a hub evaluated zone rules)."""
    from cloud_hub.db.database import connect
    from cloud_hub.devices.pg.readings import store_readings

    later = datetime(2031, 5, 1, 8, tzinfo=UTC)
    msg = ReadingMessage.model_validate_json(reading("4", at=later))
    with connect(fresh_db_url) as writer, psycopg.connect(fresh_db_url) as reader:
        reader.execute("SELECT count(*) FROM device_readings")  # a transaction left open
        assert store_readings(writer, [msg]) == 1
        where = writer.execute("SELECT tableoid::regclass::text FROM device_readings").fetchone()
        assert where == ("device_readings_default",)
        reader.rollback()
        assert store_readings(writer, [msg.model_copy(update={"seq": 2})]) == 1
        assert writer.execute("SELECT count(*) FROM device_readings").fetchone() == (2,)
        now = ReadingMessage.model_validate_json(reading("5", seq=3))
        store_readings(writer, [now])
        assert writer.execute(
            "SELECT tableoid::regclass::text FROM device_readings WHERE seq = 3").fetchone() == (
            f"device_readings_{NOW:%Y_%m}",), "an uncontended month gets its own partition"
