"""LlrpReader: one LLRP reader through sllurp, kept connected with our own backoff.

Rule kept here: sllurp's thread only hands its tag dicts over (a queue, at most
`max_pending` reads of one reader waiting: beyond that a flooding reader's reports are
dropped and counted, so it can neither exhaust memory nor starve the other readers); turning
them into reads, and everything after, happens on our side. sllurp's own reconnect is off.
"""

from __future__ import annotations

import logging
import queue
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sllurp.llrp import LLRPClient, LLRPReaderClient, LLRPReaderConfig, LLRPReaderState
from sllurp.llrp_errors import LLRPError, ReaderConfigurationError

from edge.rfid.clock import ClockKind
from edge.rfid.config import ReaderConfig
from edge.rfid.rf import power_problems, sllurp_settings, tune_rospec
from edge.rfid.screen import RawRead

log = logging.getLogger(__name__)
_HEX = re.compile(r"^[0-9A-Fa-f]{8,128}$")
_POLL_S = 0.5  # how often a session checks that sllurp's socket thread is still alive
MAX_PENDING_READS = 20_000  # per reader, handed over and not yet taken by the worker
# LLRP 1.0.1 §16.2.7.3: which timestamp a read carries, in the order we prefer them; a reader
# with no real-time clock sends µs since it booted (Uptime) instead of UTC.
_STAMPS = (("LastSeenTimestampUTC", ClockKind.UTC), ("FirstSeenTimestampUTC", ClockKind.UTC),
           ("LastSeenTimestampUptime", ClockKind.UPTIME),
           ("FirstSeenTimestampUptime", ClockKind.UPTIME))

# LLRP 1.0.1 §13.2.1.1 TagReportContentSelector: everything the portal logic needs.
TAG_CONTENT = {
    "EnableROSpecID": False,
    "EnableSpecIndex": False,
    "EnableInventoryParameterSpecID": False,
    "EnableAntennaID": True,
    "EnableChannelIndex": False,
    "EnablePeakRSSI": True,
    "EnableFirstSeenTimestamp": True,
    "EnableLastSeenTimestamp": True,
    "EnableTagSeenCount": True,
    "EnableAccessSpecID": False,
}

# reader id, sllurp tag dicts, when received, and a reader event's timestamp (its clock then)
ClockSample = tuple[int, ClockKind]
Handover = tuple[str, list[Mapping[str, Any]], float, ClockSample | None]


def event_clock(event: Mapping[str, Any]) -> ClockSample | None:
    """The reader's clock in a sllurp ReaderEventNotificationData dict, if it is there."""
    for key, kind in (("UTCTimestamp", ClockKind.UTC), ("Uptime", ClockKind.UPTIME)):
        stamp = event.get(key)
        value = stamp.get("Microseconds") if isinstance(stamp, Mapping) else None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value, kind
    return None


def _stamp(tag: Mapping[str, Any], received_us: int) -> tuple[int, ClockKind]:
    for key, kind in _STAMPS:
        value = tag.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value, kind
    return received_us, ClockKind.UTC  # a reader that sends no time: when we got it


def tag_reads(
    reader_id: str, tags: list[Mapping[str, Any]], received_us: int
) -> tuple[list[RawRead], int]:
    """sllurp tag dicts as RawReads; returns (reads, number of dicts rejected as malformed).

    The reader's LastSeen (else FirstSeen) timestamp, UTC or uptime, is the read's time by the
    reader's clock; only a reader that sends none gets the gateway's receive time."""
    out: list[RawRead] = []
    bad = 0
    for tag in tags:
        try:
            epc = tag.get("EPC-96", tag.get("EPC"))
            text = epc.decode("ascii") if isinstance(epc, bytes | bytearray) else epc
            antenna, rssi = tag["AntennaID"], tag["PeakRSSI"]
            seen = tag.get("TagSeenCount", 1)
            if not (isinstance(text, str) and _HEX.match(text)):
                raise ValueError(f"EPC {epc!r}")
            if not isinstance(antenna, int) or not isinstance(rssi, int | float):
                raise ValueError(f"antenna {antenna!r} / rssi {rssi!r}")
            stamp, kind = _stamp(tag, received_us)
            out.append(RawRead(text.upper(), antenna, float(rssi), stamp, kind,
                               seen if isinstance(seen, int) and seen > 0 else 1))
        except (KeyError, ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            bad += 1
            log.debug("reader %s: malformed tag report %r (%s)", reader_id, tag, exc)
    return out, bad


class _TunedLlrp(LLRPClient):  # type: ignore[misc]
    """sllurp's protocol side with each antenna's own Gen2 settings in the ROSpec, and the
    reason it refused the reader's capabilities (a power or RF mode the reader lacks) kept."""

    def __init__(self, config: LLRPReaderConfig, reader: ReaderConfig,
                 refused: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        self._reader, self._refused = reader, refused

    def parseCapabilities(self, capdict: Any) -> None:
        try:
            super().parseCapabilities(capdict)
            problems = power_problems(self._reader, self.tx_power_table[1:])
            if problems:
                raise ReaderConfigurationError("; ".join(problems))
        except ReaderConfigurationError as exc:  # sllurp then hangs up: say why
            self._refused(str(exc))
            raise

    def getROSpec(self, force_new: bool = False) -> Any:
        rospec = super().getROSpec(force_new)
        tune_rospec(rospec, self._reader)
        return rospec


class _SllurpClient(LLRPReaderClient):  # type: ignore[misc]
    """sllurp 3.0.5 drops a socket that failed to connect without closing it (a leak on
    every retry); this opens the socket with the standard library, which closes it. Its
    protocol side is _TunedLlrp."""

    _socket: socket.socket | None  # sllurp's own attribute (None until connected)

    def __init__(self, reader: ReaderConfig, settings: LLRPReaderConfig,
                 refused: Callable[[str], None]) -> None:
        super().__init__(reader.host, reader.port, settings, timeout=5.0)
        self.llrp = _TunedLlrp(self.config, reader, refused, transport_tx_write=self.send_data,
                               state_change_callback=self._on_llrp_state_changed)

    def _connect_socket(self) -> bool:
        if self._socket:
            raise LLRPError("already connected")
        sock = socket.create_connection((self._host, self._port), timeout=self._socktimeout)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = sock
        return True


@dataclass(frozen=True, slots=True)
class ReaderHealth:
    reader_id: str
    connected: bool
    connects: int
    failures: int
    last_error: str | None


class LlrpReader:
    """Keeps one sllurp client inventorying; reports land on `out` as Handover tuples."""

    def __init__(self, config: ReaderConfig, out: queue.SimpleQueue[Handover],
                 max_pending: int = MAX_PENDING_READS) -> None:
        self.config = config
        self._out = out
        self._max_pending = max_pending
        self._pending = 0
        self._pending_lock = threading.Lock()
        self.dropped = 0  # reads handed over by sllurp and dropped: the worker was behind
        self.handed = 0  # every read sllurp handed over, kept or dropped
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._inventorying = threading.Event()
        self._down = threading.Event()
        self._down.set()
        self._thread: threading.Thread | None = None
        self._connects = 0
        self._failures = 0
        self._last_error: str | None = None
        self._refusal: str | None = None
        self._rng = random.Random()

    @property
    def reader_id(self) -> str:
        return self.config.reader_id

    def health(self) -> ReaderHealth:
        return ReaderHealth(self.reader_id, self._inventorying.is_set(), self._connects,
                            self._failures, self._last_error)

    @property
    def pending(self) -> int:
        return self._pending

    def taken(self, count: int) -> None:
        """The worker took `count` reads of this reader off the queue."""
        with self._pending_lock:
            self._pending -= count

    def _admit(self, count: int) -> bool:
        """On sllurp's thread: may `count` more reads wait for the worker?"""
        with self._pending_lock:
            self.handed += count
            if self._pending and self._pending + count > self._max_pending:
                self.dropped += count
                return False
            self._pending += count
            return True

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._supervise, name=f"llrp-{self.reader_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_connected(self, timeout: float) -> bool:
        return self._inventorying.wait(timeout)

    def wait_disconnected(self, timeout: float) -> bool:
        return self._down.wait(timeout)

    def _client(self) -> LLRPReaderClient:
        cfg = self.config
        settings = LLRPReaderConfig({
            "antennas": list(cfg.antennas),
            "tag_content_selector": dict(TAG_CONTENT),
            "reconnect": False,  # we reconnect, with backoff (sllurp waits 60 s between tries)
            "start_inventory": True,
            "report_every_n_tags": 1,
            **sllurp_settings(cfg),
        })
        self._refusal = None
        client = _SllurpClient(cfg, settings, self._refuse)
        reader_id, out = self.reader_id, self._out

        def on_tags(_reader: object, tags: list[Mapping[str, Any]]) -> None:
            if self._admit(len(tags)):  # hand over only; the work is on our thread
                out.put((reader_id, tags, time.time(), None))

        def on_event(_reader: object, event: Mapping[str, Any]) -> None:
            # LLRP 1.0.1 §16.2.7.6: every READER_EVENT_NOTIFICATION says what the reader's
            # clock reads (UTCTimestamp, or Uptime); the first, ConnectionAttemptEvent, lets
            # the worker know a reader's clock before its first tag report.
            sample = event_clock(event)
            if sample is not None:
                out.put((reader_id, [], time.time(), sample))

        def on_state(_reader: object, _state: int) -> None:
            self._down.clear()
            self._inventorying.set()

        client.add_tag_report_callback(on_tags)
        client.add_event_callback(on_event)
        client.add_state_callback(LLRPReaderState.STATE_INVENTORYING, on_state)
        client.add_disconnected_callback(lambda _reader: self._wake.set())
        return client

    def _supervise(self) -> None:
        delay = self.config.reconnect_min_s
        while not self._stop.is_set():
            self._wake.clear()
            client = self._client()
            try:
                client.connect()
            except (OSError, LLRPError) as exc:
                self._fail(f"connect to {self.config.host}:{self.config.port}: {exc}")
            else:
                self._connects += 1
                served = self._session(client)
                if served:
                    delay = self.config.reconnect_min_s
            if self._stop.is_set():
                break
            # full jitter keeps a row of gateways from hammering a reader in step
            self._stop.wait(self._rng.uniform(delay / 2, delay))
            delay = min(delay * 2, self.config.reconnect_max_s)

    def _session(self, client: LLRPReaderClient) -> bool:
        """Run until the reader goes away or we stop; True when it did inventory."""
        while not (self._stop.is_set() or self._wake.is_set()) and client.is_alive():
            self._wake.wait(_POLL_S)
        served = self._inventorying.is_set()
        self._inventorying.clear()
        self._down.set()
        try:
            if self._stop.is_set() and client.is_alive():
                client.disconnect(timeout=2.0)
            client.hard_disconnect()
        except (OSError, LLRPError) as exc:
            log.debug("reader %s: closing: %s", self.reader_id, exc)
        if not self._stop.is_set():
            refusal = self._refusal
            self._fail(f"the reader cannot do the configured settings: {refusal}" if refusal
                       else "connection lost" if served else "handshake failed")
        return served

    def _refuse(self, reason: str) -> None:
        self._refusal = reason  # on sllurp's thread: only noted; _session reports it

    def _fail(self, reason: str) -> None:
        self._failures += 1
        self._last_error = reason
        log.warning("reader %s: %s; reconnecting with backoff", self.reader_id, reason)
