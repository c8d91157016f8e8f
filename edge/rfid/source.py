"""RfidSource: readers → screened TagReads → portal logic → StockMoved events, on one worker.

Rule kept here: the pure tracker sees only read time, which is the gateway's clock (each
reader's timestamps moved by its estimated offset, edge/rfid/clock.py); when no reads come,
the worker lets read time run on by the wall time elapsed since the last read, so passes still
close. Reads that cannot be trusted are counted and warned about at most once a minute per
kind (edge/rfid/screen.py). A refused event (outbox full or failing) is counted and logged;
the readers keep running. The heartbeat reads a snapshot the worker refreshes, never its state.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from edge.outbox import OutboxError
from edge.portal.config import PortalsConfig, ZonesConfig
from edge.portal.events import pass_to_event, zone_move_to_event
from edge.portal.tracker import PortalPass, PortalTracker
from edge.portal.zone import ZoneMove, ZoneTracker
from edge.reads import TagRead
from edge.rfid.config import ReadChecks, ReaderConfig, RfidConfig
from edge.rfid.llrp import Handover, LlrpReader, tag_reads
from edge.rfid.screen import ReadScreen
from edge.rfid.warn import LogLimiter
from protocol import StockMoved

log = logging.getLogger(__name__)
IDLE_S = 0.02  # with no reads, read time is advanced this often (passes close this soon)
SNAPSHOT_S = 0.5  # how often the worker refreshes what the heartbeat reports
# No dock-door reader reads this many tags a second (the fastest do ~1,100): a reader that
# sends more is misconfigured or broken, and is said to flood even while we keep up.
FLOOD_READS_PER_S = 5_000


class RfidSource:
    """Owns the LlrpReaders of a gateway and turns what they hear into stock moves."""

    def __init__(
        self,
        readers_config: tuple[ReaderConfig, ...],
        portals_config: PortalsConfig,
        emit: Callable[[StockMoved], None],
        warehouse: str,
        gateway_id: str | None,
        ids: Callable[[], UUID],
        zones_config: ZonesConfig | None = None,
        source_id: str = "rfid",
        checks: ReadChecks | None = None,
    ) -> None:
        self._id = source_id
        self._queue: queue.SimpleQueue[Handover] = queue.SimpleQueue()
        self._done = threading.Event()
        self.readers = [LlrpReader(cfg, self._queue) for cfg in readers_config]
        self._by_id = {r.reader_id: r for r in self.readers}
        points = {(a.reader_id, a.antenna_id): a.portal_id for a in portals_config.antennas}
        points |= {(a.reader_id, a.antenna_id): a.zone_id
                   for a in (zones_config.antennas if zones_config else ())}
        self._screen = ReadScreen(readers_config, points, checks or ReadChecks())
        self._warn = LogLimiter(log)
        self._status: dict[str, dict[str, object]] = {}  # the worker's last snapshot, per reader
        self._snapshot_at = 0.0
        self._dropped_seen = {r.reader_id: 0 for r in self.readers}
        self._handed_seen = {r.reader_id: 0 for r in self.readers}
        self._portals = PortalTracker(portals_config)
        self._zones = ZoneTracker(zones_config) if zones_config and zones_config.zones else None
        self._emit, self._warehouse, self._ids = emit, warehouse, ids
        # the device named in each move: the given id, or the reader(s) watching the point
        self._devices = _devices(portals_config, zones_config) if gateway_id is None else {}
        self._gateway = gateway_id or "rfid"
        self._thread: threading.Thread | None = None
        self._last_read_us = 0
        self._last_read_wall = 0.0
        self._reads = {cfg.reader_id: 0 for cfg in readers_config}
        self._rate_mark = (time.monotonic(), dict(self._reads))
        self.malformed = 0
        self.emitted = 0
        self.emit_errors = 0
        self.refused = 0  # events the outbox would not take (full or failing): NOT recorded

    @property
    def id(self) -> str:
        return self._id

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
        self._queue.put(("", [], 0.0, None))  # wake the worker
        if self._thread is not None:
            self._thread.join(timeout)

    def health(self) -> dict[str, object]:
        """For the heartbeat: per reader connected / reads per second since the last call,
        its clock, its antennas and the reads it sent that were refused."""
        now = time.monotonic()
        since, counts = self._rate_mark
        span = max(now - since, 1e-6)
        current = dict(self._reads)
        self._rate_mark = (now, current)
        status = self._status
        readers = {
            r.reader_id: {
                "connected": r.health().connected,
                "reads_per_s": round((current[r.reader_id] - counts[r.reader_id]) / span, 1),
                "reads": current[r.reader_id],
                "connects": r.health().connects,
                "failures": r.health().failures,
                "last_error": r.health().last_error,
                "dropped_reads": r.dropped,
                **status.get(r.reader_id, {}),
            }
            for r in self.readers
        }
        totals = {key: sum(int(v.get(key, 0)) for v in readers.values())  # type: ignore[call-overload]
                  for key in ("bad_timestamps", "unknown_antenna_reads", "unknown_epc_reads",
                              "location_tag_reads", "dropped_reads")}
        return {
            "readers": readers,
            **totals,
            "malformed_reads": self.malformed,
            "moves_emitted": self.emitted,
            "emit_errors": self.emit_errors,
            "refused": self.refused,
            "suppressed": dict(self._portals.suppressed),
            # early portal moves taken back by a compensating move (the tag turned back)
            "compensated": self._portals.compensated,
        }

    def stats(self) -> dict[str, object]:
        """For the gateway's heartbeat: `reads` (all readers) and `connected` (every reader
        inventorying), with the per-reader detail of `health()`."""
        detail = self.health()
        return {"reads": sum(self._reads.values()),
                "connected": all(r.health().connected for r in self.readers), **detail}

    def _work(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=IDLE_S)
            except queue.Empty:
                self._idle()
                continue
            reader_id, tags, received, sample = item
            if not reader_id and self._done.is_set():
                self._finish()
                return
            if sample is not None:
                self._screen.clock_sample(reader_id, *sample, int(received * 1_000_000))
            else:
                self._take(reader_id, tags, int(received * 1_000_000))
            if time.monotonic() - self._snapshot_at >= SNAPSHOT_S:
                self._snapshot()

    def _take(self, reader_id: str, tags: list[Any], received_us: int) -> None:
        raws, bad = tag_reads(reader_id, tags, received_us)
        self._by_id[reader_id].taken(len(tags))
        self.malformed += bad
        reads, notices = self._screen.screen(reader_id, raws, received_us)
        for notice in notices:
            self._warn.warn(notice.key, notice.message)
        self._reads[reader_id] = self._reads.get(reader_id, 0) + len(reads)
        for read in reads:
            self._feed(read)

    def _snapshot(self) -> None:
        """Refresh what the heartbeat shows (on the worker: the screen is not shared)."""
        span = max(time.monotonic() - self._snapshot_at, 1e-3)
        self._snapshot_at = time.monotonic()
        now_us = time.time_ns() // 1000
        status = {r: self._screen.status(r, now_us) for r in self._by_id}
        for reader in self.readers:
            rate = (reader.handed - self._handed_seen[reader.reader_id]) / span
            self._handed_seen[reader.reader_id] = reader.handed
            status[reader.reader_id]["flooding"] = rate > FLOOD_READS_PER_S
            if rate > FLOOD_READS_PER_S:
                self._warn.warn(f"flood-rate:{reader.reader_id}", (
                    f"reader {reader.reader_id} sends {rate:.0f} reads/s, more than any dock "
                    f"door reads ({FLOOD_READS_PER_S}/s): misconfigured or broken?"))
        self._status = status
        for reader in self.readers:
            if reader.dropped > self._dropped_seen[reader.reader_id]:
                self._dropped_seen[reader.reader_id] = reader.dropped
                self._warn.warn(f"flood:{reader.reader_id}", (
                    f"reader {reader.reader_id} sends more than this gateway handles: "
                    f"{reader.dropped} reads dropped so far (at most {reader.pending} wait)"))

    def _feed(self, read: TagRead) -> None:
        if read.time_us > self._last_read_us:
            self._last_read_us = read.time_us
            self._last_read_wall = time.monotonic()
        self._send_passes(self._portals.feed(read))
        if self._zones is not None:
            self._send_zone_moves(self._zones.feed(read))

    def _idle(self) -> None:
        if time.monotonic() - self._snapshot_at >= SNAPSHOT_S:
            self._snapshot()
        if not self._last_read_us:
            return
        elapsed_us = int((time.monotonic() - self._last_read_wall) * 1_000_000)
        now_us = self._last_read_us + elapsed_us
        self._send_passes(self._portals.advance(now_us))
        if self._zones is not None:
            self._send_zone_moves(self._zones.advance(now_us))

    def _finish(self) -> None:
        self._send_passes(self._portals.flush())

    def _send_passes(self, passes: list[PortalPass]) -> None:
        for passed in passes:
            device = self._devices.get(passed.portal_id, self._gateway)
            self._send(pass_to_event(passed, self._warehouse, device, self._ids(), _now()))

    def _send_zone_moves(self, moves: list[ZoneMove]) -> None:
        for move in moves:
            device = self._devices.get(move.to_zone or move.from_zone or "", self._gateway)
            self._send(zone_move_to_event(move, self._warehouse, device, self._ids(), _now()))

    def _send(self, event: StockMoved | None) -> None:
        if event is None:
            return
        try:
            self._emit(event)
            self.emitted += 1
        except OutboxError as exc:
            self.refused += 1
            log.error("rfid: move of %s at %s NOT recorded: %s", event.unit,
                      event.source.read_point, exc)
        except Exception:  # the sink's failure must not kill the reader pipeline
            self.emit_errors += 1
            log.exception("emitting %s failed", event.event_id)


def _devices(portals: PortalsConfig, zones: ZonesConfig | None) -> dict[str, str]:
    """Read point (portal or zone id) -> the reader id(s) whose antennas watch it."""
    watching: dict[str, list[str]] = {}
    points = [(a.portal_id, a.reader_id) for a in portals.antennas]
    points += [(a.zone_id, a.reader_id) for a in (zones.antennas if zones else ())]
    for point, reader in points:
        if reader not in watching.setdefault(point, []):
            watching[point].append(reader)
    return {point: "+".join(readers) for point, readers in watching.items()}


def _now() -> datetime:
    return datetime.now(UTC)


def build_rfid_sources(
    config: RfidConfig,
    warehouse: str,
    emit: Callable[[Sequence[StockMoved]], None],
    source_id: str = "rfid",
    ids: Callable[[], UUID] = uuid4,
) -> list[RfidSource]:
    """The gateway's RFID source: one RfidSource owning every configured reader, so that one
    tracker sees all doors and can resolve cross-reads between readers. `emit` takes a batch
    (the gateway stores it durably); each move names the reader watching its door or zone."""
    return [RfidSource(config.readers, config.portals, lambda event: emit([event]), warehouse,
                       None, ids, config.zones, source_id=source_id, checks=config.checks)]
