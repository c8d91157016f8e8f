"""MqttPublisher: drains the SqliteOutbox to the broker, QoS 1, batches, bounded window.

Rule kept here: an outbox row is deleted only after the PUBACK of the message carrying it;
after any disconnect every unacknowledged row is sent again (the hub de-duplicates by
event_id). With `wait_for_hub`, moves are published only while a hub has announced, on this
connection, that its subscription is in place (edge/hub_gate.py): a broker acknowledges a
publish nobody is subscribed to and drops it. paho runs on our own thread (`client.loop`),
its callbacks only hand over.
"""

from __future__ import annotations

import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.hub_gate import HubGate
from edge.outbox import Batch, OutboxError, SqliteOutbox
from edge.settings import MqttSettings
from protocol import Channel, topic
from protocol.gateway import GatewayHeartbeat, status_message
from protocol.topics import HUB_PRESENCE_FILTER

log = logging.getLogger(__name__)

HeartbeatSource = Callable[[], Mapping[str, object]]
HOLD_WARN_S = 10.0  # holding events for a hub longer than this is worth a warning
# paho's select() is not woken by new events: this bounds how long they wait for it. The
# outbox is asked again only when woken or when the window was full, so idle turns are cheap.
IDLE_SELECT_S = 0.005


def default_client_id(username: str | None, gateway: str) -> str:
    """A production broker binds a gateway's user to one client id, its user name
    (deploy/gen_mosquitto_auth.py), so nobody else can take this gateway's session. Without a
    user (a development broker) the id is random: two gateways of one name never meet."""
    return username or f"edge-{gateway}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class PublisherStats:
    connected: bool
    messages_published: int
    events_acked: int
    in_flight: int
    connects: int
    disconnects: int
    last_error: str | None
    hubs_online: int = 0  # hubs that announced their subscription on this connection
    waiting_for_hub: bool = False  # events queued and held: no hub announced yet


@dataclass(slots=True)
class _Counters:
    published: int = 0
    acked: int = 0
    connects: int = 0
    disconnects: int = 0
    last_error: str | None = None


class MqttPublisher:
    """One thread: connect (with backoff), publish status, fill the window, apply acks."""

    def __init__(self, outbox: SqliteOutbox, settings: MqttSettings, warehouse: str,
                 gateway: str, *, heartbeat: HeartbeatSource | None = None,
                 heartbeat_s: float = 30.0) -> None:
        self.outbox = outbox
        self.settings = settings
        self.warehouse = warehouse
        self.gateway = gateway
        self.moves_topic = topic(warehouse, gateway, Channel.MOVES)
        self.status_topic = topic(warehouse, gateway, Channel.STATUS)
        self.heartbeat_topic = topic(warehouse, gateway, Channel.HEARTBEAT)
        self._heartbeat = heartbeat
        self._heartbeat_s = heartbeat_s
        self._inbox: queue.SimpleQueue[tuple[str, int, int]] = queue.SimpleQueue()
        self._presence: queue.SimpleQueue[tuple[int, str, bytes]] = queue.SimpleQueue()
        self._gate = HubGate()
        self._holding = False
        self._holding_since = 0.0
        self._hold_warned = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: mqtt.Client | None = None
        self._generation = 0
        self._connected = False
        self._cursor = 0
        self._drained = False  # the last look into the outbox found nothing past the cursor
        self._in_flight: dict[int, Batch] = {}
        self._counters = _Counters()
        self._client_id = settings.client_id or default_client_id(settings.username, gateway)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Say offline (retained), disconnect cleanly and end the thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """New events are in the outbox (called by producers; cheap)."""
        self._wake.set()

    def stats(self) -> PublisherStats:
        c = self._counters
        return PublisherStats(self._connected, c.published, c.acked, len(self._in_flight),
                              c.connects, c.disconnects, c.last_error,
                              len(self._gate.online), self._holding)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        backoff = self.settings.backoff_min_s
        while not self._stop.is_set():
            try:
                if self._session():
                    backoff = self.settings.backoff_min_s
            except Exception as exc:  # never let the publishing thread die: retry instead
                log.exception("publisher failed; reconnecting")
                self._counters.last_error = f"publisher failed: {exc!r}"
                self._drop_connection()
            if not self._stop.is_set():
                delay = backoff * (0.8 + 0.4 * random.random())
                log.info("broker %s:%d: retrying in %.1f s", self.settings.host,
                         self.settings.port, delay)
                self._stop.wait(delay)
                backoff = min(backoff * 2, self.settings.backoff_max_s)

    def _session(self) -> bool:
        """One connection, from CONNACK to its loss (or our stop); False if none was made."""
        if not self._connect():
            return False
        self._serve()
        if self._stop.is_set():
            self._say_offline()
        self._drop_connection()
        return True

    def _new_client(self) -> mqtt.Client:
        s = self.settings
        # MQTT 5: a PUBACK carries a reason code, so a publish the broker refused (an ACL that
        # does not allow this topic) is seen as not delivered and its events stay queued.
        # With 3.1.1 Mosquitto acknowledges a refused publish like a delivered one.
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self._client_id,
                             protocol=mqtt.MQTTv5)
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls is not None:
            client.tls_set(ca_certs=s.tls.ca_certs, certfile=s.tls.certfile,
                           keyfile=s.tls.keyfile)
            client.tls_insecure_set(s.tls.insecure)
        client.will_set(self.status_topic, self._status("offline"), qos=1, retain=True)
        client.max_inflight_messages_set(max(s.window, 1) + 2)
        gen = self._generation = self._generation + 1
        put = self._inbox.put
        client.on_connect = lambda _c, _u, _f, rc, _p: put(("connack", int(rc.value), gen))
        client.on_disconnect = lambda _c, _u, _f, rc, _p: put(("gone", int(rc.value), gen))
        client.on_publish = lambda _c, _u, mid, rc, _p: put(
            ("nack" if getattr(rc, "is_failure", False) else "ack", mid, gen))
        if s.wait_for_hub:
            presence = self._presence.put
            client.on_subscribe = lambda _c, _u, _mid, rcs, _p: put(
                ("suback", max((int(r.value) for r in rcs), default=0x80), gen))
            client.on_message = lambda _c, _u, m: presence((gen, m.topic, bytes(m.payload)))
        return client

    def _connect(self) -> bool:
        s = self.settings
        client = self._new_client()
        try:
            client.connect(s.host, s.port, keepalive=s.keepalive)
        except (OSError, ValueError) as exc:
            self._counters.last_error = f"connect to {s.host}:{s.port}: {exc}"
            log.warning("%s", self._counters.last_error)
            return False
        self._client = client
        deadline = time.monotonic() + s.connect_timeout_s
        while time.monotonic() < deadline and not self._stop.is_set():
            client.loop(timeout=0.05)
            for kind, value, gen in self._drain_inbox():
                if gen != self._generation or kind == "ack":
                    continue
                if kind == "connack" and value == 0:
                    return self._on_connected(client)
                self._counters.last_error = f"broker refused or closed: {kind} rc={value}"
                if kind == "connack" and value in (0x85, 0x86, 0x87):  # MQTT 5 §3.2.2.2
                    self._counters.last_error += (
                        f" (check the user name and password; the client id {self._client_id!r}"
                        " must be the user name the broker binds it to)")
                log.warning("%s", self._counters.last_error)
                self._drop_connection()
                return False
        self._counters.last_error = "no CONNACK in time"
        self._drop_connection()
        return False

    def _on_connected(self, client: mqtt.Client) -> bool:
        self._connected = True
        self._counters.connects += 1
        self._cursor = 0  # everything still in the outbox is unacknowledged: send it again
        self._drained = False
        self._in_flight.clear()
        self._gate.reset()  # the broker may have lost every subscription: hear the hubs again
        if self.settings.wait_for_hub:
            client.subscribe(HUB_PRESENCE_FILTER, qos=1)
        client.publish(self.status_topic, self._status("online"), qos=1, retain=True)
        log.info("connected to %s:%d, %d events queued", self.settings.host,
                 self.settings.port, self.outbox.depth)
        return True

    def _serve(self) -> None:
        """While connected: fill the window, run paho's I/O, apply acks, send heartbeats."""
        client = self._client
        assert client is not None
        next_heartbeat = time.monotonic()
        while not self._stop.is_set():
            self._fill_window(client)
            # select() wakes at once for acks; new events wait at most IDLE_SELECT_S.
            client.loop(timeout=0.0 if self._wake.is_set() else IDLE_SELECT_S)
            if not self._apply_inbox():
                return
            if time.monotonic() >= next_heartbeat:
                self._send_heartbeat(client)
                next_heartbeat = time.monotonic() + self._heartbeat_s

    def _fill_window(self, client: mqtt.Client) -> None:
        # Producers store, then wake; a wake is cleared only when seen, before looking.
        woken = self._wake.is_set()
        if woken:
            self._wake.clear()
        if not self._hub_listening():
            self._drained = False  # look again once a hub is there
            return
        if self._drained and not woken:
            return
        while len(self._in_flight) < self.settings.window:
            try:
                batch = self.outbox.next_batch(self._cursor, self.settings.batch_events)
            except OutboxError as exc:
                self._counters.last_error = str(exc)
                self._drained = False
                return
            self._drained = batch is None
            if batch is None:
                return
            info = client.publish(self.moves_topic, batch.payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # not connected any more: the inbox will say so
            self._in_flight[info.mid] = batch
            self._cursor = batch.last_seq
            self._counters.published += 1

    def _hub_listening(self) -> bool:
        """May moves be published now? Logs when holding starts and ends."""
        self._apply_presence()
        listening = not self.settings.wait_for_hub or self._gate.open
        holding = not listening and self.outbox.depth > 0
        now = time.monotonic()
        if holding and not self._holding:
            self._holding_since, self._hold_warned = now, False
            log.info("holding %d queued events until a hub announces its subscription on %s",
                     self.outbox.depth, HUB_PRESENCE_FILTER)
        elif holding and not self._hold_warned and now - self._holding_since > HOLD_WARN_S:
            self._hold_warned = True
            log.warning("still holding %d queued events after %.0f s: no hub has announced a "
                        "subscription on %s (is a hub running and allowed to publish it?)",
                        self.outbox.depth, now - self._holding_since, HUB_PRESENCE_FILTER)
        elif listening and self._holding:
            log.info("hub %s subscribed: publishing %d queued events",
                     ", ".join(sorted(self._gate.online)), self.outbox.depth)
        self._holding = holding
        return listening

    def _apply_presence(self) -> None:
        while True:
            try:
                gen, name, payload = self._presence.get_nowait()
            except queue.Empty:
                return
            if gen == self._generation and self._gate.observe(name, payload) is None:
                log.warning("ignored a presence message on %s that is not valid", name)

    def _apply_inbox(self) -> bool:
        acked: list[Batch] = []
        connected = True
        for kind, value, gen in self._drain_inbox():
            if gen != self._generation:
                continue
            if kind == "suback" and value >= 0x80:
                self._counters.last_error = (
                    f"broker refused the subscription to {HUB_PRESENCE_FILTER} (reason "
                    f"{value:#x}): events are held until a hub is seen; allow gateways to "
                    "read it in the ACL (deploy/gen_mosquitto_auth.py) or set "
                    "mqtt.wait_for_hub: false")
                log.error("%s", self._counters.last_error)
            elif kind == "gone":
                log.warning("broker connection lost (rc=%d); %d messages unacknowledged",
                            value, len(self._in_flight))
                self._counters.last_error = f"disconnected rc={value}"
                connected = False
            elif kind == "ack" and value in self._in_flight:
                acked.append(self._in_flight.pop(value))
            elif kind == "nack" and value in self._in_flight:
                # Refused by the broker: keep the events, say so loudly, and start over on a
                # new connection (after backoff) so every unacknowledged row is sent again.
                self._in_flight.pop(value)
                self._counters.last_error = "broker refused a publish (not authorised for " \
                    "this topic?): events kept in the outbox"
                log.error("%s", self._counters.last_error)
                connected = False
        try:
            self.outbox.ack(*acked)
        except OutboxError as exc:  # the rows stay: they are sent again, de-duplicated later
            self._counters.last_error = str(exc)
            log.error("cannot delete acknowledged events: %s", exc)
        self._counters.acked += sum(b.count for b in acked)
        return connected

    def _drain_inbox(self) -> list[tuple[str, int, int]]:
        items = []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                return items

    def _drop_connection(self) -> None:
        if self._connected:
            self._counters.disconnects += 1
        self._connected = False
        self._in_flight.clear()
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop(timeout=0.0)
            # paho closes its sockets only from its own loop thread, which we do not run.
            client._reset_sockets()

    # -- status and heartbeat --------------------------------------------------------------
    def _status(self, state: str) -> bytes:
        return status_message(state, self.warehouse, self.gateway, datetime.now(UTC))

    def _send_heartbeat(self, client: mqtt.Client) -> None:
        client.publish(self.heartbeat_topic, self._heartbeat_body(), qos=0)

    def _heartbeat_body(self) -> bytes:
        """The heartbeat, checked against the contract the hub reads it by: a source whose
        stats break it costs its detail, never the heartbeat."""
        body: dict[str, object] = {"at": datetime.now(UTC).isoformat(),
                                   "queue_depth": self.outbox.depth}
        try:
            if self._heartbeat is not None:
                body.update(self._heartbeat())
            plain = json.loads(json.dumps(body, default=str))  # dataclasses, enums: as text
            return GatewayHeartbeat.model_validate(plain).encode()
        except Exception as exc:  # a broken stats callback must not stop publishing
            log.exception("heartbeat source failed or broke the heartbeat contract")
            return GatewayHeartbeat(at=datetime.now(UTC), queue_depth=self.outbox.depth,
                                    heartbeat_error=repr(exc)[:1000]).encode()

    def _say_offline(self) -> None:
        """A clean stop: the will is not sent on DISCONNECT, so publish offline ourselves."""
        client = self._client
        if client is None or not self._connected:
            return
        info = client.publish(self.status_topic, self._status("offline"), qos=1, retain=True)
        deadline = time.monotonic() + 2.0
        # Let acks of messages already sent arrive, so a clean stop re-sends nothing.
        while (self._in_flight or not info.is_published()) and time.monotonic() < deadline:
            client.loop(timeout=0.05)
            if not self._apply_inbox():
                return
