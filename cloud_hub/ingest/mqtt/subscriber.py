"""MqttIngest: the hub's paho client — a shared subscription on the moves topics (and the
gateways' status and heartbeat), messages handed to the ingest worker, acknowledged when it
says so.

Rule kept here: paho's network thread only moves messages into the worker's queue (and notes
when each arrived); decoding, dead letters, gateway records and the ledger live beside it, in
the worker (cloud_hub/ingest/pg/worker.py), which hands the messages back to `ack` once what
they carried committed. Nothing here runs SQL or knows the ledger.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud_hub.broker.client import hub_client
from cloud_hub.ingest.mqtt.presence import HubAnnouncer
from cloud_hub.ingest.pg.worker import Delivery, IngestWorker
from cloud_hub.ops.metrics import Metrics
from cloud_hub.settings import HubSettings
from protocol.topics import Channel, subscription

log = logging.getLogger("stockpulse.ingest")


class MqttIngest:
    def __init__(self, settings: HubSettings, worker: IngestWorker, metrics: Metrics) -> None:
        self.settings = settings
        self.worker = worker
        self.connected = threading.Event()
        client_id = settings.mqtt_client_id or f"stockpulse-hub-{socket.gethostname()}"
        self.client = hub_client(settings, client_id, protocol=mqtt.MQTTv5, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.presence = HubAnnouncer(self.client, client_id, settings.mqtt_shared_group,
                                     subscription(Channel.MOVES, settings.mqtt_shared_group))
        # Reconnect fast: after a broker restart gateways hold their outboxes until a hub
        # announces its subscription again (presence.py), so the sooner we are back, the
        # shorter the stall.
        self.client.reconnect_delay_set(0.1, 0.5)  # type: ignore[arg-type]  # floats work
        # id(message) -> when it arrived, in arrival order; left when its window is settled
        self._unacked: OrderedDict[int, float] = OrderedDict()
        self._unacked_lock = threading.Lock()
        metrics.gauge("stockpulse_mqtt_oldest_unacked_seconds", self.oldest_unacked_s)

    # -- paho's thread: hand over only ----------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object,
                    _p: object) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the hub: %s", reason)
            return
        group = self.settings.mqtt_shared_group
        _rc, mid = client.subscribe([(subscription(Channel.MOVES, group), 1),
                                     (subscription(Channel.STATUS), 1),
                                     (subscription(Channel.HEARTBEAT), 0),
                                     (subscription(Channel.READINGS, group), 1)])
        self.presence.expect(mid)  # gateways publish once this SUBACK is announced
        self.connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        with self._unacked_lock:
            self._unacked[id(message)] = time.monotonic()
        self.worker.inbox.put(message)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 24 * 3600  # persistent: unacked messages wait for us
        props.ReceiveMaximum = 1000
        self.client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port,
                                  keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        self.worker.start(self.ack)

    def stop(self) -> None:
        self.worker.stop()  # the acks of what the ledger committed go out before we disconnect
        self.presence.leave()
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)

    # -- any thread: the worker says a window is settled ------------------------------------
    def ack(self, batch: Sequence[Delivery]) -> None:
        for message in batch:
            assert isinstance(message, mqtt.MQTTMessage)
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)
        with self._unacked_lock:
            for message in batch:
                self._unacked.pop(id(message), None)

    def oldest_unacked_s(self) -> float:
        """How long the oldest message received and not yet acknowledged (or, QoS 0, not yet
        handled) has waited; 0 when none waits."""
        with self._unacked_lock:
            if not self._unacked:
                return 0.0
            first = next(iter(self._unacked.values()))
        return max(time.monotonic() - first, 0.0)
