"""The read model's physics: directional portal antennas (gain pattern, front-to-back ratio,
beam direction), reflections, and tags that move continuously (nothing appears in the door)."""

from __future__ import annotations

import copy
import itertools
import math
import statistics
from typing import Any

import pytest

from firmware_bridge.scenario import (
    Linger,
    Parked,
    ReadModel,
    ScenarioError,
    parse_scenario,
    simulate,
)
from firmware_bridge.scenario.geometry import Antenna, antenna_layout, event_path, gain_db

PARKED_EPC = "3114F4E4E400000050000000"
FORKLIFT = "3034F4E4E40C0E4000000001"

SITE: dict[str, Any] = {
    "name": "rm", "warehouse": "WH9", "seed": 1,
    "readers": [{"id": "r1", "antennas": [1, 2, 3, 4]}],
    "portals": [
        {"id": "D1", "door": "WH9-D1", "inner": "WH9-IN", "outer": None, "x": 0,
         "antennas": [{"reader": "r1", "antenna": 1, "side": "outer"},
                      {"reader": "r1", "antenna": 2, "side": "outer"},
                      {"reader": "r1", "antenna": 3, "side": "inner"},
                      {"reader": "r1", "antenna": 4, "side": "inner"}]},
    ],
    "events": [
        {"type": "park", "epc": PARKED_EPC, "portal": "D1", "side": "outer", "from": 10,
         "until": 40, "distance": 2.0},
        {"type": "linger", "epc": FORKLIFT, "portal": "D1", "side": "inner", "from": 50,
         "until": 80, "amplitude": 1.5, "period": 6, "through": 0.6},
    ],
}


def _site(read_model: dict[str, float] | None = None) -> dict[str, Any]:
    raw = copy.deepcopy(SITE)
    if read_model is not None:
        raw["read_model"] = read_model
    return raw


def test_gain_pattern_has_its_beamwidth_and_front_to_back_ratio() -> None:
    model = ReadModel(front_to_back_db=15.0, beamwidth_deg=65.0)
    facing_yard = Antenna(0.0, -0.5, (0.0, -1.0))
    assert gain_db(model, facing_yard, 0.0, -5.0) == 0.0  # on the beam
    half_power = math.radians(65.0 / 2)
    edge = (3 * math.sin(half_power), -0.5 - 3 * math.cos(half_power))
    assert gain_db(model, facing_yard, *edge) == pytest.approx(-3.0)
    assert gain_db(model, facing_yard, 0.0, 4.0) == -15.0  # behind it: the back lobe
    assert gain_db(ReadModel(front_to_back_db=0.0), facing_yard, 0.0, 4.0) == 0.0  # isotropic
    assert gain_db(model, Antenna(0.0, 0.0, None), 5.0, 5.0) == 0.0  # a ceiling zone antenna


def test_portal_antennas_look_away_from_the_wall_and_toward_the_lane() -> None:
    scenario = parse_scenario(_site({"beam_deg": 30.0, "antenna_offset_m": 0.5}))
    layout = antenna_layout(scenario.site, scenario.read_model)
    outer_left, outer_right = layout[("r1", 1)], layout[("r1", 2)]
    inner_left = layout[("r1", 3)]
    assert (outer_left.y, inner_left.y) == (-0.5, 0.5)
    assert outer_left.beam is not None and outer_right.beam is not None
    assert inner_left.beam is not None
    assert outer_left.beam[1] < 0 < inner_left.beam[1]  # into the yard / into the building
    assert outer_left.x < 0 < outer_left.beam[0]  # beside the door, turned toward its centre
    assert outer_right.x > 0 > outer_right.beam[0]
    assert math.degrees(math.atan2(outer_left.beam[0], -outer_left.beam[1])) == pytest.approx(30)


def _mean_rssi_by_side(raw: dict[str, Any], seed: int = 3) -> tuple[float, float, int, int]:
    sim = simulate(parse_scenario(raw), seed)
    site = sim.site
    parked = [r for r in sim.reads if r.epc_hex == PARKED_EPC and 10e6 <= r.time_us <= 40e6]
    by_side = {s: [r.rssi_dbm for r in parked
                   if site.portal("D1").side_of(r.reader_id, r.antenna_id) == s]
               for s in ("outer", "inner")}
    return (statistics.mean(by_side["outer"]), statistics.mean(by_side["inner"] or [-200.0]),
            len(by_side["outer"]), len(by_side["inner"]))


def test_a_tag_in_the_yard_is_far_weaker_on_the_inner_antennas_than_isotropic_allows() -> None:
    quiet = {"multipath_db": -100.0, "rssi_noise_db": 0.5, "range_m": 15.0}
    outer, inner, n_outer, n_inner = _mean_rssi_by_side(_site(quiet))
    assert n_outer > 100 and n_inner > 20
    assert outer - inner > 15  # back lobe (15 dB) plus the longer way round
    iso_outer, iso_inner, _, _ = _mean_rssi_by_side(_site(quiet | {"front_to_back_db": 0.0}))
    assert iso_outer - iso_inner < 7  # what isotropic antennas gave: distance alone
    # at the shipped range only reflections reach the inner antennas, now and then, weakly
    direct = [_mean_rssi_by_side(_site({"multipath_db": -100.0}), seed) for seed in range(6)]
    assert sum(n for *_, n in direct) == 0
    faded = [_mean_rssi_by_side(_site({"multipath_db": -10.0}), seed) for seed in range(6)]
    assert 0 < sum(n for *_, n in faded) < 0.05 * sum(n for *_, n, _ in faded)
    heard = [(out, inner, n) for out, inner, _, n in faded if n]
    pooled = sum(inner * n for _, inner, n in heard) / sum(n for *_, n in heard)
    assert statistics.mean(out for out, _, _ in heard) - pooled > 5


def _positions(event: Parked | Linger, raw: dict[str, Any]) -> list[tuple[float, float, float]]:
    scenario = parse_scenario(raw)
    path = event_path(event, scenario.site)
    assert path is not None
    start, end, where = path
    steps = int((end - start) / 0.05)
    return [(start + i * 0.05, *where(start + i * 0.05)) for i in range(steps + 1)]


@pytest.mark.parametrize("index", [0, 1], ids=["parked", "forklift"])
def test_tags_move_continuously_and_never_end_up_through_the_door(index: int) -> None:
    raw = _site()
    event = parse_scenario(raw).events[index]
    assert isinstance(event, Parked | Linger)
    track = _positions(event, raw)
    steps = [math.dist(a[1:], b[1:]) for a, b in itertools.pairwise(track)]
    assert max(steps) <= 0.05 * 3.0  # no jump: at most a fast walk between samples
    sign = 1 if event.side == "inner" else -1
    first, last = track[0], track[-1]
    assert sign * first[2] >= 5.0 and sign * last[2] >= 5.0  # comes from afar, goes back there
    deepest_through = min(sign * y for _, _, y in track)
    if isinstance(event, Linger):
        assert deepest_through == pytest.approx(-event.through_m, abs=0.05)
        in_door = [t for t, _, y in track if abs(y) < 0.2]
        assert in_door and min(in_door) > event.from_s - 0.01  # not in the door before it works
    else:
        assert deepest_through == pytest.approx(event.distance_m)


def test_forklifts_and_staged_pallets_are_read_on_the_way_in_and_out_but_are_no_passes() -> None:
    sim = simulate(parse_scenario(_site()), 5)
    assert sim.truth == []
    forklift = [r.time_us / 1e6 for r in sim.reads if r.epc_hex == FORKLIFT]
    parked = [r.time_us / 1e6 for r in sim.reads if r.epc_hex == PARKED_EPC]
    assert min(forklift) < 50 and max(forklift) > 80  # heard driving up and driving off
    assert min(parked) < 10 and max(parked) > 40
    assert sim.scenario.duration_s > 80 + 4.0  # the scene lasts until it has driven off


@pytest.mark.parametrize(("read_model", "named"), [
    ({"beamwidth_deg": 0}, "read_model"),
    ({"front_to_back_db": -3}, "read_model.front_to_back_db"),
    ({"beam_width": 60}, "read_model.beam_width"),
])
def test_bad_antenna_settings_are_rejected_naming_the_key(read_model: dict[str, float],
                                                          named: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_site(read_model))
    assert err.value.path == named


def test_linger_side_and_park_approach_are_read_from_the_file() -> None:
    raw = _site()
    raw["events"][0] |= {"approach": 0, "speed": 0.5}
    raw["events"][1] |= {"side": "outer", "speed": 2.0}
    park, linger = parse_scenario(raw).events
    assert isinstance(park, Parked) and (park.approach_m, park.speed_mps) == (0.0, 0.5)
    assert isinstance(linger, Linger) and (linger.side, linger.speed_mps) == ("outer", 2.0)
    track = _positions(park, raw)
    assert {(x, y) for _, x, y in track} == {(0.0, -2.0)}  # approach 0: it is simply there
