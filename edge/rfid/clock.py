"""ReaderClock: one reader's clock offset from the gateway's, estimated from its reports (pure).

Rule kept here: a read's time is the reader's timestamp plus the reader's offset, so moves are
stamped by the gateway's clock (true UTC) while the reader's own timing between reads is kept.
Network and batching delay only ever add to (receive time - reader time), so the offset is the
least of them (the freshest read of the first report, then settled over 0.2 s by at most a
step, then following drift at a bounded rate); a different offset that holds steadily for a
second is a jump, taken at once and reported; a timestamp that fits neither the offset nor
the reader's own run of timestamps (1970, next year) is refused. Times are µs, passed in.
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
    # ahead of the offset, a read is believed when it follows on from the reader's previous
    # read, or leaps at most max_leap_us (+ max_rate x the time since) past the last believed
    # one: a report spanning seconds, an emulator playing fast, a quiet spell in its playback
    max_rate: float = 1000.0
    max_leap_us: int = 60_000_000
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
        self._previous = (0, 0)  # (reader, local) of the last sample, believed or not
        self._anchor_raw = 0
        self._candidates: list[tuple[int, int]] = []  # (offset, local) far from the offset
        self._window = (0, 0, 0)  # (start, least offset this window, least last window)
        self._slewed_at = 0

    def stamp(self, reader_us: int, local_us: int, kind: ClockKind = ClockKind.UTC
              ) -> int | None:
        """The read's time by the gateway's clock, or None for a timestamp not believed."""
        previous, self._previous = self._previous, (reader_us, local_us)
        return self._stamp(reader_us, local_us, kind, previous)

    def _stamp(self, reader_us: int, local_us: int, kind: ClockKind,
               previous: tuple[int, int]) -> int | None:
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
            self._anchor(min(o for o, _ in self._candidates[:-1]), reader_us, local_us)
            self._candidates.clear()
            return reader_us + self.offset
        if self._believable(deviation, reader_us, local_us, previous):
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
        self.offset = self._anchor_raw = raw
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
        if local_us == self._anchored_at:  # the anchoring report: its freshest read counts
            self._anchor_raw = min(self._anchor_raw, raw)
        if local_us - self._anchored_at < self.p.settle_us:
            # at most a step below the anchoring report: a clock racing ahead of ours is not
            # a delay shrinking (an accelerated emulator would be squeezed)
            self.offset = max(min(self.offset, raw), self._anchor_raw - self.p.step_us)
            self._slewed_at = local_us
            return
        target = min(self._window[1], self._window[2])
        room = self.p.slew_ppm * max(0, local_us - self._slewed_at) // 1_000_000
        self.offset += max(-room, min(room, target - self.offset))
        self._slewed_at = local_us

    def _confirmed(self, raw: int, local_us: int) -> bool:
        """Is there now a steady new offset (a jump)? Each report counts by its freshest read
        (the least offset), once it is complete; reports that disagree with the last complete
        one by more than agree_us are dropped."""
        kept = [(o, t) for o, t in self._candidates if local_us - t <= 3 * self.p.confirm_us]
        if kept and kept[-1][1] == local_us:
            kept[-1] = (min(kept[-1][0], raw), local_us)
        else:
            if kept:
                last = kept[-1][0]
                kept = [c for c in kept[:-1] if abs(c[0] - last) <= self.p.agree_us] + kept[-1:]
            kept.append((raw, local_us))
        self._candidates = kept
        done = kept[:-1]
        return len(done) >= self.p.confirm_n and done[-1][1] - done[0][1] >= self.p.confirm_us

    def _believable(self, deviation: int, reader_us: int, local_us: int,
                    previous: tuple[int, int]) -> bool:
        """Off the offset but not (yet) a jump: a read buffered a while, or a reader clock
        running fast (an accelerated emulator) — not a date from another year."""
        if deviation > 0:
            return deviation <= self.p.max_delay_us
        last_reader, last_local = self._last
        leap = max(0, local_us - last_local) * self.p.max_rate + self.p.max_leap_us
        follows = abs(reader_us - previous[0]) <= (
            max(0, local_us - previous[1]) * self.p.max_rate + self.p.step_us)
        if follows or reader_us - last_reader <= leap:
            self._last = (max(reader_us, last_reader), local_us)
            return True
        return False
