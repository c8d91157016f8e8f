"""The gateway's portal logic (edge/portal) on small synthetic read sequences, one per phenomenon
of the independent dock-door traces (issue 19): a pallet decided soon after it left the door
(not after seconds of silence), an early far-side reflection, a pallet that comes back after
its early move, a pallet ending in a trailer read weakly for minutes, a staged pallet whose
tags fade, a forklift peeking through the door and turning back, a cross-read at the
neighbouring door, a weak tag riding on its mates, and a door whose inner antenna is silent."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable

from edge.portal.config import PortalAntenna, PortalConfig, PortalsConfig
from edge.portal.tracker import PortalPass, PortalTracker
from edge.reads import TagRead

S = 1_000_000
T0 = 1_760_000_000 * S
TICK = 50_000
SITE = PortalsConfig(
    portals=(PortalConfig("D1", "DOCK-1", "STAGE-1", "YARD-1"),
             PortalConfig("D2", "DOCK-2", "STAGE-2", "YARD-2")),
    antennas=(PortalAntenna("r1", 1, "D1", "outer"), PortalAntenna("r1", 2, "D1", "inner"),
              PortalAntenna("r2", 1, "D2", "outer"), PortalAntenna("r2", 2, "D2", "inner")),
)
READER = {"D1": "r1", "D2": "r2"}
Path_ = Callable[[float], float]  # trace seconds -> metres from the door (< 0: yard side)


def path(*points: tuple[float, float]) -> Path_:
    """Piecewise-linear position; before the first / after the last point it stays put."""
    def where(t: float) -> float:
        if t <= points[0][0]:
            return points[0][1]
        for (t0, x0), (t1, x1) in itertools.pairwise(points):
            if t0 <= t <= t1:
                return x0 + (x1 - x0) * (t - t0) / ((t1 - t0) or 1)
        return points[-1][1]
    return where


def reads_of(epc: str, door: str, where: Path_, start: float, end: float, *, seed: int,
             peak: float = -48.0, rate: float = 0.7, weaker_db: float = 0.0,
             swapped: bool = False, antennas: tuple[int, ...] = (1, 2)) -> list[TagRead]:
    """A tag moving along `where`: each antenna hears it by distance, 15 dB less behind it;
    each 50 ms tick it is read with probability `rate` when above -76 dBm."""
    rng = random.Random(seed)
    out: list[TagRead] = []
    t = start
    while t <= end:
        x = where(t)
        for ant in antennas:
            facing = -1.0 if (ant == 1) != swapped else 1.0  # antenna 1 looks at the yard
            behind = 15.0 if x * facing < -0.3 else 0.0
            rssi = (peak - weaker_db - 20 * math.log10(1 + abs(x) / 0.7) - behind
                    + rng.gauss(0, 2.0))
            if rssi > -76 and rng.random() < rate:
                out.append(TagRead(epc, READER[door], ant, round(rssi), T0 + int(t * S)))
        t += TICK / S
    return out


def run(reads: list[TagRead], until_s: float | None = None
        ) -> list[tuple[PortalPass, float]]:
    """Feed in time order with the RFID worker's 50 ms idle ticks; (pass, emit time s)."""
    tracker = PortalTracker(SITE)
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


def moves(result: list[tuple[PortalPass, float]]) -> list[tuple[str, str, str]]:
    return sorted((p.epc_hex, p.portal_id, p.direction) for p, _ in result)


PALLET = ["3034257BF400000000000001", "3034257BF400000000000002", "3034257BF400000000000003"]
INBOUND = path((0.0, -4.5), (4.5, 4.5))  # 2 m/s from the yard into the warehouse
OUTBOUND = path((0.0, 4.5), (4.5, -4.5))


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


def test_a_tag_alone_after_a_far_side_burst_crosses_once_the_right_way() -> None:
    # a lone tag (no pallet to pool with): its own lead goes yard (the burst), warehouse, yard
    tag = PALLET[0]
    reads = reads_of(tag, "D1", OUTBOUND, 0, 5, seed=3)
    burst = [TagRead(tag, "r1", 1, -72.0, T0 - int((2.0 - 0.05 * i) * S)) for i in range(6)]
    assert moves(run(reads + burst)) == [(tag, "D1", "outbound")]


def test_a_far_side_burst_only_a_little_weaker_than_the_pass_is_still_a_reflection() -> None:
    # the burst on the yard side is just 10 dB below the tag's level inside, but well below
    # what the yard-side antenna hears when the tag really comes by: a reflection, no origin
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", OUTBOUND, 0, 5, seed=k)]
    burst = [TagRead(e, "r1", 1, -64.0, T0 - int((2.0 - 0.05 * i) * S))
             for e in PALLET for i in range(6)]
    assert moves(run(reads + burst)) == [(e, "D1", "outbound") for e in PALLET]


def test_a_pallet_that_turns_back_after_its_early_move_gets_the_compensating_move() -> None:
    back = path((0.0, -4.5), (3.0, 6.0), (4.5, 6.0), (7.5, -4.5))  # in, far inside, back out
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", back, 0, 8, seed=k)]
    result = sorted(run(reads), key=lambda x: x[1])
    assert {p.basis for p, _ in result} == {"pallet", "compensating"}
    for epc in PALLET:  # moved in early, then back out: it ends where it started
        assert [p.direction for p, _ in result if p.epc_hex == epc] == ["inbound", "outbound"]


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


def _sparse(epc: str, heard: list[tuple[float, int, float]]) -> list[TagRead]:
    """A tag read rarely (badly oriented, fast): (seconds, antenna, dBm) per read."""
    return [TagRead(epc, "r1", ant, dbm, T0 + int(t * S)) for t, ant, dbm in heard]


def test_a_tag_read_a_few_times_crosses_despite_a_faint_late_reflection_behind_it() -> None:
    # heard well inside, once faintly outside, then two faint reflections inside (12 dB below
    # its peak there) and last, clearly, outside: it went out, though the reflections came
    # after its first outside read
    tag = PALLET[0]
    reads = _sparse(tag, [(0.0, 2, -61.0), (0.3, 2, -59.0), (0.7, 2, -60.0), (0.8, 2, -60.0),
                          (1.0, 1, -70.0), (2.7, 2, -72.0), (3.2, 2, -72.0), (4.0, 1, -62.0)])
    assert moves(run(reads)) == [(tag, "D1", "outbound")]


def test_a_tag_read_a_few_times_heard_last_where_it_came_from_turned_back() -> None:
    # inside, then outside a few times, then inside again as strong as it was outside: a
    # forklift nosing through the door and backing in; its late reads are not reflections
    tag = PALLET[0]
    reads = _sparse(tag, [(0.0, 2, -63.0), (0.7, 2, -61.0), (1.4, 1, -74.0), (2.3, 1, -67.0),
                          (2.7, 1, -72.0), (4.0, 2, -72.0), (4.1, 2, -69.0)])
    assert run(reads) == []


def test_a_pallet_staged_inside_for_minutes_does_not_cross_when_its_antenna_fades() -> None:
    # two tags staged 1.5 m inside, read all the time; twice the inner antenna loses them
    # (fading) while the outer one hears them 9 dB weaker in a 2 s burst (a reflection), then
    # nothing hears them for 5 s, then the inner antenna again: the lead went outside and the
    # tags fell silent there, but the outer side never heard them as well as the inner side
    # where they sat for a minute first: staged, no move
    staged = path((0.0, 1.5))
    reads = [r for k, e in enumerate(PALLET[:2])
             for r in reads_of(e, "D1", staged, 0, 200, seed=k)]
    fades = ((60.0, 68.0), (130.0, 138.0))
    reads = [r for r in reads if not any(a < (r.time_us - T0) / S < b for a, b in fades)]
    rng = random.Random(7)
    reads += [TagRead(e, "r1", 1, round(-67.0 + rng.gauss(0, 1.5)), T0 + int((a + 0.25 * i) * S))
              for a, _ in fades for e in PALLET[:2] for i in range(9)]
    assert run(reads) == []


def test_a_slow_pallet_moves_once_the_side_it_left_stops_hearing_it() -> None:
    # three tags of a slow pallet: heard outside (rising), then inside at a level that hardly
    # fades for 6 s while the outer antenna's back lobe hears them faintly for 1.5 s more and
    # then not at all: that silence, pooled over the pallet, decides -- not the inner
    # antenna losing them seconds later
    rng = random.Random(2)
    reads: list[TagRead] = []
    for k, epc in enumerate(PALLET):
        t = 0.05 * k
        while t < 12.0:
            if rng.random() < 0.6:
                if t < 5.0:
                    reads.append(TagRead(epc, "r1", 1, round(-66 + 2.4 * t + rng.gauss(0, 2)),
                                         T0 + int(t * S)))
                else:
                    reads.append(TagRead(epc, "r1", 2, round(-55 + rng.gauss(0, 2)),
                                         T0 + int(t * S)))
                    if t < 6.5 and rng.random() < 0.5:
                        reads.append(TagRead(epc, "r1", 1, round(-71 + rng.gauss(0, 2)),
                                             T0 + int(t * S) + 7))
            t += 0.1
    result = run(reads)
    assert moves(result) == [(e, "D1", "inbound") for e in PALLET]
    assert all(at <= 9.5 for _, at in result)  # the inner antenna hears them until 12 s


def test_a_staged_pallet_keeps_its_side_across_a_silence_and_a_reflection() -> None:
    # two tags staged 1.5 m inside for three minutes; for 6 s nothing hears them (longer than
    # a passing tag's gap), then the outer antenna hears them weakly for 2 s (a reflection,
    # well below their level inside), then the inner one again as before: the presence goes
    # on across the silence, its side stays inside, nothing moves
    staged = path((0.0, 1.5))
    reads = [r for k, e in enumerate(PALLET[:2])
             for r in reads_of(e, "D1", staged, 0, 180, seed=k)
             if not 90 < (r.time_us - T0) / S < 101]
    rng = random.Random(11)
    reads += [TagRead(e, "r1", 1, round(-64.0 + rng.gauss(0, 1.5)), T0 + int((96 + 0.3 * i) * S))
              for e in PALLET[:2] for i in range(8)]
    assert run(reads) == []


def _steady(epc: str, spans: list[tuple[float, float, int, float]], seed: int) -> list[TagRead]:
    """Reads of door D1 every 0.1 s (60 % of them heard): (from s, to s, antenna, dBm) spans."""
    rng = random.Random(seed)
    return [TagRead(epc, "r1", ant, round(dbm + rng.gauss(0, 1.5)), T0 + int(t / 10 * S))
            for a, b, ant, dbm in spans for t in range(int(a * 10), int(b * 10))
            if rng.random() < 0.6]


def test_a_tag_alone_moves_once_the_side_it_left_has_not_heard_it_for_longer() -> None:
    # one tag (no pallet-mate to pool with) crosses slowly into a trailer: heard outside at a
    # steady level for 15 s more; the inner antenna's back lobe hears it faintly for 1 s, then
    # never again. A forklift alone nosing out and back is heard inside again within moments,
    # so a tag alone waits longer (alone_quiet_us) -- but not for the settle time
    tag = PALLET[0]
    reads = _steady(tag, [(0, 5, 2, -55.0), (5, 20, 1, -58.0), (5, 6, 2, -72.0)], seed=1)
    result = run(reads)
    assert moves(result) == [(tag, "D1", "outbound")]
    assert all(at <= 12.5 for _, at in result)


def test_a_pallet_heard_in_the_door_plane_then_not_on_its_old_side_waits_to_be_sure() -> None:
    # two tags held by a forklift in the door: the inner antenna takes the lead but the outer
    # one still hears them nearly as well (door plane, 4-5 dB less), then loses them for 2.5 s
    # (fading), then hears them strongly again as the forklift backs out: no move (and no
    # move taken back)
    reads = [r for k, e in enumerate(PALLET[:2])
             for r in _steady(e, [(0, 5, 1, -50.0), (5, 9, 2, -50.0), (5, 6.5, 1, -54.5),
                                  (9, 14, 1, -50.0)], seed=k)]
    assert run(reads) == []


def test_a_tag_read_a_few_times_in_the_wrong_order_goes_the_way_its_pallet_mates_went() -> None:
    # three tags of a pallet cross inbound, read well; a fourth, first heard with them, is
    # read twice inside and then twice outside (reflections: its order says outbound). Its
    # mates' reads outnumber its own many times: it went in with them
    odd = "3034257BF4000000000000EE"
    reads = [r for k, e in enumerate(PALLET) for r in reads_of(e, "D1", INBOUND, 0, 5, seed=k)]
    reads += _sparse(odd, [(0.3, 2, -52.0), (0.9, 2, -51.0), (3.8, 1, -52.0), (4.6, 1, -51.0)])
    result = run(reads)
    assert moves(result) == sorted([(e, "D1", "inbound") for e in [*PALLET, odd]])
