"""SerialScanner: reads a fixed scanner over pyserial and posts the moves its scans mean.

Rule kept here: the port going away is normal (cable, USB reset): it is reopened with
backoff, forever; a bad scan is counted and logged with its reason, never fatal.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import serial

from edge.outbox import OutboxError
from edge.scanner.lines import LineSplitter
from edge.scanner.station import LabelRejected, station_move
from edge.settings import ScannerSettings
from protocol import StockMoved

log = logging.getLogger(__name__)

Emit = Callable[[Sequence[StockMoved]], None]


@dataclass(slots=True)
class ScannerStats:
    kind: str = "scanner"
    connected: bool = False
    scans: int = 0
    moves: int = 0
    malformed: int = 0
    refused: int = 0
    noise_bytes: int = 0
    overlong_lines: int = 0
    opens: int = 0
    disconnects: int = 0
    last_error: str | None = None
    last_malformed: str | None = None


class SerialScanner:
    """One thread per scanner: open, read, split, map to moves, emit; reopen on loss."""

    def __init__(self, settings: ScannerSettings, warehouse: str, emit: Emit, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 new_id: Callable[[], uuid.UUID] = uuid.uuid4) -> None:
        self.settings = settings
        self.warehouse = warehouse
        self._emit = emit
        self._clock = clock
        self._new_id = new_id
        self._splitter = LineSplitter()
        self._stats = ScannerStats()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def id(self) -> str:
        return self.settings.id

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"scanner-{self.id}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def stats(self) -> dict[str, object]:
        with self._lock:
            self._stats.noise_bytes = self._splitter.noise_bytes
            self._stats.overlong_lines = self._splitter.overlong_lines
            return asdict(self._stats)

    def _run(self) -> None:
        backoff = self.settings.backoff_min_s
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.settings.backoff_max_s)
                continue
            backoff = self.settings.backoff_min_s
            try:
                self._read_until_lost(port)
            finally:
                port.close()
                self._stats.connected = False

    def _open(self) -> serial.Serial | None:
        try:
            port = serial.Serial(self.settings.port, self.settings.baudrate, timeout=0.2)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._stats.last_error = f"open {self.settings.port}: {exc}"
            log.debug("scanner %s: %s", self.id, self._stats.last_error)
            return None
        self._splitter.reset()
        self._stats.connected = True
        self._stats.opens += 1
        log.info("scanner %s: listening on %s", self.id, self.settings.port)
        return port

    def _read_until_lost(self, port: serial.Serial) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(max(port.in_waiting, 1))
            except (serial.SerialException, OSError) as exc:
                self._stats.disconnects += 1
                self._stats.last_error = f"port lost: {exc}"
                log.warning("scanner %s: %s; reopening", self.id, self._stats.last_error)
                return
            for line in self._splitter.feed(data):
                self.handle_scan(line.text)

    def handle_scan(self, text: str) -> None:
        """One complete scan line: post its move, or count it as malformed."""
        self._stats.scans += 1
        try:
            move = station_move(text, self.settings, self.warehouse,
                                event_id=self._new_id(), now=self._clock())
        except LabelRejected as exc:
            self._stats.malformed += 1
            self._stats.last_malformed = f"{text[:64]!r}: {exc}"
            log.warning("scanner %s: malformed barcode %r: %s", self.id, text[:64], exc)
            return
        try:
            self._emit([move])
        except OutboxError as exc:
            self._stats.refused += 1
            log.error("scanner %s: scan of %r NOT recorded: %s", self.id, text[:64], exc)
            return
        self._stats.moves += 1
