"""Fixtures shared by the planning tests: a fresh warehouse id and a subscriber to its alerts."""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest

from protocol import Channel, warehouse_topic


@pytest.fixture
def wh() -> str:
    return f"WH{uuid.uuid4().hex[:8]}"


@pytest.fixture
def alerts(mqtt_broker: tuple[str, int], wh: str) -> Iterator[queue.Queue[dict[str, object]]]:
    """Alerts published on the real broker for `wh`, subscribed before the test starts."""
    got: queue.Queue[dict[str, object]] = queue.Queue()
    subscribed: queue.Queue[int] = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                         client_id=f"planning-test-{uuid.uuid4().hex[:8]}")
    client.on_message = lambda c, u, msg: got.put(json.loads(msg.payload))
    client.on_subscribe = lambda c, u, mid, codes, props: subscribed.put(mid)
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(
        warehouse_topic(wh, Channel.ALERTS), qos=1)
    client.connect(*mqtt_broker)
    client.loop_start()
    subscribed.get(timeout=10)
    yield got
    client.loop_stop()
    client.disconnect()
