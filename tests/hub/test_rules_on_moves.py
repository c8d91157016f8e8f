"""Rules evaluated by the running hub when moves commit: an alert on MQTT, without asking."""

from __future__ import annotations

import json
import queue
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from protocol import encode_event, topic, warehouse_topic
from tests.hub.mqtt_tools import Publisher
from tests.hub.test_ingest import seed_site
from tests.hub_fixtures import running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
RULES = """
rules:
  - name: running low
    when: on_hand < 5
    then: [alert: supervisors]
    message: "{sku} down to {on_hand} in {warehouse}"
"""


def test_a_move_that_drops_stock_raises_an_alert_on_mqtt(
        fresh_db_url: str, mqtt_broker: tuple[str, int]) -> None:
    wh = f"R{uuid.uuid4().hex[:8]}"
    bins = seed_site(fresh_db_url, wh)
    alerts: queue.Queue[dict[str, object]] = queue.Queue()
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"alerts-{wh}")
    sub.on_connect = lambda c, *a: c.subscribe(warehouse_topic(wh, "alerts"), qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: alerts.put(json.loads(m.payload))
    sub.connect(*mqtt_broker)
    sub.loop_start()
    try:
        assert subscribed.wait(10)
        with running_hub(fresh_db_url, rules_debounce_ms=100) as hub, hub.client() as api:
            assert api.put("/api/v1/planning/rules", content=RULES,
                           headers={"content-type": "text/plain"}).status_code == 200
            pub = Publisher(*mqtt_broker)
            pub.publish(topic(wh, "gw", "moves"),
                        encode_event(item_move("SKU-LOW", 20, None, bins[0], wh=wh)))
            pub.publish(topic(wh, "gw", "moves"),
                        encode_event(item_move("SKU-LOW", 17, bins[0], None, wh=wh, t=1)))
            pub.close()
            alert = alerts.get(timeout=30)
            stored = api.get("/api/v1/planning/alerts", params={"warehouse": wh}).json()
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert "SKU-LOW" in json.dumps(alert) and "3" in json.dumps(alert)
    assert any("SKU-LOW" in json.dumps(a) for a in stored)
