"""MqttIngest: a shared subscription on the moves topics, acknowledged only after commit.

Rule kept here: paho's network thread only queues messages. A decoding thread batches them
(by size or a short window) and sorts them; one worker thread writes dead letters, hands the
events to the ledger pipeline (one transaction per sender; the next window is decided while
this one is written), and only once every part has committed or become a dead letter sends
the PUBACKs — a crash before commit means the broker redelivers, and the ledger's event ids
make the redelivery a no-op. No stage lets an error stop it: only a lost database is waited
for and retried; any other failure is narrowed to the message or event that causes it
(isolate.py), which becomes a dead letter, and the rest of the window applies.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud_hub.broker.client import hub_client
from cloud_hub.ingest.messages import (
    DeadLetter,
    Sorted,
    event_raw,
    moves_senders,
    sort_messages,
)
from cloud_hub.ingest.mqtt.presence import HubAnnouncer
from cloud_hub.ingest.pg.isolate import failure_reason, halves, is_transient
from cloud_hub.ingest.pg.recorder import Recorder
from cloud_hub.ingest.pg.registry import GatewayRegistry
from cloud_hub.ledger.pg.apply import ApplyService
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
        self.client = hub_client(settings, client_id, protocol=mqtt.MQTTv5, manual_ack=True)
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
        self.clock_tolerance = timedelta(seconds=settings.clock_tolerance_s)
        self.registry = GatewayRegistry(service.pool)
        self.recorder = Recorder(service.pool, service.metrics, service.live,
                                 settings.dead_letter_max_bytes)
        # id(message) -> when it arrived, in arrival order; left when its window is settled
        self._unacked: OrderedDict[int, float] = OrderedDict()
        self._unacked_lock = threading.Lock()
        service.metrics.gauge("stockpulse_mqtt_oldest_unacked_seconds", self.oldest_unacked_s)

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
        with self._unacked_lock:
            self._unacked[id(message)] = time.monotonic()
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
        self.service.flush(timeout=10)  # their acks go out before we disconnect
        self.presence.leave()
        self.client.disconnect()
        self.client.loop_stop()

    # -- the decoding thread ---------------------------------------------------------------
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
            sorted_ = self._sort(batch)
            while not self.stop_flag.is_set():
                try:
                    self.decoded.put((batch, sorted_), timeout=0.2)
                    break
                except queue.Full:
                    continue

    def _sort(self, batch: list[mqtt.MQTTMessage]) -> Sorted:
        """Never raises: a window the sorter cannot handle becomes dead letters, whole."""
        try:
            messages = [(m.topic, m.payload) for m in batch]
            refused = self._refused([t for t, _ in messages])
            return sort_messages(messages, datetime.now(UTC), self.clock_tolerance, refused)
        except Exception as exc:
            log.exception("sorting a window of %d messages failed; they become dead letters",
                          len(batch))
            out = Sorted()
            out.dead += [DeadLetter(_topic_of(m), f"the hub could not sort this message "
                                    f"({type(exc).__name__}: {exc})", m.payload, None)
                         for m in batch]
            return out

    def _refused(self, topic_names: list[str]) -> set[tuple[str, str]]:
        """The gateways whose moves in this window are dead letters (not registered); in
        "flag" mode none: they are counted and warned about instead."""
        senders = moves_senders(topic_names)
        if not senders:
            return set()
        delay = 0.1
        while True:
            try:
                unknown = self.registry.unregistered(senders)
                break
            except Exception as exc:
                if not is_transient(exc) or self.stop_flag.is_set():
                    log.exception("the gateway registry could not be read; not checking")
                    return set()
                log.warning("the gateway registry could not be read, retrying in %.1fs: %s",
                            delay, exc)
                self.stop_flag.wait(delay)
                delay = min(delay * 2, 5.0)
        refuse = self.settings.unregistered_gateways == "refuse"
        for wh, gw in unknown:
            if self.registry.first_time((wh, gw)):
                log.warning("moves on the topic of gateway %s/%s, which is not registered, "
                            "are %s (python -m cloud_hub gateways add %s %s)", wh, gw,
                            "dead letters" if refuse else "applied, flagged", wh, gw)
        if not refuse and unknown:
            self.service.metrics.inc("stockpulse_unregistered_gateway_messages_total",
                                     sum(1 for t in topic_names if _sender(t) in unknown))
            return set()
        return unknown

    # -- the worker ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                window = self.retry.get_nowait()
            except queue.Empty:
                try:
                    window = self._window(*self.decoded.get(timeout=0.2))
                except queue.Empty:
                    continue
            else:
                if window.waits:  # the database was away: wait a little, then try again
                    self.stop_flag.wait(self.retry_delay)
                    self.retry_delay = min(self.retry_delay * 2, 5.0)
                window.waits = False
            self._process_until_done(window)

    def _process_until_done(self, window: _Window) -> None:
        delay = 0.1
        while not self.stop_flag.is_set():
            try:
                self.process(window)
                return
            except Exception as exc:
                if not is_transient(exc):  # not the database being away: never loop on it
                    log.exception("a window failed unexpectedly; its events become dead "
                                  "letters")
                    self._give_up(window, exc)
                    return
                log.warning("could not record a window, retrying in %.1fs: %s", delay, exc)
                self.stop_flag.wait(delay)
                delay = min(delay * 2, 5.0)

    def _window(self, batch: list[mqtt.MQTTMessage], sorted_: Sorted) -> _Window:
        self.service.metrics.inc("stockpulse_mqtt_messages_total", len(batch))
        parts = [_Part(sender, sorted_.topics.get(sender, ""), events)
                 for sender, events in sorted_.events_by_sender.items()]
        return _Window(batch, sorted_, parts)

    def process(self, window: _Window) -> None:
        """Record dead letters and gateway news, hand each sender's events to the ledger
        pipeline, and acknowledge the window's messages once every part has committed or
        become a dead letter."""
        if not window.recorded:
            self.recorder.record(window.sorted_.dead, window.sorted_.news)
            window.recorded = True
        if window.failed:  # events the ledger refused for good: dead letters before the ack
            self.recorder.record(window.failed, ())
            window.failed = []
        parts, window.parts = window.parts, []
        if not parts:
            self._ack(window.batch)
            return
        remaining = [len(parts)]
        guard = threading.Lock()

        def done_for(part: _Part) -> Callable[[object], None]:
            def done(result: object) -> None:
                with guard:
                    if isinstance(result, BaseException):
                        self._failed(window, part, result)
                    remaining[0] -= 1
                    last = remaining[0] == 0
                if not last:
                    return
                if window.parts or window.failed:
                    self.retry.put(window)  # acks wait until every part is settled
                else:
                    self.retry_delay = 0.1
                    self._ack(window.batch)
            return done

        for part in parts:
            self.service.submit(part.events, part.sender, done_for(part))

    def _failed(self, window: _Window, part: _Part, error: BaseException) -> None:
        """A part the ledger refused: kept for a retry when the database was away; else
        halved, down to the one event that fails, which becomes a dead letter."""
        if is_transient(error):
            log.warning("ledger refused a batch from %s for now: %s", part.sender, error)
            window.parts.append(part)
            window.waits = True
        elif len(part.events) > 1:
            log.warning("a batch of %d events from %s failed (%s); splitting it to find the "
                        "event that fails", len(part.events), part.sender, error)
            self.service.metrics.inc("stockpulse_ingest_splits_total")
            first, second = halves(part.events)
            window.parts += [_Part(part.sender, part.topic, first),
                             _Part(part.sender, part.topic, second)]
        else:
            event = part.events[0]
            log.error("event %s from %s cannot be applied: %s", event.event_id, part.sender,
                      error)
            window.failed.append(DeadLetter(
                part.topic, f"event {event.event_id} could not be applied: "
                f"{failure_reason(error)}", _raw_or_id(event), _warehouse_of_sender(part)))

    def _give_up(self, window: _Window, error: BaseException) -> None:
        """Last resort for a window that failed in a way nothing expected: whatever it still
        holds becomes dead letters (a supervisor can replay them), then it is acknowledged."""
        reason = f"the hub failed while applying this window: {failure_reason(error)}"
        letters = list(window.failed)
        letters += [DeadLetter(p.topic, reason, _raw_or_id(e), _warehouse_of_sender(p))
                    for p in window.parts for e in p.events]
        if not window.recorded:
            letters += window.sorted_.dead
        try:
            self.recorder.record(letters, ())
        except Exception:
            log.exception("could not record the dead letters of a failed window")
        self._ack(window.batch)

    def _ack(self, batch: list[mqtt.MQTTMessage]) -> None:
        for message in batch:
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


@dataclass(eq=False)
class _Part:
    """Events of one sender, applied in one ledger transaction."""

    sender: str
    topic: str  # where they came from, for a dead letter
    events: list[StockMoved]


@dataclass(eq=False)
class _Window:
    """One collected window of messages and what of it is still to be settled."""

    batch: list[mqtt.MQTTMessage]
    sorted_: Sorted
    parts: list[_Part]
    recorded: bool = False
    failed: list[DeadLetter] = field(default_factory=list)  # found while applying
    waits: bool = False  # a part failed because the database was away: retry after a pause


def _topic_of(message: mqtt.MQTTMessage) -> str:
    try:
        return str(message.topic)
    except Exception:  # not UTF-8: brokers refuse such topics, but never fail over one
        return repr(getattr(message, "_topic", b""))


def _sender(topic_name: str) -> tuple[str, str] | None:
    found = moves_senders([topic_name])
    return next(iter(found)) if found else None


def _warehouse_of_sender(part: _Part) -> str | None:
    return part.events[0].warehouse if part.events else None


def _raw_or_id(event: StockMoved) -> bytes:
    try:
        return event_raw(event)
    except Exception:  # the event may be what cannot be serialised: keep what names it
        return json.dumps({"event_id": str(event.event_id)}).encode()
