"""MqttPublisher against real Mosquitto: every event arrives, across broker outages too."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from gateway_helpers import Collector, make_event, private_broker

from edge.outbox import SqliteOutbox
from edge.publisher import MqttPublisher
from edge.settings import MqttSettings

pytestmark = pytest.mark.integration

FAST = MqttSettings(backoff_min_s=0.1, backoff_max_s=0.5, connect_timeout_s=5)


def _ids() -> tuple[str, str]:
    return f"WH{uuid.uuid4().hex[:8]}", f"gw{uuid.uuid4().hex[:6]}"


def test_every_event_reaches_a_subscriber_and_the_outbox_empties(
        tmp_path: Path, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    wh, gw = _ids()
    sub = Collector(host, port, f"stockpulse/v1/{wh}/#")
    box = SqliteOutbox(tmp_path / "o.sqlite")
    events = [make_event(wh, i) for i in range(3000)]
    box.enqueue(events[:1000])
    pub = MqttPublisher(box, replace(FAST, host=host, port=port, batch_events=200), wh, gw,
                        heartbeat=lambda: {"readers": {"r1": "ok"}}, heartbeat_s=0.2)
    pub.start()
    try:
        for i in range(1000, 3000, 100):
            box.enqueue(events[i:i + 100])
            pub.wake()
        assert sub.wait_for(lambda s: len(s.event_ids()) == 3000, timeout=30)
        assert sub.wait_for(lambda s: bool(s.payloads("/heartbeat")), timeout=10)
        assert [e.event_id for e in sub.events] == [e.event_id for e in events]  # in order
        status = sub.payloads("/status")
        assert status and status[0]["state"] == "online"
        heartbeat = sub.payloads("/heartbeat")[-1]
        assert "queue_depth" in heartbeat and heartbeat["readers"] == {"r1": "ok"}
        assert all(len(m.payload) <= 64 * 1024 for m in sub.messages)
    finally:
        pub.stop()
    assert box.depth == 0
    assert sub.wait_for(lambda s: s.payloads("/status")[-1]["state"] == "offline", timeout=10)
    sub.close()


def test_broker_outage_is_bridged_and_last_will_says_offline(
        tmp_path: Path, mqtt_broker: tuple[str, int]) -> None:
    wh, gw = _ids()
    with private_broker(tmp_path) as broker:
        sub = Collector("127.0.0.1", broker.port, f"stockpulse/v1/{wh}/#", persistent=True)
        box = SqliteOutbox(tmp_path / "o.sqlite")
        pub = MqttPublisher(box, replace(FAST, host="127.0.0.1", port=broker.port), wh, gw)
        pub.start()
        events = [make_event(wh, i) for i in range(600)]
        box.enqueue(events[:200])
        pub.wake()
        assert sub.wait_for(lambda s: len(s.event_ids()) == 200, timeout=20)
        broker.stop()  # outage: events keep coming and are queued
        box.enqueue(events[200:500])
        pub.wake()
        assert box.depth >= 300
        broker.start()
        box.enqueue(events[500:])
        pub.wake()
        # everything not acknowledged before the outage arrives after it
        assert sub.wait_for(lambda s: {str(e.event_id) for e in events} <= s.event_ids(),
                            timeout=30)
        assert pub.stats().connects >= 2
        pub.stop()
        assert box.depth == 0
        sub.close()


def test_last_will_is_published_when_the_gateway_vanishes(
        tmp_path: Path, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    wh, gw = _ids()
    box = SqliteOutbox(tmp_path / "o.sqlite")
    pub = MqttPublisher(box, replace(FAST, host=host, port=port, keepalive=1), wh, gw)
    pub.start()
    sub = Collector(host, port, f"stockpulse/v1/{wh}/+/status")
    try:
        assert sub.wait_for(lambda s: any(p["state"] == "online" for p in s.payloads("status")))
        # Cut the TCP connection without DISCONNECT: the broker must send the will.
        client = pub._client
        assert client is not None
        sock = client.socket()
        assert sock is not None
        sock.shutdown(2)
        assert sub.wait_for(lambda s: s.payloads("status")[-1]["state"] == "offline", 15)
        # ... and the publisher reconnects and says online again, retained.
        assert sub.wait_for(lambda s: s.payloads("status")[-1]["state"] == "online", 15)
    finally:
        pub.stop()
        sub.close()
    late = Collector(host, port, f"stockpulse/v1/{wh}/+/status")
    assert late.wait_for(lambda s: bool(s.messages), 10)
    assert late.messages[0].retain and json.loads(late.messages[0].payload)["state"] == "offline"
    late.close()


def test_a_gateway_started_before_its_broker_delivers_once_the_broker_is_up(
        tmp_path: Path) -> None:
    wh, gw = _ids()
    with private_broker(tmp_path) as broker:
        sub = Collector("127.0.0.1", broker.port, f"stockpulse/v1/{wh}/+/moves",
                        persistent=True)
        broker.stop()  # the subscriber's session is kept; the gateway starts into an outage
        box = SqliteOutbox(tmp_path / "o.sqlite")
        pub = MqttPublisher(box, replace(FAST, host="127.0.0.1", port=broker.port), wh, gw)
        pub.start()
        events = [make_event(wh, i) for i in range(50)]
        box.enqueue(events)
        pub.wake()
        try:
            broker.start()
            assert sub.wait_for(lambda s: {str(e.event_id) for e in events} <= s.event_ids(),
                                timeout=30)
            assert pub.stats().last_error is not None  # the refused connects were reported
            sub.close()
        finally:
            pub.stop()
