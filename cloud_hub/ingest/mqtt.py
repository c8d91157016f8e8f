"""MqttIngest: a shared subscription on the moves topics, acknowledged only after commit.

Rule kept here: paho's network thread only queues messages. One worker thread batches them
(by size or a short window), writes dead letters, hands them to the ledger pipeline (one
transaction per sender; the next window is decided while this one is written), and only
once every part has committed sends the PUBACKs — a crash before commit means the broker
redelivers, and the ledger's event ids make the redelivery a no-op.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from psycopg.types.json import Jsonb

from cloud_hub.apply_service import ApplyService
from cloud_hub.ingest.messages import GatewayNews, Sorted, gateway_row, sort_messages
from cloud_hub.ingest.presence import HubAnnouncer
from cloud_hub.settings import HubSettings
from protocol.events import StockMoved
from protocol.topics import Channel, subscription

log = logging.getLogger("stockpulse.ingest")


class MqttIngest:
    def __init__(self, settings: HubSettings, service: ApplyService) -> None:
        self.settings = settings
        self.service = service
        self.inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.stop_flag = threading.Event()
        self.connected = threading.Event()
        client_id = settings.mqtt_client_id or f"stockpulse-hub-{socket.gethostname()}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5, manual_ack=True)
        if settings.mqtt_username:
            self.client.username_pw_set(settings.mqtt_username, settings.mqtt_password)
        if settings.mqtt_tls_ca_file:
            self.client.tls_set(ca_certs=settings.mqtt_tls_ca_file,
                                certfile=settings.mqtt_tls_cert_file,
                                keyfile=settings.mqtt_tls_key_file)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.presence = HubAnnouncer(self.client, client_id, settings.mqtt_shared_group,
                                     subscription(Channel.MOVES, settings.mqtt_shared_group))
        # Reconnect fast: after a broker restart gateways hold their outboxes until a hub
        # announces its subscription again (presence.py), so the sooner we are back, the
        # shorter the stall.
        self.client.reconnect_delay_set(0.1, 0.5)
        # Two stages so decoding the next window overlaps the ledger transaction of this one.
        self.decoded: queue.Queue[tuple[list[mqtt.MQTTMessage], Sorted]] = queue.Queue(2)
        self.decoder = threading.Thread(target=self._decode_loop, name="mqtt-decode",
                                        daemon=True)
        self.retry: queue.Queue[_Window] = queue.Queue()
        self.retry_delay = 0.1
        self.worker = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)

    # -- paho's thread: hand over only ----------------------------------------------------
    def _on_connect(self, client: mqtt.Client, _u: object, _f: object, reason: object,
                    _p: object) -> None:
        if getattr(reason, "is_failure", False):
            log.error("broker refused the hub: %s", reason)
            return
        group = self.settings.mqtt_shared_group
        _rc, mid = client.subscribe([(subscription(Channel.MOVES, group), 1),
                                     (subscription(Channel.STATUS), 1),
                                     (subscription(Channel.HEARTBEAT), 0)])
        self.presence.expect(mid)  # gateways publish once this SUBACK is announced
        self.connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self.connected.clear()

    def _on_message(self, _c: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        self.inbox.put(message)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 24 * 3600  # persistent: unacked messages wait for us
        props.ReceiveMaximum = 1000
        self.client.connect_async(self.settings.mqtt_host, self.settings.mqtt_port,
                                  keepalive=30, clean_start=False, properties=props)
        self.client.loop_start()
        self.decoder.start()
        self.worker.start()

    def stop(self) -> None:
        self.stop_flag.set()
        self.decoder.join(timeout=10)
        self.worker.join(timeout=10)
        self.service.pipeline.flush(timeout=10)  # their acks go out before we disconnect
        self.presence.leave()
        self.client.disconnect()
        self.client.loop_stop()

    # -- the worker ----------------------------------------------------------------------
    def _collect(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_window_ms / 1000
        budget = self.settings.batch_max_events
        size = 0
        while size < budget:
            remaining = deadline - time.monotonic()
            try:
                msg = self.inbox.get(timeout=max(remaining, 0)) if remaining > 0 \
                    else self.inbox.get_nowait()
            except queue.Empty:
                break
            batch.append(msg)
            size += max(1, msg.payload.count(b'"event_id"'))
        return batch

    def _decode_loop(self) -> None:
        while not self.stop_flag.is_set():
            batch = self._collect()
            if not batch:
                continue
            sorted_ = sort_messages([(m.topic, m.payload) for m in batch])
            while not self.stop_flag.is_set():
                try:
                    self.decoded.put((batch, sorted_), timeout=0.2)
                    break
                except queue.Full:
                    continue

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                window = self.retry.get_nowait()
            except queue.Empty:
                try:
                    window = self._window(*self.decoded.get(timeout=0.2))
                except queue.Empty:
                    continue
            else:  # a window whose ledger part failed: wait a little, then try it again
                self.stop_flag.wait(self.retry_delay)
                self.retry_delay = min(self.retry_delay * 2, 5.0)
            delay = 0.1
            while not self.stop_flag.is_set():
                try:
                    self.process(window)
                    break
                except Exception as exc:  # database away: keep, retry, never ack
                    log.warning("could not record a window, retrying in %.1fs: %s", delay, exc)
                    self.stop_flag.wait(delay)
                    delay = min(delay * 2, 5.0)

    def _window(self, batch: list[mqtt.MQTTMessage], sorted_: Sorted) -> _Window:
        self.service.metrics.inc("stockpulse_mqtt_messages_total", len(batch))
        return _Window(batch, sorted_, list(sorted_.events_by_sender.items()))

    def process(self, window: _Window) -> None:
        """Record dead letters and gateway news, hand each sender's events to the ledger
        pipeline, and acknowledge the window's messages once every part has committed."""
        if not window.recorded:
            self._record(window.sorted_)
            window.recorded = True
        parts, window.parts = window.parts, []
        if not parts:
            self._ack(window.batch)
            return
        remaining = [len(parts)]
        guard = threading.Lock()

        def done_for(part: tuple[str, list[StockMoved]]) -> Callable[[object], None]:
            def done(result: object) -> None:
                with guard:
                    if isinstance(result, BaseException):
                        log.warning("ledger refused a batch from %s for now: %s", part[0],
                                    result)
                        window.parts.append(part)
                    remaining[0] -= 1
                    last = remaining[0] == 0
                if not last:
                    return
                if window.parts:
                    self.retry.put(window)  # acks wait until every part committed
                else:
                    self.retry_delay = 0.1
                    self._ack(window.batch)
            return done

        for part in parts:
            self.service.submit(part[1], part[0], done_for(part))

    def _ack(self, batch: list[mqtt.MQTTMessage]) -> None:
        for message in batch:
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)

    def _record(self, sorted_: Sorted) -> None:
        if not sorted_.dead and not sorted_.news:
            return
        now = datetime.now(UTC)
        with self.service.pool.connection() as conn, conn.transaction():
            if sorted_.dead:
                conn.cursor().executemany(
                    "INSERT INTO dead_letters (topic, warehouse, source, reason, raw) "
                    "VALUES (%s, %s, 'mqtt', %s, %s)",
                    [(d.topic, d.warehouse, d.reason, d.raw) for d in sorted_.dead])
            for news in sorted_.news:
                _upsert_gateway(conn, news, now)
        self.service.metrics.inc("stockpulse_dead_letters_total", len(sorted_.dead))
        if self.service.live is not None and sorted_.news:
            self.service.live.publish([
                {"type": "gateway", "warehouse": n.warehouse, "gateway": n.gateway,
                 "state": gateway_row(n, now)[2], "last_heartbeat": now.isoformat(),
                 "queue_depth": gateway_row(n, now)[5]} for n in sorted_.news])


@dataclass(eq=False)
class _Window:
    """One collected window of messages and what of it is still to be applied."""

    batch: list[mqtt.MQTTMessage]
    sorted_: Sorted
    parts: list[tuple[str, list[StockMoved]]]
    recorded: bool = False


def _upsert_gateway(conn: psycopg.Connection, news: GatewayNews, now: datetime) -> None:
    wh, gw, state, beat, status_at, depth, info = gateway_row(news, now)
    conn.execute("INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING", (wh,))
    conn.execute("""
        INSERT INTO gateways (warehouse, gateway, state, last_heartbeat, last_status_at,
                              queue_depth, info)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (warehouse, gateway) DO UPDATE SET
          state = CASE WHEN EXCLUDED.last_status_at IS NOT NULL THEN EXCLUDED.state
                       ELSE gateways.state END,
          last_heartbeat = COALESCE(EXCLUDED.last_heartbeat, gateways.last_heartbeat),
          last_status_at = COALESCE(EXCLUDED.last_status_at, gateways.last_status_at),
          queue_depth = COALESCE(EXCLUDED.queue_depth, gateways.queue_depth),
          info = gateways.info || EXCLUDED.info""",
                 (wh, gw, state, beat, status_at, depth, Jsonb(info)))
