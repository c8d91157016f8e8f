"""SqliteOutbox: the gateway's durable queue of events waiting for the broker's PUBACK.

Rule kept here: an event is stored (committed, WAL) before anyone may publish it, is handed
out in insertion order, and is deleted only when its message was acknowledged; when the
configured size is reached new events are refused loudly (OutboxFull), old ones never dropped.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from protocol import MAX_PAYLOAD_BYTES, StockMoved, UnitRef, encode_event
from protocol.codec import MAX_BATCH_EVENTS

log = logging.getLogger(__name__)

BATCH_HEAD = b'{"events":['
BATCH_TAIL = b"]}"
# The largest single event that still fits a batch message of one.
MAX_EVENT_BYTES = MAX_PAYLOAD_BYTES - len(BATCH_HEAD) - len(BATCH_TAIL)
HIGH_WATER = 0.8

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    unit_key TEXT,
    payload BLOB NOT NULL
)
"""


class OutboxError(Exception):
    """The outbox could not take or give events."""


class OutboxFull(OutboxError):
    """The configured bound is reached: the event was NOT stored (nothing old was dropped)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Consecutive queued events [first_seq, last_seq] encoded as one {"events": [...]}."""

    first_seq: int
    last_seq: int
    count: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int
    stored_bytes: int
    file_bytes: int
    max_events: int
    max_bytes: int
    refused: int
    alarm: str | None


def join_batch(payloads: Sequence[bytes]) -> bytes:
    """Byte-for-byte what protocol.encode_batch makes of the same events, without re-parsing."""
    return BATCH_HEAD + b",".join(payloads) + BATCH_TAIL


def unit_key(event: StockMoved) -> str | None:
    unit: UnitRef | None = event.unit
    if unit is not None:
        return unit.key
    return event.item.sku_key if event.item is not None else None


class SqliteOutbox:
    """One SQLite file in WAL mode; safe to share between the sources and the publisher."""

    def __init__(self, path: str | Path, *, max_events: int = 2_000_000,
                 max_bytes: int = 2 * 1024**3, synchronous: str = "FULL") -> None:
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {synchronous!r}")
        self.path = Path(path)
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._refused = 0
        self._full = False
        self._warned_high = False
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous.upper()}")
            self._db.execute(SCHEMA)
            # Deletes need no fsync: one lost on power failure is only a re-send, which the
            # hub de-duplicates; so acks go through their own connection, synchronous=NORMAL.
            self._acks = sqlite3.connect(self.path, check_same_thread=False,
                                         isolation_level=None)
            self._acks.execute("PRAGMA synchronous=NORMAL")
            depth, stored = self._db.execute(
                "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox").fetchone()
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open outbox {self.path}: {exc}") from exc
        self._depth = int(depth)
        self._stored = int(stored)
        if self._depth:
            log.info("outbox %s: resuming with %d queued events", self.path, self._depth)

    # -- producers -------------------------------------------------------------------------
    def enqueue(self, events: Iterable[StockMoved]) -> int:
        """Store events durably (all or none); OutboxFull when the bound would be passed."""
        rows = []
        for event in events:
            payload = encode_event(event)
            if len(payload) > MAX_EVENT_BYTES:
                raise OutboxError(f"event {event.event_id} is {len(payload)} bytes, "
                                  f"over the {MAX_EVENT_BYTES} byte message limit")
            rows.append((str(event.event_id), unit_key(event), payload))
        return self.enqueue_encoded(rows)

    def enqueue_encoded(self, rows: Sequence[tuple[str, str | None, bytes]]) -> int:
        """Store already-encoded events: (event_id, unit_key, encode_event bytes)."""
        if not rows:
            return 0
        size = sum(len(r[2]) for r in rows)
        with self._lock:
            self._check_room(len(rows), size)
            try:
                with self._db:
                    self._db.execute("BEGIN IMMEDIATE")
                    self._db.executemany(
                        "INSERT INTO outbox (event_id, unit_key, payload) VALUES (?, ?, ?)", rows)
            except sqlite3.Error as exc:
                raise OutboxError(f"cannot store events in {self.path}: {exc}") from exc
            self._depth += len(rows)
            self._stored += size
            self._watch_high_water()
        return len(rows)

    def _check_room(self, count: int, size: int) -> None:
        if self._depth + count <= self.max_events and self._stored + size <= self.max_bytes:
            return
        self._refused += count
        self._full = True
        log.error("OUTBOX FULL (%s): %d events / %d bytes queued, limits %d events / %d bytes;"
                  " refusing %d new events (%d refused so far) — is the broker reachable?",
                  self.path, self._depth, self._stored, self.max_events, self.max_bytes,
                  count, self._refused)
        raise OutboxFull(f"outbox full: {self._depth} events, {self._stored} bytes queued "
                         f"(limits {self.max_events} events, {self.max_bytes} bytes)")

    def _watch_high_water(self) -> None:
        high = (self._depth >= HIGH_WATER * self.max_events
                or self._stored >= HIGH_WATER * self.max_bytes)
        if not high:
            self._full = False
        if high and not self._warned_high:
            log.warning("outbox %s above %d%% of its limit: %d events, %d bytes queued",
                        self.path, int(HIGH_WATER * 100), self._depth, self._stored)
        self._warned_high = high

    # -- the publisher ---------------------------------------------------------------------
    def next_batch(self, after_seq: int, max_events: int = 500,
                   max_bytes: int = MAX_PAYLOAD_BYTES) -> Batch | None:
        """The oldest events after `after_seq`, as many as fit one message."""
        max_events = min(max_events, MAX_BATCH_EVENTS)
        budget = max_bytes - len(BATCH_HEAD) - len(BATCH_TAIL)
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, max_events)).fetchall()
        payloads: list[bytes] = []
        last = after_seq
        for seq, payload in rows:
            cost = len(payload) + (1 if payloads else 0)
            if payloads and cost > budget:
                break
            budget -= cost
            payloads.append(payload)
            last = seq
        if not payloads:
            return None
        return Batch(rows[0][0], last, len(payloads), join_batch(payloads))

    def ack(self, *batches: Batch) -> None:
        """The broker has these batches: forget their events (one transaction)."""
        if not batches:
            return
        with self._lock:
            sizes: list[int] = []
            try:
                with self._acks:
                    self._acks.execute("BEGIN IMMEDIATE")
                    for batch in batches:
                        cur = self._acks.execute(
                            "DELETE FROM outbox WHERE seq BETWEEN ? AND ? "
                            "RETURNING length(payload)", (batch.first_seq, batch.last_seq))
                        sizes += [r[0] for r in cur.fetchall()]
            except sqlite3.Error as exc:
                raise OutboxError(f"cannot delete acknowledged events: {exc}") from exc
            self._depth -= len(sizes)
            self._stored -= sum(sizes)
            self._watch_high_water()

    # -- health ----------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        return self._depth

    def stats(self) -> OutboxStats:
        with self._lock:
            depth, stored, refused = self._depth, self._stored, self._refused
            full = self._full
        alarm = None
        if full:
            alarm = f"outbox full: new events refused ({refused} so far)"
        elif depth >= HIGH_WATER * self.max_events or stored >= HIGH_WATER * self.max_bytes:
            alarm = "outbox above 80% of its limit"
        return OutboxStats(depth, stored, self.file_bytes(), self.max_events, self.max_bytes,
                           refused, alarm)

    def file_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total

    def close(self) -> None:
        with self._lock:
            self._acks.close()
            self._db.close()
