"""The experimental early-deciding portal tracker (bench/portal_early, issue 19) on small
synthetic read sequences, one per phenomenon of the independent dock-door traces: a pallet
decided soon after it left, an early far-side reflection, a pallet ending in a trailer read
weakly for minutes, a staged pallet whose tags fade, a forklift peeking through the door and
turning back, a cross-read at the neighbouring door, a weak tag riding on its pallet-mates,
and a door whose inner antenna is silent."""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.portal_early.tracker import EarlyPortalTracker, PortalPass
from edge.reads import TagRead

# the site, paths and reads both trackers are tried on
from tests.edge.test_portal_phenomena import (
    INBOUND,
    OUTBOUND,
    PALLET,
    SITE,
    T0,
    TICK,
    S,
    moves,
    path,
    reads_of,
)


def run(reads: list[TagRead], until_s: float | None = None
        ) -> list[tuple[PortalPass, float]]:
    """Feed in time order with the RFID worker's 50 ms idle ticks; (pass, emit time s)."""
    tracker = EarlyPortalTracker(SITE)
    ordered = sorted(reads, key=lambda r: r.time_us)
    end = until_s if until_s is not None else (ordered[-1].time_us - T0) / S + 20
    out: list[tuple[PortalPass, float]] = []
    i = 0
    tick = 0
    while tick * TICK <= end * S:
        now = T0 + tick * TICK
        while i < len(ordered) and ordered[i].time_us <= now:
            out += [(p, (now - T0) / S) for p in tracker.feed(ordered[i])]
            i += 1
        out += [(p, (now - T0) / S) for p in tracker.advance(now)]
        tick += 1
    return out + [(p, end) for p in tracker.flush()]




def test_a_pallet_moves_every_tag_the_right_way_about_when_it_leaves_the_door() -> None:
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", INBOUND, 0, 5, seed=k)]
    result = run(reads)
    assert moves(result) == [(e, "D1", "inbound") for e in PALLET]
    last_read = max(r.time_us for r in reads) - T0
    assert all(at <= last_read / S + 1.5 for _, at in result)  # not seconds of silence later


def test_an_early_reflection_on_the_far_antenna_is_not_where_the_pallet_came_from() -> None:
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", OUTBOUND, 0, 5, seed=k)]
    # a burst on the yard-side antenna 2 s before the pallet is heard inside, 20 dB weaker
    burst = [TagRead(e, "r1", 1, -72.0, T0 - int((2.0 - 0.05 * i) * S))
             for e in PALLET for i in range(6)]
    assert moves(run(reads + burst)) == [(e, "D1", "outbound") for e in PALLET]


def test_a_pallet_ending_in_a_trailer_read_weakly_for_minutes_moves_once() -> None:
    into_trailer = path((0.0, 4.5), (4.0, -3.5))
    reads = [r for k, e in enumerate(PALLET)
             for r in reads_of(e, "D1", into_trailer, 0, 6, seed=k)]
    # then, from the trailer, a weak read of some tag every 7-9 s for two minutes
    rng = random.Random(5)
    t = 8.0
    while t < 130:
        reads.append(TagRead(rng.choice(PALLET), "r1", 1, -70.0 + rng.gauss(0, 2), T0 + int(t * S)))
        t += rng.uniform(7, 9)
    assert moves(run(reads)) == [(e, "D1", "outbound") for e in PALLET]


def test_a_staged_pallet_whose_tags_fade_inside_never_moves() -> None:
    staged = path((0.0, 1.5))
    reads = [r for k, e in enumerate(PALLET[:2])
             for r in reads_of(e, "D1", staged, 0, 180, seed=k, rate=0.2)]
    # the inner antenna loses one tag for 12 s while the outer one hears it weakly
    reads = [r for r in reads if not (r.epc_hex == PALLET[0] and 60 < (r.time_us - T0) / S < 72)]
    reads += [TagRead(PALLET[0], "r1", 1, -71.0, T0 + int((60.5 + 0.7 * i) * S)) for i in range(16)]
    assert run(reads) == []


def test_a_forklift_peeking_through_the_door_and_turning_back_moves_nothing() -> None:
    peek = path((0.0, 4.5), (2.5, 0.3), (3.5, -0.4), (4.5, -0.4), (5.5, 0.3), (8.0, 4.5))
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", peek, 0, 8, seed=k)]
    assert run(reads) == []


def test_a_cross_read_at_the_neighbouring_door_goes_to_the_door_that_hears_it_best() -> None:
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D2", INBOUND, 0, 5, seed=k)]
    # door 1 hears the same pallet 14 dB weaker, its antennas' order reversed by a reflection
    reads += [r for k, e in enumerate(PALLET)
              for r in reads_of(e, "D1", INBOUND, 0, 5, seed=10 + k, weaker_db=14.0,
                                swapped=True)]
    assert moves(run(reads)) == [(e, "D2", "inbound") for e in PALLET]


def test_a_weak_tag_heard_a_few_times_moves_with_its_pallet_mates() -> None:
    weak = "3034257BF4000000000000FF"
    reads = [r for k, e in enumerate(PALLET[:2])
             for r in reads_of(e, "D1", INBOUND, 0, 5, seed=k)]
    reads += [TagRead(weak, "r1", 1, -66.0, T0 + int(1.2 * S)),
              TagRead(weak, "r1", 2, -67.0, T0 + int(3.1 * S)),
              TagRead(weak, "r1", 2, -65.0, T0 + int(3.4 * S))]
    assert moves(run(reads)) == sorted([(e, "D1", "inbound") for e in [*PALLET[:2], weak]])


def test_a_door_with_a_silent_inner_antenna_invents_no_move() -> None:
    reads = [r for k, e in enumerate(PALLET)
             for r in reads_of(e, "D1", INBOUND, 0, 5, seed=k, antennas=(1,))]
    assert reads
    assert run(reads) == []
