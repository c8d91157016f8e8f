"""RfidSource: readers → TagReads → portal logic → StockMoved events, on one worker thread.

Rule kept here: the pure tracker sees only read time; when no reads come, the worker lets
read time run on by the wall time elapsed since the last read, so passes still close.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from edge.portal.config import PortalsConfig, ZonesConfig
from edge.portal.events import pass_to_event, zone_move_to_event
from edge.portal.tracker import PortalTracker
from edge.portal.zone import ZoneTracker
from edge.reads import TagRead
from edge.rfid.config import ReaderConfig
from edge.rfid.llrp import Handover, LlrpReader, tag_reads
from protocol import StockMoved

log = logging.getLogger(__name__)
_IDLE_S = 0.2  # with no reads, read time is advanced this often


class RfidSource:
    """Owns the LlrpReaders of a gateway and turns what they hear into stock moves."""

    def __init__(
        self,
        readers_config: tuple[ReaderConfig, ...],
        portals_config: PortalsConfig,
        emit: Callable[[StockMoved], None],
        warehouse: str,
        gateway_id: str,
        ids: Callable[[], UUID],
        zones_config: ZonesConfig | None = None,
    ) -> None:
        self._queue: queue.SimpleQueue[Handover] = queue.SimpleQueue()
        self._done = threading.Event()
        self.readers = [LlrpReader(cfg, self._queue) for cfg in readers_config]
        self._portals = PortalTracker(portals_config)
        self._zones = ZoneTracker(zones_config) if zones_config and zones_config.zones else None
        self._emit, self._warehouse, self._gateway, self._ids = emit, warehouse, gateway_id, ids
        self._thread: threading.Thread | None = None
        self._last_read_us = 0
        self._last_read_wall = 0.0
        self._reads = {cfg.reader_id: 0 for cfg in readers_config}
        self._rate_mark = (time.monotonic(), dict(self._reads))
        self.malformed = 0
        self.emitted = 0
        self.emit_errors = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name="rfid-source", daemon=True)
        self._thread.start()
        for reader in self.readers:
            reader.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Disconnect the readers, handle what they sent, and close open crossings."""
        for reader in self.readers:
            reader.stop(timeout)
        self._done.set()
        self._queue.put(("", [], 0.0))  # wake the worker
        if self._thread is not None:
            self._thread.join(timeout)

    def health(self) -> dict[str, object]:
        """For the heartbeat: per reader connected / reads per second since the last call."""
        now = time.monotonic()
        since, counts = self._rate_mark
        span = max(now - since, 1e-6)
        current = dict(self._reads)
        self._rate_mark = (now, current)
        return {
            "readers": {
                r.reader_id: {
                    "connected": r.health().connected,
                    "reads_per_s": round((current[r.reader_id] - counts[r.reader_id]) / span, 1),
                    "reads": current[r.reader_id],
                    "connects": r.health().connects,
                    "failures": r.health().failures,
                    "last_error": r.health().last_error,
                }
                for r in self.readers
            },
            "malformed_reads": self.malformed,
            "moves_emitted": self.emitted,
            "emit_errors": self.emit_errors,
            "suppressed": dict(self._portals.suppressed),
        }

    def _work(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=_IDLE_S)
            except queue.Empty:
                self._idle()
                continue
            reader_id, tags, received = item
            if not reader_id and self._done.is_set():
                self._finish()
                return
            reads, bad = tag_reads(reader_id, tags, int(received * 1_000_000))
            self.malformed += bad
            self._reads[reader_id] = self._reads.get(reader_id, 0) + len(reads)
            for read in reads:
                self._feed(read)

    def _feed(self, read: TagRead) -> None:
        if read.time_us > self._last_read_us:
            self._last_read_us = read.time_us
            self._last_read_wall = time.monotonic()
        for passed in self._portals.feed(read):
            self._send(pass_to_event(passed, self._warehouse, self._gateway, self._ids(), _now()))
        if self._zones is not None:
            for move in self._zones.feed(read):
                self._send(zone_move_to_event(move, self._warehouse, self._gateway, self._ids(),
                                              _now()))

    def _idle(self) -> None:
        if not self._last_read_us:
            return
        elapsed_us = int((time.monotonic() - self._last_read_wall) * 1_000_000)
        now_us = self._last_read_us + elapsed_us
        for passed in self._portals.advance(now_us):
            self._send(pass_to_event(passed, self._warehouse, self._gateway, self._ids(), _now()))
        if self._zones is not None:
            for move in self._zones.advance(now_us):
                self._send(zone_move_to_event(move, self._warehouse, self._gateway, self._ids(),
                                              _now()))

    def _finish(self) -> None:
        for passed in self._portals.flush():
            self._send(pass_to_event(passed, self._warehouse, self._gateway, self._ids(), _now()))

    def _send(self, event: StockMoved | None) -> None:
        if event is None:
            return
        try:
            self._emit(event)
            self.emitted += 1
        except Exception:  # the sink's failure must not kill the reader pipeline
            self.emit_errors += 1
            log.exception("emitting %s failed", event.event_id)


def _now() -> datetime:
    return datetime.now(UTC)
