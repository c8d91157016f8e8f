"""ReaderClock: one reader's clock offset from the gateway's, estimated from its reports (pure).

Rule kept here: a read's time is the reader's timestamp plus the reader's offset, so moves are
stamped by the gateway's clock (true UTC) while the reader's own timing between reads is kept.
Network and batching delay only ever add to (receive time - reader time), so the offset is the
least of them (settled over the first 0.2 s, then following drift at a bounded rate); a
different offset that holds steadily for a second is a jump, taken at once and reported; a
timestamp that fits neither (1970, next year) is refused. Times are µs, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ClockKind(StrEnum):
    """LLRP 1.0.1 §16.2.7.3: First/LastSeenTimestampUTC, or ...Uptime from a reader with no
    real-time clock (µs since it booted)."""

    UTC = "utc"
    UPTIME = "uptime"


class ClockState(StrEnum):
    UNKNOWN = "unknown"  # no report yet
    OK = "ok"  # within the bound of the gateway's clock
    OFFSET = "offset"  # further off than the bound (unset, drifted, another time zone)
    UPTIME = "uptime"  # the reader counts from its boot; its reads are placed by the offset
    JUMPED = "jumped"  # the offset jumped recently


@dataclass(frozen=True, slots=True)
class ClockParams:
    bound_us: int = 2_000_000  # an offset beyond this is reported (OFFSET)
    step_us: int = 250_000  # further than this from the offset: not delay or drift
    agree_us: int = 100_000  # a new offset: its samples agree within this ...
    confirm_n: int = 3  # ... this many of them ...
    confirm_us: int = 1_000_000  # ... over this long, with no sample at the old offset between
    # after (re)anchoring the least offset seen this long is taken; kept short because a reader
    # clock running fast (an accelerated emulator) looks the same and is squeezed meanwhile
    settle_us: int = 200_000
    slew_ppm: int = 500  # then the offset follows drift at most this fast (NTP's bound)
    window_us: int = 10_000_000  # drift is followed to the least offset of the last two windows
    max_delay_us: int = 60_000_000  # a read stamped longer ago than this is refused
    max_rate: float = 1000.0  # a reader clock running this much faster is still believed
    jump_hold_us: int = 600_000_000  # a jump is reported (JUMPED) for this long


@dataclass(frozen=True, slots=True)
class ClockStatus:
    kind: ClockKind | None
    offset_us: int | None  # gateway time - reader time
    state: ClockState
    jumps: int
    refused: int  # timestamps refused as not believable
    last_jump_us: int | None  # how far the offset moved at the last jump


class ReaderClock:
    """Feed (reader time, receive time) pairs in arrival order; get gateway-clock times."""

    def __init__(self, params: ClockParams | None = None) -> None:
        self.p = params or ClockParams()
        self.kind: ClockKind | None = None
        self.offset: int | None = None
        self.jumps = self.refused = 0
        self.last_jump: tuple[int, int] | None = None  # (when, how far)
        self._anchored_at = 0
        self._last = (0, 0)  # (reader, local) of the last believed sample
        self._candidates: list[tuple[int, int]] = []  # (offset, local) far from the offset
        self._window = (0, 0, 0)  # (start, least offset this window, least last window)
        self._slewed_at = 0

    def stamp(self, reader_us: int, local_us: int, kind: ClockKind = ClockKind.UTC
              ) -> int | None:
        """The read's time by the gateway's clock, or None for a timestamp not believed."""
        raw = local_us - reader_us
        if self.offset is None or kind != self.kind:
            if self.offset is not None:
                self._jump(raw, local_us)
            self.kind = kind
            self._anchor(raw, reader_us, local_us)
            return reader_us + raw
        deviation = raw - self.offset
        if abs(deviation) <= self.p.step_us:
            self._candidates.clear()
            self._follow(raw, local_us)
            self._last = (max(reader_us, self._last[0]), local_us)
            return reader_us + self.offset
        if self._confirmed(raw, local_us):
            self._jump(raw, local_us)
            self._anchor(min(o for o, _ in self._candidates), reader_us, local_us)
            self._candidates.clear()
            return reader_us + self.offset
        if self._believable(deviation, reader_us, local_us):
            return reader_us + self.offset
        self.refused += 1
        return None

    def status(self, now_us: int) -> ClockStatus:
        if self.offset is None:
            state = ClockState.UNKNOWN
        elif self.last_jump is not None and now_us - self.last_jump[0] < self.p.jump_hold_us:
            state = ClockState.JUMPED
        elif self.kind is ClockKind.UPTIME:
            state = ClockState.UPTIME
        elif abs(self.offset) > self.p.bound_us:
            state = ClockState.OFFSET
        else:
            state = ClockState.OK
        return ClockStatus(self.kind, self.offset, state, self.jumps, self.refused,
                           self.last_jump[1] if self.last_jump else None)

    # -- inside ------------------------------------------------------------------------------
    def _anchor(self, raw: int, reader_us: int, local_us: int) -> None:
        self.offset = raw
        self._anchored_at = self._slewed_at = local_us
        self._last = (reader_us, local_us)
        self._window = (local_us, raw, raw)

    def _jump(self, raw: int, local_us: int) -> None:
        assert self.offset is not None
        self.jumps += 1
        self.last_jump = (local_us, raw - self.offset)

    def _follow(self, raw: int, local_us: int) -> None:
        """Settling: take the least offset. After: drift toward the windows' least offset."""
        assert self.offset is not None
        start, least, before = self._window
        if local_us - start >= self.p.window_us:
            start, least, before = local_us, raw, least
        self._window = (start, min(least, raw), before)
        if local_us - self._anchored_at < self.p.settle_us:
            self.offset = min(self.offset, raw)
            self._slewed_at = local_us
            return
        target = min(self._window[1], self._window[2])
        room = self.p.slew_ppm * max(0, local_us - self._slewed_at) // 1_000_000
        self.offset += max(-room, min(room, target - self.offset))
        self._slewed_at = local_us

    def _confirmed(self, raw: int, local_us: int) -> bool:
        """Is this sample the one that makes a steady new offset (a jump)?"""
        kept = [(o, t) for o, t in self._candidates if local_us - t <= 2 * self.p.confirm_us]
        kept.append((raw, local_us))
        while kept and max(o for o, _ in kept) - min(o for o, _ in kept) > self.p.agree_us:
            kept.pop(0)  # the oldest disagrees: a steady offset starts later, if at all
        self._candidates = kept
        return (len(kept) >= self.p.confirm_n
                and local_us - kept[0][1] >= self.p.confirm_us)

    def _believable(self, deviation: int, reader_us: int, local_us: int) -> bool:
        """Off the offset but not (yet) a jump: a read buffered a while, or a reader clock
        running fast (an accelerated emulator) — not a date from another year."""
        if deviation > 0:
            return deviation <= self.p.max_delay_us
        last_reader, last_local = self._last
        elapsed = max(0, local_us - last_local)
        ahead = reader_us - last_reader
        if ahead <= elapsed * self.p.max_rate + self.p.step_us:
            self._last = (max(reader_us, last_reader), local_us)
            return True
        return False
