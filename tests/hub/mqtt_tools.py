"""Publishing to the real Mosquitto from tests, waiting on PUBACKs rather than sleeping."""

from __future__ import annotations

import threading
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Publisher:
    """A QoS 1 publisher that can wait until every message it sent was acknowledged."""

    def __init__(self, host: str, port: int) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.connected = threading.Event()
        self.client.on_connect = lambda *a: self.connected.set()
        self.client.connect(host, port)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise TimeoutError("test publisher could not connect to the broker")
        self.infos: list[mqtt.MQTTMessageInfo] = []

    def publish(self, topic: str, payload: bytes, qos: int = 1, retain: bool = False) -> None:
        self.infos.append(self.client.publish(topic, payload, qos=qos, retain=retain))

    def flush(self, timeout: float = 60.0) -> None:
        for info in self.infos:
            info.wait_for_publish(timeout)
        self.infos.clear()

    def close(self) -> None:
        self.flush()
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
