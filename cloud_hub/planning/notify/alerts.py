"""The rules' alerts on MQTT: JSON on stockpulse/v1/<warehouse>/alerts, QoS 1 (paho-mqtt 2.x).

Rule kept here: the publisher is built once, by cloud_hub.main, on a client made from the hub's
MQTT settings (credentials, TLS: cloud_hub.broker.client), so alerts go wherever ingest can
connect; a publish that cannot be delivered is an ActionFailed in the dispatch report (the
alert stays stored), never an exception that stops the rules.
"""

from __future__ import annotations

import json
import threading
import uuid

import paho.mqtt.client as mqtt

from cloud_hub.planning.pg.actions import ActionFailed
from protocol.topics import Channel, warehouse_topic


class MqttAlertPublisher:
    """Publishes alerts as JSON on stockpulse/v1/<warehouse>/alerts, QoS 1 (paho-mqtt 2.x).

    `client` comes configured (the hub's: cloud_hub.broker.client.hub_client, with its
    credentials and TLS); start() connects in the background and paho reconnects by itself. A
    publish waits up to `timeout` for the connection and then for the broker's PUBACK.
    """

    def __init__(self, host: str, port: int, *, client: mqtt.Client | None = None,
                 timeout: float = 5.0) -> None:
        self._where = f"{host}:{port}"
        self._host, self._port, self._timeout = host, port, timeout
        self._connected = threading.Event()
        self._client = client or mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                             client_id=f"planning-{uuid.uuid4().hex[:10]}")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: mqtt.ReasonCode, properties: object) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self._connected.clear()

    def publish(self, warehouse: str, payload: dict[str, object]) -> None:
        if not self._connected.wait(self._timeout):
            raise ActionFailed(f"the MQTT broker at {self._where} did not accept the "
                               "connection")
        info = self._client.publish(warehouse_topic(warehouse, Channel.ALERTS),
                                    json.dumps(payload, default=str), qos=1)
        try:
            info.wait_for_publish(self._timeout)
        except (RuntimeError, ValueError) as exc:
            raise ActionFailed(f"MQTT publish failed: {exc}") from exc
        if not info.is_published():
            raise ActionFailed("MQTT publish was not acknowledged in time")

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
