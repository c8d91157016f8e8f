"""ReaderClock: reads stamped by the gateway's clock whatever the reader's clock says (pure)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.rfid.clock import ClockKind, ClockState, ReaderClock

S = 1_000_000
NOW = int(datetime(2026, 3, 2, 9, 0, tzinfo=UTC).timestamp()) * S
DEMO_EPOCH = int(datetime(2024, 5, 6, 8, 0, tzinfo=UTC).timestamp()) * S


def feed(clock: ReaderClock, true_times: list[int], offset: int, delays: list[int],
         kind: ClockKind = ClockKind.UTC) -> list[int | None]:
    """Reads truly made at `true_times` (gateway clock) by a reader whose clock is `offset`
    behind, received `delays` later."""
    return [clock.stamp(t - offset, t + d, kind) for t, d in zip(true_times, delays, strict=True)]


def steady(n: int, every_us: int = 20_000, start: int = NOW) -> list[int]:
    return [start + i * every_us for i in range(n)]


def jitter(n: int, seed: int = 1, low: int = 1_000, high: int = 40_000) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(low, high) for _ in range(n)]


@pytest.mark.parametrize(
    ("offset", "kind", "state"),
    [
        (0, ClockKind.UTC, ClockState.OK),  # an NTP-synchronised reader
        (NOW - DEMO_EPOCH, ClockKind.UTC, ClockState.OFFSET),  # the demo's 2024 scenario epoch
        (-2 * 3600 * S, ClockKind.UTC, ClockState.OFFSET),  # set to local time, UTC+2
        (NOW - 1_000 * S, ClockKind.UTC, ClockState.OFFSET),  # unset: 1970 + a few minutes
        (NOW - 86_400 * S, ClockKind.UPTIME, ClockState.UPTIME),  # no RTC: µs since boot
    ],
)
def test_reads_are_stamped_by_the_gateway_clock_whatever_the_reader_says(
        offset: int, kind: ClockKind, state: ClockState) -> None:
    clock = ReaderClock()
    times = steady(500)
    stamps = feed(clock, times, offset, jitter(500), kind)
    assert all(s is not None and 0 <= s - t <= 40_000 for s, t in zip(stamps, times, strict=True))
    settled = zip(stamps[50:], times[50:], strict=True)  # settled: the least delay
    assert all(s is not None and 0 <= s - t <= 5_000 for s, t in settled)
    status = clock.status(times[-1])
    assert status.state is state and status.kind is kind
    assert status.jumps == status.refused == 0
    assert status.offset_us is not None and 0 <= status.offset_us - offset <= 5_000


def test_a_clock_set_back_an_hour_is_a_jump_taken_within_a_second() -> None:
    clock = ReaderClock()
    before, after = steady(200), steady(300, start=NOW + 200 * 20_000)
    feed(clock, before, 0, jitter(200))
    stamps = feed(clock, after, 3600 * S, jitter(300, seed=2))
    took = next(i for i, s in enumerate(stamps) if s is not None)
    assert took * 20_000 <= 1_100_000  # refused (not placed an hour back) until confirmed
    assert all(s is not None and abs(s - t) <= 40_000
               for s, t in zip(stamps[took:], after[took:], strict=True))
    status = clock.status(after[-1])
    assert status.state is ClockState.JUMPED and status.jumps == 1
    assert status.last_jump_us is not None and abs(status.last_jump_us - 3600 * S) < 50_000


def test_a_clock_stepped_forward_is_followed_and_reported() -> None:
    clock = ReaderClock()
    feed(clock, steady(200), 0, jitter(200))
    after = steady(300, start=NOW + 200 * 20_000)
    stamps = feed(clock, after, -30 * S, jitter(300, seed=3))  # reader now 30 s ahead
    assert all(s is not None and abs(s - t) <= 40_000 for s, t in zip(stamps[60:], after[60:],
                                                                     strict=True))
    assert clock.status(after[-1]).jumps == 1


@pytest.mark.parametrize("bad", [0, 10 * S, NOW + 365 * 86_400 * S, 2**63 - 1])
def test_a_single_impossible_timestamp_is_refused_and_moves_nothing(bad: int) -> None:
    clock = ReaderClock()
    times = steady(300)
    feed(clock, times[:150], 0, jitter(150))
    assert clock.stamp(bad, times[150] + 5_000) is None
    stamps = feed(clock, times[151:], 0, jitter(149, seed=4))
    assert all(s is not None and 0 <= s - t <= 5_000 for s, t in zip(stamps, times[151:],
                                                                    strict=True))
    status = clock.status(times[-1])
    assert (status.refused, status.jumps, status.state) == (1, 0, ClockState.OK)


def test_drift_of_a_cheap_crystal_is_followed() -> None:
    clock = ReaderClock()
    times = steady(3600, every_us=1 * S)  # an hour, one read a second
    drift = [(t - NOW) * 80 // 1_000_000 for t in times]  # the reader loses 80 ppm
    stamps = [clock.stamp(t - d, t + 5_000) for t, d in zip(times, drift, strict=True)]
    assert all(s is not None and abs(s - t) <= 10_000 for s, t in zip(stamps, times,
                                                                     strict=True))
    assert clock.status(times[-1]).jumps == 0


def test_an_accelerated_reader_keeps_its_own_timing_between_reads() -> None:
    """An emulator playing 4x fast: the portal logic must see the scenario's timing."""
    clock = ReaderClock()
    reader = [DEMO_EPOCH + i * 40_000 for i in range(400)]  # 16 s of scenario ...
    local = [NOW + i * 10_000 + 3_000 for i in range(400)]  # ... in 4 s
    stamps = [clock.stamp(r, t) for r, t in zip(reader, local, strict=True)]
    assert None not in stamps
    later = stamps[50:]  # after half a second: exactly the reader's own gaps
    assert {b - a for a, b in itertools.pairwise(later)} == {40_000}  # type: ignore[operator]
    span = stamps[-1] - stamps[0]  # type: ignore[operator]
    assert span >= 0.95 * (reader[-1] - reader[0])  # squeezed only while settling
    assert abs(stamps[0] - local[0]) <= 3_000  # type: ignore[operator]
    assert clock.status(local[-1]).jumps == 0


def test_a_buffered_read_keeps_its_own_time() -> None:
    clock = ReaderClock()
    times = steady(100)
    feed(clock, times, 0, jitter(100))
    late = times[-1] - 30 * S  # a read the reader held back 30 s (link down)
    assert clock.stamp(late, times[-1] + 10_000) == late + clock.offset  # type: ignore[operator]
    assert clock.stamp(times[-1] - 90 * S, times[-1] + 10_000) is None  # beyond 60 s: refused


def test_a_reader_that_reboots_to_uptime_is_re_anchored() -> None:
    clock = ReaderClock()
    feed(clock, steady(100), 0, jitter(100))
    later = steady(100, start=NOW + 100 * 20_000)
    stamps = feed(clock, later, NOW, jitter(100, seed=6), ClockKind.UPTIME)
    assert all(s is not None and 0 <= s - t <= 40_000 for s, t in zip(stamps, later,
                                                                     strict=True))
    assert clock.status(later[-1]).kind is ClockKind.UPTIME
    assert clock.status(later[-1]).jumps == 1


@given(offset=st.integers(-10**15, 10**15),
       delays=st.lists(st.integers(0, 200_000), min_size=1, max_size=200))
def test_never_earlier_than_the_read_nor_later_than_the_worst_delay_seen(
        offset: int, delays: list[int]) -> None:
    clock = ReaderClock()
    for i, delay in enumerate(delays):
        true = NOW + i * 20_000
        stamp = clock.stamp(true - offset, true + delay)
        assert stamp is not None
        assert 0 <= stamp - true <= max(delays[: i + 1])


def test_a_jump_is_found_from_a_reader_that_reports_once_a_second() -> None:
    """Each report carries the second's reads (the oldest a second old): its freshest read
    is what tells the clock, so a jump is still found within a couple of reports."""
    clock = ReaderClock()
    offset, stamps = 0, []
    for second in range(12):
        if second == 6:
            offset = 3600 * S  # the reader's clock is set back an hour
        sent = NOW + (second + 1) * S + 3_000
        stamps.append([clock.stamp(NOW + second * S + k * 20_000 - offset, sent)
                       for k in range(50)])
    assert clock.status(NOW + 12 * S).jumps == 1
    assert all(s is not None for s in stamps[9])
    # each stamp is late by what the freshest read of a report waited: 23 ms
    assert all(0 <= s - (NOW + 9 * S + k * 20_000) <= 23_000  # type: ignore[operator]
               for k, s in enumerate(stamps[9]))


def test_a_fast_playback_in_reports_spanning_seconds_keeps_every_read_and_its_timing() -> None:
    """An emulator playing as fast as it can: each report spans 5 s of its clock and reaches
    us 10 ms after the last; a quiet spell of 40 s between passes costs no read either."""
    clock = ReaderClock()
    clock.stamp(DEMO_EPOCH - 1_000, NOW)  # its ConnectionAttemptEvent: the epoch, before play
    reader, stamps = DEMO_EPOCH, []
    for report in range(40):
        reader += 40 * S if report == 20 else 0
        for _ in range(50):
            reader += 100_000
            stamps.append(clock.stamp(reader, NOW + 10_000 * (report + 1)))
    assert None not in stamps
    later = stamps[50:]  # the first report settles the offset (by at most a step, 0.25 s)
    assert {b - a for a, b in itertools.pairwise(later)} == {100_000, 40 * S + 100_000}  # type: ignore[operator]
    assert stamps[-1] - stamps[0] >= reader - DEMO_EPOCH - 100_000 - 250_000  # type: ignore[operator]
    assert clock.status(NOW + S).jumps == 0
