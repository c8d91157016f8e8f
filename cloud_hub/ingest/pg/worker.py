"""IngestWorker: what becomes of the messages the MQTT adapter received — one thread that
collects them into windows, sorts and decodes them, records dead letters and gateway news, and
hands each sender's events to the ledger's one apply entry point; the window is acknowledged
(through the adapter) once every part of it has committed or become a dead letter.

Rule kept here: a message is acknowledged only after what it carried is in the database (a
crash before means the broker redelivers, and the ledger's event ids make that a no-op). No
stage lets an error stop it: only a lost database is waited for and retried; any other failure
is narrowed to the message or event that causes it (isolate.py), which becomes a dead letter,
and the rest of the window applies. The worker never touches paho: it gets deliveries (a topic
and a payload) and gives them back to `ack`.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from psycopg_pool import ConnectionPool

from cloud_hub.ingest.messages import DeadLetter, Sorted, event_raw, moves_senders, sort_messages
from cloud_hub.ingest.pg.isolate import failure_reason, halves, is_transient
from cloud_hub.ingest.pg.recorder import Recorder
from cloud_hub.ingest.pg.registry import GatewayRegistry
from cloud_hub.ledger import BatchResult
from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.live.messages import Sink
from cloud_hub.ops.metrics import Metrics
from cloud_hub.settings import HubSettings
from protocol.events import StockMoved

log = logging.getLogger("stockpulse.ingest")


class Delivery(Protocol):
    """A received message as the adapter hands it over (paho's MQTTMessage is one)."""

    payload: bytes | bytearray

    @property
    def topic(self) -> str: ...


Ack = Callable[[Sequence[Delivery]], None]


class IngestWorker:
    def __init__(self, settings: HubSettings, ledger: ApplyService, pool: ConnectionPool,
                 metrics: Metrics, live: Sink | None) -> None:
        self.settings, self.ledger, self.metrics = settings, ledger, metrics
        self.inbox: queue.Queue[Delivery] = queue.Queue()  # the adapter's callback puts here
        self.retry: queue.Queue[_Window] = queue.Queue()
        self.retry_delay = 0.1
        self.clock_tolerance = timedelta(seconds=settings.clock_tolerance_s)
        self.registry = GatewayRegistry(pool)
        self.recorder = Recorder(pool, metrics, live, settings.dead_letter_max_bytes)
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name="mqtt-ingest", daemon=True)
        self.ack: Ack = _no_ack

    def start(self, ack: Ack) -> None:
        self.ack = ack
        self.thread.start()

    def stop(self) -> None:
        """Stop taking windows; wait for the ledger, so the acks of what it committed go out."""
        self.stop_flag.set()
        if self.thread.is_alive():
            self.thread.join(timeout=10)
        self.ledger.flush(timeout=10)

    # -- the ingest thread ---------------------------------------------------------------------
    def _run(self) -> None:
        while not self.stop_flag.is_set():
            try:
                window = self.retry.get_nowait()
            except queue.Empty:
                batch = self._collect()
                if not batch:
                    continue
                window = self._window(batch, self._sort(batch))
            else:
                if window.waits:  # the database was away: wait a little, then try again
                    self.stop_flag.wait(self.retry_delay)
                    self.retry_delay = min(self.retry_delay * 2, 5.0)
                window.waits = False
            self._process_until_done(window)

    def _collect(self) -> list[Delivery]:
        """The next window: what arrives within batch_window_ms of its first message, up to
        batch_max_events events."""
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

    def _sort(self, batch: list[Delivery]) -> Sorted:
        """Never raises: a window the sorter cannot handle becomes dead letters, whole."""
        try:
            messages = [(m.topic, bytes(m.payload)) for m in batch]
            refused = self._refused([t for t, _ in messages])
            return sort_messages(messages, datetime.now(UTC), self.clock_tolerance, refused)
        except Exception as exc:
            log.exception("sorting a window of %d messages failed; they become dead letters",
                          len(batch))
            out = Sorted()
            out.dead += [DeadLetter(_topic_of(m), f"the hub could not sort this message "
                                    f"({type(exc).__name__}: {exc})", bytes(m.payload), None)
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
            self.metrics.inc("stockpulse_unregistered_gateway_messages_total",
                             sum(1 for t in topic_names if _sender(t) in unknown))
            return set()
        return unknown

    def _window(self, batch: list[Delivery], sorted_: Sorted) -> _Window:
        self.metrics.inc("stockpulse_mqtt_messages_total", len(batch))
        parts = [_Part(sender, sorted_.topics.get(sender, ""), events)
                 for sender, events in sorted_.events_by_sender.items()]
        return _Window(batch, sorted_, parts)

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

    def process(self, window: _Window) -> None:
        """Record dead letters and gateway news, hand each sender's events to the ledger, and
        acknowledge the window's messages once every part has committed or become a dead
        letter (on the ledger's writer thread, which commits the last part)."""
        if not window.recorded:
            self.recorder.record(window.sorted_.dead, window.sorted_.news,
                                 window.sorted_.readings)
            window.recorded = True
        if window.failed:  # events the ledger refused for good: dead letters before the ack
            self.recorder.record(window.failed, ())
            window.failed = []
        parts, window.parts = window.parts, []
        if not parts:
            self.ack(window.batch)
            return
        remaining = [len(parts)]
        guard = threading.Lock()

        def done_for(part: _Part) -> Callable[[BatchResult | BaseException], None]:
            def done(result: BatchResult | BaseException) -> None:
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
                    self.ack(window.batch)
            return done

        for part in parts:
            self.ledger.submit(part.events, part.sender, done_for(part))

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
            self.metrics.inc("stockpulse_ingest_splits_total")
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
        self.ack(window.batch)


@dataclass(eq=False)
class _Part:
    """Events of one sender, applied in one ledger transaction."""

    sender: str
    topic: str  # where they came from, for a dead letter
    events: list[StockMoved]


@dataclass(eq=False)
class _Window:
    """One collected window of messages and what of it is still to be settled."""

    batch: list[Delivery]
    sorted_: Sorted
    parts: list[_Part]
    recorded: bool = False
    failed: list[DeadLetter] = field(default_factory=list)  # found while applying
    waits: bool = False  # a part failed because the database was away: retry after a pause


def _no_ack(_batch: Sequence[Delivery]) -> None:
    raise RuntimeError("IngestWorker.start(ack) was not called")


def _topic_of(message: Delivery) -> str:
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
