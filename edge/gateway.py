"""The gateway: sources (RFID, scanners, cameras) -> SqliteOutbox -> MqttPublisher, and health.

Rule kept here: a source hands its events to `emit`, which stores them durably before
returning; nothing is published that was not stored first. The heartbeat reports queue
depth, per-source read rates and health from each source's own `stats()`.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Protocol

from edge.outbox import OutboxError, SqliteOutbox
from edge.publisher import MqttPublisher
from edge.settings import GatewaySettings
from protocol import StockMoved

log = logging.getLogger(__name__)

Emit = Callable[[Sequence[StockMoved]], None]
# The counter in a source's stats that measures its read rate, by kind of source.
RATE_COUNTERS = ("reads", "tag_reads", "scans", "frames_processed")
HEALTH_FLAGS = ("connected", "running")


class GatewayError(Exception):
    """The gateway cannot start as configured."""


class EventSource(Protocol):
    """What the gateway needs of a reader driver: an id, start/stop and a stats snapshot."""

    @property
    def id(self) -> str: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...

    def stats(self) -> Mapping[str, object]: ...


def build_sources(settings: GatewaySettings, emit: Emit) -> list[EventSource]:
    """One adapter per configured device (imports only what the config uses)."""
    sources: list[EventSource] = []
    if settings.scanners:
        from edge.scanner.serial_scanner import SerialScanner

        sources += [SerialScanner(s, settings.warehouse, emit) for s in settings.scanners]
    if settings.cameras:
        from edge.camera.adapter import CameraAdapter

        sources += [CameraAdapter.for_settings(c, settings.warehouse, emit)
                    for c in settings.cameras]
    if settings.rfid is not None:
        build = getattr(importlib.import_module("edge.rfid"), "build_rfid_sources", None)
        if build is None:
            raise GatewayError("the config has an rfid: section but this build has no RFID "
                               "driver (edge.rfid.build_rfid_sources)")
        sources += list(build(settings.rfid, settings.warehouse, emit))
    return sources


class Gateway:
    def __init__(self, settings: GatewaySettings,
                 sources: Callable[[GatewaySettings, Emit], list[EventSource]] = build_sources
                 ) -> None:
        self.settings = settings
        o = settings.outbox
        self.outbox = SqliteOutbox(o.path, max_events=o.max_events, max_bytes=o.max_bytes,
                                   synchronous=o.synchronous)
        self.publisher = MqttPublisher(self.outbox, settings.mqtt, settings.warehouse,
                                       settings.gateway_id, heartbeat=self.heartbeat,
                                       heartbeat_s=settings.heartbeat_s)
        self.sources = sources(settings, self.emit)
        self._last_counts: dict[str, tuple[float, float]] = {}

    def emit(self, events: Sequence[StockMoved]) -> None:
        """Store events durably (OutboxFull propagates to the source, which counts it)."""
        self.outbox.enqueue(events)
        self.publisher.wake()

    def start(self) -> None:
        self.publisher.start()
        for source in self.sources:
            source.start()
        log.info("gateway %s/%s running: %d sources, %d events queued",
                 self.settings.warehouse, self.settings.gateway_id, len(self.sources),
                 self.outbox.depth)

    def stop(self) -> None:
        for source in self.sources:
            source.stop()
        self.publisher.stop()
        self.outbox.close()

    def heartbeat(self) -> dict[str, object]:
        """Called on the publisher's thread every heartbeat interval."""
        now = time.monotonic()
        sources: dict[str, object] = {}
        rates: dict[str, float] = {}
        health: dict[str, str] = {}
        for source in self.sources:
            stats = dict(source.stats())
            sources[source.id] = stats
            rates[source.id] = self._rate(source.id, stats, now)
            health[source.id] = _health(stats)
        outbox = asdict(self.outbox.stats())
        return {"queue_depth": outbox["depth"], "outbox": outbox,
                "publisher": asdict(self.publisher.stats()), "read_rates": rates,
                "reader_health": health, "sources": sources}

    def _rate(self, source_id: str, stats: Mapping[str, object], now: float) -> float:
        count = next((float(stats[k]) for k in RATE_COUNTERS  # type: ignore[arg-type]
                      if isinstance(stats.get(k), int | float)), 0.0)
        before = self._last_counts.get(source_id)
        self._last_counts[source_id] = (now, count)
        if before is None or now <= before[0]:
            return 0.0
        return round((count - before[1]) / (now - before[0]), 2)


def _health(stats: Mapping[str, object]) -> str:
    for flag in HEALTH_FLAGS:
        if flag in stats:
            return "ok" if stats[flag] else "down"
    return str(stats.get("health", "unknown"))


def run_gateway(settings: GatewaySettings) -> int:
    """Run until SIGTERM / SIGINT; exit status 0 after a clean stop."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        gateway = Gateway(settings)
    except (OutboxError, GatewayError) as exc:
        log.error("cannot start: %s", exc)
        return 1
    gateway.start()
    try:
        stop.wait()
    finally:
        log.info("gateway stopping")
        gateway.stop()
    return 0
