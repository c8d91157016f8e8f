"""Portal logic on table-driven read sequences: direction, parked tags, U-turns, duplicates,
cross-reads between neighbouring doors, strays, lost reads, and time taken only from reads."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.portal.config import PortalAntenna, PortalConfig, PortalParams, PortalsConfig
from edge.portal.tracker import PortalPass, PortalTracker
from edge.reads import TagRead

EPC = "3074257BF7194E4000001A85"
S = 1_000_000
T0 = 1_760_000_000 * S

SITE = PortalsConfig(
    portals=(
        PortalConfig("D1", door="DOCK-1", inside="STAGE-1", outside="YARD-1"),
        PortalConfig("D2", door="DOCK-2", inside="STAGE-2", outside="YARD-2"),
    ),
    antennas=(
        PortalAntenna("r1", 1, "D1", "outer"),
        PortalAntenna("r1", 2, "D1", "inner"),
        PortalAntenna("r2", 1, "D2", "outer"),
        PortalAntenna("r2", 2, "D2", "inner"),
    ),
)
DOORS = {"D1": ("r1", 1, 2), "D2": ("r2", 1, 2)}


def rssi_at(distance_m: float, peak: float = -48.0, behind: float = 0.0) -> float:
    """Log-distance path loss, and up to 12 dB less behind the antenna (patch front/back)."""
    return peak - 20 * math.log10(1 + distance_m / 0.5) - 12.0 * behind


def moving(
    rng: random.Random,
    door: str,
    path: list[tuple[float, float]],
    *,
    epc: str = EPC,
    start_us: int = T0,
    rate_hz: float = 40.0,
    loss: float = 0.0,
    noise_db: float = 2.0,
    peak: float = -48.0,
    lateral_m: float = 0.0,
) -> list[TagRead]:
    """Reads of a tag moving along `path` [(time_s, x_m)], linear in between; the outer
    antenna stands at x = -0.6 m facing the yard (x < 0), the inner one at x = +0.6 m facing
    the warehouse; each antenna reads in turn."""
    reader, outer, inner = DOORS[door]
    reads: list[TagRead] = []
    t_end = path[-1][0]
    step = 1 / rate_hz
    k = 0
    while (t := k * step) <= t_end:
        k += 1
        x = _interp(path, t)
        antenna, ax, facing = (outer, -0.6, -1.0) if k % 2 else (inner, 0.6, 1.0)
        dist = math.hypot(x - ax, lateral_m)
        behind = max(0.0, min(1.0, -facing * (x - ax) / (dist + 0.3)))
        level = rssi_at(dist, peak, behind) + rng.gauss(0, noise_db)
        if level < -80 or rng.random() < loss:
            continue
        reads.append(TagRead(epc, reader, antenna, round(level, 1), start_us + int(t * S)))
    return reads


def _interp(path: list[tuple[float, float]], t: float) -> float:
    for (t0, x0), (t1, x1) in itertools.pairwise(path):
        if t0 <= t <= t1:
            return x0 + (x1 - x0) * (t - t0) / (t1 - t0 or 1)
    return path[-1][1]


INBOUND = [(0.0, -4.0), (4.0, 4.0)]  # 2 m/s from the yard into the warehouse
OUTBOUND = [(0.0, 4.0), (4.0, -4.0)]


def run(
    reads: list[TagRead], config: PortalsConfig = SITE
) -> tuple[list[PortalPass], PortalTracker]:
    tracker = PortalTracker(config)
    out: list[PortalPass] = []
    for read in sorted(reads, key=lambda r: r.time_us):
        out += tracker.feed(read)
    out += tracker.flush()
    return out, tracker


@pytest.mark.parametrize(
    ("path", "direction", "src", "dst"),
    [(INBOUND, "inbound", "YARD-1", "STAGE-1"), (OUTBOUND, "outbound", "STAGE-1", "YARD-1")],
)
def test_a_pallet_through_the_door_moves_with_the_right_direction(
    path: list[tuple[float, float]], direction: str, src: str, dst: str
) -> None:
    passes, _ = run(moving(random.Random(1), "D1", path))
    assert [(p.direction, p.from_location, p.to_location, p.portal_id) for p in passes] == [
        (direction, src, dst, "D1")
    ]
    (p,) = passes
    assert p.confidence > 0.8
    assert T0 < p.crossed_us < T0 + 4 * S and p.first_us <= p.crossed_us <= p.last_us


@pytest.mark.parametrize("seed", range(40))
def test_direction_survives_heavy_read_loss_and_noise(seed: int) -> None:
    rng = random.Random(seed)
    path = INBOUND if seed % 2 else OUTBOUND
    passes, _ = run(moving(rng, "D1", path, loss=0.6, noise_db=3.0, rate_hz=30))
    assert [p.direction for p in passes] == ["inbound" if seed % 2 else "outbound"]


def test_a_pallet_parked_beside_the_door_never_passes() -> None:
    rng = random.Random(2)
    parked = moving(rng, "D1", [(0.0, 1.5), (300.0, 1.5)], noise_db=4.0)  # 5 min inside
    passes, tracker = run(parked)
    assert passes == []
    assert tracker.suppressed["cross_read"] == 0


@pytest.mark.parametrize("seed", range(5))
def test_a_pallet_parked_in_the_doorway_does_not_flicker_into_passes(seed: int) -> None:
    rng = random.Random(seed)
    parked = moving(rng, "D1", [(0.0, 0.05), (180.0, 0.05)], noise_db=3.0)
    passes, _ = run(parked)
    assert passes == []


def test_parked_inside_then_loaded_out_is_one_outbound_pass() -> None:
    rng = random.Random(3)
    reads = moving(rng, "D1", [(0.0, 1.2), (120.0, 1.2), (124.0, -4.0)])
    passes, _ = run(reads)
    assert [(p.direction, p.to_location) for p in passes] == [("outbound", "YARD-1")]
    assert passes[0].crossed_us > T0 + 120 * S


def test_u_turn_in_the_doorway_is_no_pass() -> None:
    rng = random.Random(4)
    path = [(0.0, -4.0), (2.2, 0.6), (2.6, 0.6), (4.8, -4.0)]  # in past the middle, back out
    passes, tracker = run(moving(rng, "D1", path, noise_db=1.0))
    assert passes == []
    assert tracker.suppressed["u_turn"] >= 1


def test_forklift_first_heard_nosing_through_the_door_is_no_pass() -> None:
    # heard first just inside the door (the inner side leads), then working on the yard side
    # and nosing in again, then driving off into the yard: it never came from the inside
    rng = random.Random(12)
    path = [(0.0, 0.8), (1.0, 0.8), (2.0, -2.5), (4.0, -2.5), (5.0, 0.8), (6.0, 0.8),
            (7.0, -2.5), (9.0, -2.5), (10.0, 0.8), (11.0, 0.8), (12.0, -2.5), (16.0, -5.5)]
    passes, tracker = run(moving(rng, "D1", path, noise_db=1.0))
    assert passes == []
    assert tracker.suppressed["unclear"] >= 1


def test_slow_pass_with_the_lead_flickering_in_the_door_is_one_pass() -> None:
    rng = random.Random(13)
    path = [(0.0, -4.0), (3.0, -0.3), (6.0, 0.3), (9.0, 4.0)]  # 3 s dawdling in the door
    passes, _ = run(moving(rng, "D1", path, noise_db=4.0))
    assert [p.direction for p in passes] == ["inbound"]


def _reads(side_times: list[tuple[int, float, float]]) -> list[TagRead]:
    return [TagRead(EPC, "r1", antenna, rssi, T0 + int(t * S)) for antenna, t, rssi in side_times]


def test_a_fast_pallet_with_two_reads_on_the_first_side_is_judged_whole() -> None:
    reads = _reads([(1, 0.0, -47.0), (1, 0.2, -46.0), (2, 0.5, -45.0), (2, 0.7, -44.0),
                    (2, 0.9, -47.0), (2, 1.1, -50.0)])
    passes, _ = run(reads)
    assert [(p.direction, p.confidence) for p in passes] == [("inbound", 0.6)]
    assert T0 + 0.2 * S < passes[0].crossed_us < T0 + 0.9 * S


def test_a_briefly_staged_pallet_with_one_reflected_read_on_the_other_side_is_no_pass() -> None:
    inner = [(2, 0.2 * k, -50.0 + (k % 3)) for k in range(26)]  # 5 s heard inside only ...
    reflected = [(1, 4.0, -52.0)]  # ... but for one read off the trailer, late in its stay
    passes, _ = run(_reads(sorted(inner + reflected, key=lambda r: r[1])))
    assert passes == []


def test_in_and_out_again_later_are_two_passes() -> None:
    rng = random.Random(5)
    path = [(0.0, -4.0), (4.0, 4.0), (40.0, 4.0), (44.0, -4.0)]
    passes, _ = run(moving(rng, "D1", path))
    assert [p.direction for p in passes] == ["inbound", "outbound"]


def test_hesitating_forklift_is_one_pass_not_two() -> None:
    rng = random.Random(6)
    first = moving(rng, "D1", INBOUND)
    # unheard (a dead spot), the driver reverses into the doorway and drives in again
    again = moving(rng, "D1", [(0.0, -1.5), (2.75, 4.0)], start_us=T0 + 8 * S)
    passes, tracker = run(first + again)
    assert [p.direction for p in passes] == ["inbound"]
    assert tracker.suppressed["duplicate"] == 1


def test_a_cross_read_at_the_neighbouring_door_goes_to_the_stronger_door() -> None:
    rng = random.Random(7)
    real = moving(rng, "D2", INBOUND)
    ghost = moving(rng, "D1", INBOUND, lateral_m=3.5)  # D1 hears the same tag, weaker
    assert ghost, "the ghost must exist for this test to mean anything"
    passes, tracker = run(real + ghost)
    assert [(p.portal_id, p.direction) for p in passes] == [("D2", "inbound")]
    assert tracker.suppressed["cross_read"] == 1


def test_two_tags_through_two_doors_at_once_both_pass() -> None:
    rng = random.Random(8)
    other = "3174257BF4499602D2000000"
    reads = moving(rng, "D1", INBOUND) + moving(rng, "D2", OUTBOUND, epc=other)
    passes, _ = run(reads)
    assert sorted((p.portal_id, p.direction, p.epc_hex) for p in passes) == [
        ("D1", "inbound", EPC),
        ("D2", "outbound", other),
    ]


def test_stray_reads_and_weak_tags_make_no_pass() -> None:
    rng = random.Random(9)
    stray = [
        TagRead("E280116060000205", "r1", 1, -70.0, T0),
        TagRead("E280116060000205", "r1", 2, -71.0, T0 + 90_000),
    ]
    weak = moving(rng, "D1", INBOUND, peak=-70.0, epc="3474257BF400000000000022")
    assert len(weak) > 10
    strict = PortalParams(min_peak_dbm=-65.0)
    config = replace(SITE, portals=tuple(replace(p, params=strict) for p in SITE.portals))
    passes, tracker = run(stray + weak, config)
    assert passes == []
    assert tracker.suppressed["weak"] == 1
    assert [p.epc_hex for p in run(stray + weak)[0]] == ["3474257BF400000000000022"]


def test_unmapped_antennas_are_counted_and_ignored() -> None:
    tracker = PortalTracker(SITE)
    assert tracker.feed(TagRead(EPC, "r9", 1, -50.0, T0)) == []
    assert tracker.feed(TagRead(EPC, "r1", 7, -50.0, T0)) == []
    assert tracker.unmapped_reads == 2


def test_time_comes_from_reads_only() -> None:
    reads = moving(random.Random(10), "D1", [(0.0, -4.0), (2.5, 2.0)])  # ends inside, in range
    tracker = PortalTracker(SITE)
    out: list[PortalPass] = []
    for read in reads:
        out += tracker.feed(read)
    assert out == []  # still settling: nothing happens until read time moves on
    assert tracker.advance(reads[-1].time_us + 1) == []
    settle = SITE.portals[0].params.settle_us
    later = tracker.advance(reads[-1].time_us + settle + 1)
    assert [p.direction for p in later] == ["inbound"]
    assert tracker.advance(reads[-1].time_us + 100 * S) == []


def test_params_are_per_portal() -> None:
    slow = PortalParams(settle_us=60 * S, gap_us=60 * S, pallet_hold_us=60 * S,
                        alone_hold_us=60 * S)
    config = replace(SITE, portals=(replace(SITE.portals[0], params=slow), SITE.portals[1]))
    reads = moving(random.Random(11), "D1", INBOUND)
    tracker = PortalTracker(config)
    early = [p for r in reads for p in tracker.feed(r)] + tracker.advance(reads[-1].time_us + 5 * S)
    assert early == []
    assert len(tracker.flush()) == 1


def test_config_rejects_antennas_of_unknown_portals_and_doubles() -> None:
    with pytest.raises(ValueError, match="unknown portal 'D9'"):
        PortalsConfig(SITE.portals, (PortalAntenna("r1", 1, "D9", "outer"),))
    with pytest.raises(ValueError, match="mapped twice"):
        PortalsConfig(SITE.portals, (PortalAntenna("r1", 1, "D1", "outer"),) * 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["r1", "r2", "r3"]),
            st.integers(1, 3),
            st.sampled_from([EPC, "AA", "3174257BF4499602D2000000"]),
            st.floats(-100, -20),
            st.integers(0, 30 * S),
        ),
        max_size=200,
    )
)
def test_any_read_stream_gives_well_formed_passes(
    rows: list[tuple[str, int, str, float, int]],
) -> None:
    reads = [TagRead(e, r, a, rssi, T0 + t) for r, a, e, rssi, t in rows]  # not even in order
    tracker = PortalTracker(SITE)
    out = [p for read in reads for p in tracker.feed(read)] + tracker.flush()
    for p in out:
        assert p.direction in ("inbound", "outbound")
        assert 0.0 < p.confidence <= 1.0
        assert p.first_us <= p.crossed_us <= p.last_us
