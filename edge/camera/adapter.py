"""CameraAdapter: frames -> decoded labels in regions -> stable moves -> StockMoved events.

Rule kept here: frames are processed at most `rate_hz` times per second of frame time; a
frame that cannot be read or a label that is not a GS1 unit/item label is counted, never
fatal; the stability rule itself lives in edge.camera.tracker.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from edge.camera.decoder import FrameError, Symbol, formats_of, read_frame
from edge.camera.tracker import Detection, LabelMove, TrackerState, observe
from edge.gs1 import label_subject
from edge.outbox import OutboxError
from edge.settings import CameraSettings
from protocol import ItemLine, Source, SourceKind, StockMoved, UnitRef
from protocol.labels import LabelError, read_label

log = logging.getLogger(__name__)

Emit = Callable[[Sequence[StockMoved]], None]
Frames = Iterable[tuple[float, object]]  # (seconds, image); the time of the frame
MAX_CACHED_LABELS = 4096


@dataclass(slots=True)
class CameraStats:
    kind: str = "camera"
    running: bool = False
    frames_seen: int = 0
    frames_processed: int = 0
    frames_without_label: int = 0
    frames_unreadable: int = 0
    symbols_damaged: int = 0
    labels_rejected: int = 0
    labels_outside_regions: int = 0
    moves: int = 0
    refused: int = 0
    decode_ms_avg: float = 0.0
    decode_ms_max: float = 0.0
    processing_rate_hz: float = 0.0
    last_error: str | None = None


class CameraAdapter:
    """Runs over a frame source on its own thread (or inline with `run`)."""

    def __init__(self, settings: CameraSettings, warehouse: str, emit: Emit, frames: Frames,
                 *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 new_id: Callable[[], uuid.UUID] = uuid.uuid4,
                 perf: Callable[[], float] = time.perf_counter) -> None:
        self.settings = settings
        self.warehouse = warehouse
        self._emit = emit
        self._frames = frames
        self._clock = clock
        self._new_id = new_id
        self._perf = perf
        self._formats = formats_of(settings.formats)
        self._state = TrackerState()
        self._labels: dict[str, UnitRef | ItemLine | None] = {}
        self._stats = CameraStats()
        self._decode_total = 0.0
        self._first_t: float | None = None
        self._last_t: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_settings(cls, settings: CameraSettings, warehouse: str, emit: Emit
                     ) -> CameraAdapter:
        """An adapter over the configured opencv source (device index or video file)."""
        adapter = cls(settings, warehouse, emit, ())
        adapter._frames = video_frames(settings.source, adapter._stop, loop=settings.loop,
                                       pace=isinstance(settings.source, str))
        return adapter

    @property
    def id(self) -> str:
        return self.settings.id

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=f"camera-{self.id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def stats(self) -> dict[str, object]:
        return asdict(self._stats)

    def run(self) -> None:
        self._stats.running = True
        try:
            for at, image in self._frames:
                if self._stop.is_set():
                    break
                self.process(at, image)
        finally:
            self._stats.running = False

    def process(self, at: float, image: object) -> list[StockMoved]:
        """One frame at time `at` (seconds): skipped, or decoded and folded into the tracker."""
        self._stats.frames_seen += 1
        # 5% slack: frame clocks jitter, and 1/15 s in floating point is not exact.
        if self._last_t is not None and at - self._last_t < 0.95 / self.settings.rate_hz:
            return []
        self._note_time(at)
        started = self._perf()
        try:
            reading = read_frame(image, self._formats)
        except FrameError as exc:
            self._stats.frames_unreadable += 1
            self._stats.last_error = str(exc)
            return []
        finally:
            self._note_decode(self._perf() - started)
        self._stats.symbols_damaged += reading.damaged
        detections = [d for d in map(self._detect, reading.symbols) if d is not None]
        if not detections:
            self._stats.frames_without_label += 1
        self._state, label_moves = observe(self._state, detections, at,
                                           stable_frames=self.settings.stable_frames)
        moves = [self._to_event(m) for m in label_moves]
        self._post(moves)
        return moves

    def _note_time(self, at: float) -> None:
        self._stats.frames_processed += 1
        self._first_t = at if self._first_t is None else self._first_t
        self._last_t = at
        span = at - self._first_t
        if span > 0:
            self._stats.processing_rate_hz = round((self._stats.frames_processed - 1) / span, 2)

    def _note_decode(self, seconds: float) -> None:
        ms = seconds * 1000.0
        self._decode_total += ms
        self._stats.decode_ms_max = round(max(self._stats.decode_ms_max, ms), 2)
        self._stats.decode_ms_avg = round(self._decode_total / self._stats.frames_processed, 2)

    def _detect(self, symbol: Symbol) -> Detection | None:
        if self._subject(symbol) is None:
            self._stats.labels_rejected += 1
            return None
        for region in self.settings.regions:
            if region.contains(symbol.x, symbol.y):
                return Detection(symbol.text, region.location)
        self._stats.labels_outside_regions += 1
        return Detection(symbol.text, None)

    def _subject(self, symbol: Symbol) -> UnitRef | ItemLine | None:
        if symbol.text not in self._labels:
            if len(self._labels) >= MAX_CACHED_LABELS:
                self._labels.clear()
            try:
                if not symbol.gs1:  # zxing-cpp saw no FNC1: a plain symbol, whatever it says
                    raise LabelError("not GS1 content")
                label = read_label(symbol.text, today=self._clock().date())
                self._labels[symbol.text] = label_subject(label)
            except LabelError as exc:
                log.warning("camera %s: label %r ignored: %s", self.id, symbol.text[:64], exc)
                self._labels[symbol.text] = None
        return self._labels[symbol.text]

    def _to_event(self, move: LabelMove) -> StockMoved:
        subject = self._labels.get(move.text)
        unit, item = (None, subject) if isinstance(subject, ItemLine) else (subject, None)
        return StockMoved(
            event_id=self._new_id(), occurred_at=self._clock(), warehouse=self.warehouse,
            source=Source(kind=SourceKind.VISION, device_id=self.id,
                          read_point=self.settings.read_point or move.to_location),
            unit=unit, item=item,
            from_location=move.from_location, to_location=move.to_location,
            reason=self.settings.reason)

    def _post(self, moves: list[StockMoved]) -> None:
        if not moves:
            return
        try:
            self._emit(moves)
        except OutboxError as exc:
            self._stats.refused += len(moves)
            log.error("camera %s: %d moves NOT recorded: %s", self.id, len(moves), exc)
            return
        self._stats.moves += len(moves)


def video_frames(source: str | int, stop: threading.Event, *, loop: bool = False,
                 pace: bool = False, backoff_max_s: float = 10.0
                 ) -> Iterator[tuple[float, object]]:
    """Frames from an opencv capture: a device index (reopened with backoff) or a file
    (replayed at its own frame rate when `pace`, as if it were a live camera)."""
    import cv2

    backoff, offset, started = 0.5, 0.0, time.monotonic()
    while not stop.is_set():
        capture = cv2.VideoCapture(source)
        if not capture.isOpened():
            log.warning("camera source %r cannot be opened; retrying in %.1f s", source, backoff)
            stop.wait(backoff)
            backoff = min(backoff * 2, backoff_max_s)
            continue
        backoff, last = 0.5, 0.0
        try:
            while not stop.is_set():
                ok, image = capture.read()
                if not ok:
                    break
                if isinstance(source, int):
                    last = time.monotonic()
                else:
                    last = offset + capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                    if pace and stop.wait(max(0.0, started + last - time.monotonic())):
                        return
                yield last, image
        finally:
            capture.release()
        if isinstance(source, str) and not loop:
            return
        offset = last + 1.0
