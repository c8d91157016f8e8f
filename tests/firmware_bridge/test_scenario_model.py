"""Scenarios: validation that names the key, seeded repeatability, ground truth that matches the
scripted events, a read model that behaves like RF (distance, cross-reads, misses, strays),
and shipped scenario files whose EPCs decode per GS1 TDS."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import epcpy
import pytest

from firmware_bridge.scenario import (
    ReadModel,
    ScenarioError,
    TruePass,
    load_scenario,
    parse_scenario,
    read_probability,
    sgtin96_hex,
    simulate,
    sscc96_hex,
    truth_document,
)

SCENARIOS = Path(__file__).resolve().parents[2] / "firmware_bridge" / "scenarios"

BASE: dict[str, Any] = {
    "name": "t", "warehouse": "WH9", "seed": 4,
    "readers": [{"id": "r1", "antennas": [1, 2]}, {"id": "r2", "antennas": [1, 2]}],
    "portals": [
        {"id": "D1", "door": "WH9-D1", "inner": "WH9-IN", "outer": None, "x": 0,
         "antennas": [{"reader": "r1", "antenna": 1, "side": "outer"},
                      {"reader": "r1", "antenna": 2, "side": "inner"}]},
        {"id": "D2", "door": "WH9-D2", "inner": "WH9-SHIP", "outer": "WH9-YARD", "x": 3.5,
         "antennas": [{"reader": "r2", "antenna": 1, "side": "outer"},
                      {"reader": "r2", "antenna": 2, "side": "inner"}]},
    ],
    "events": [
        {"type": "pass", "epc": "3114F4E4E400000001000000", "portal": "D1",
         "direction": "inbound", "at": 5, "speed": 1.0},
        {"type": "pass", "epc": "3114F4E4E400000002000000", "portal": "D2",
         "direction": "outbound", "at": 9.5, "speed": 1.5},
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(BASE)
    node: Any = raw
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return raw


@pytest.mark.parametrize(("path", "value", "named"), [
    ("events.0.portal", "D9", "events[0].portal"),
    ("events.0.epc", "3114F4E4", "events[0].epc"),
    ("events.1.direction", "sideways", "events[1].direction"),
    ("events.0.speed", -1, "events[0].speed"),
    ("portals.0.antennas.0.antenna", 7, "portals[0].antennas[0]"),
    ("portals.1.antennas.0.reader", "r1", "antennas"),  # r1:1 would cover two portal sides
    ("readers.1.id", "r1", "readers"),
    ("read_model", {"p_max": 2}, "read_model"),
    ("read_model", {"rounds_per_sec": 2}, "read_model.rounds_per_sec"),
    ("warehouse", None, "warehouse"),
    ("start_time", "2024-05-06T08:00:00", "start_time"),
])
def test_invalid_scenarios_are_rejected_naming_the_key(path: str, value: Any, named: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_scenario(_with(path, value))
    assert named in str(err.value)


def test_unreadable_file_is_a_scenario_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("readers: [", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError):
        load_scenario(tmp_path / "missing.yaml")


def test_same_seed_same_reads_other_seed_other_reads() -> None:
    scenario = parse_scenario(BASE)
    first, again, other = simulate(scenario, 7), simulate(scenario, 7), simulate(scenario, 8)
    assert first.reads == again.reads
    assert first.reads != other.reads
    assert first.truth == other.truth  # the truth is the file's, not the read model's
    assert first.reads == sorted(first.reads, key=lambda r: r.time_us)


def test_truth_matches_the_scripted_passes() -> None:
    sim = simulate(parse_scenario(BASE), 1)
    assert sim.truth == [
        TruePass("3114F4E4E400000001000000", "D1", "inbound", None, "WH9-IN", 5_000_000),
        TruePass("3114F4E4E400000002000000", "D2", "outbound", "WH9-SHIP", "WH9-YARD",
                 9_500_000),
    ]
    doc = json.loads(json.dumps(truth_document(sim, 1_000)))
    assert doc["passes"][1]["occurred_at_us"] == 9_501_000
    assert doc["site"]["portals"][1]["antennas"][0] == {"reader_id": "r2", "antenna_id": 1,
                                                       "side": "outer"}


def test_a_pass_is_read_outer_side_first_when_inbound_and_inner_first_when_outbound() -> None:
    sim = simulate(parse_scenario(BASE), 3)
    site = sim.site
    for true_pass in sim.truth:
        portal = site.portal(true_pass.portal_id)
        own = [r for r in sim.reads if r.epc_hex == true_pass.epc_hex
               and portal.side_of(r.reader_id, r.antenna_id) is not None]
        assert len(own) >= 5
        first_side = portal.side_of(own[0].reader_id, own[0].antenna_id)
        last_side = portal.side_of(own[-1].reader_id, own[-1].antenna_id)
        expected = ("outer", "inner") if true_pass.direction == "inbound" else ("inner", "outer")
        assert (first_side, last_side) == expected
        assert abs(min(r.time_us for r in own) - true_pass.time_us) < 6_000_000


def test_read_probability_falls_with_distance() -> None:
    model = ReadModel()
    values = [read_probability(model, d) for d in (0.5, 1.5, 3.0, 5.0, 50.0)]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.9 and values[2] == pytest.approx(model.p_max / 2) and values[-1] == 0


def test_neighbouring_door_cross_reads_and_misses_in_the_noisy_set() -> None:
    scenario = load_scenario(SCENARIOS / "noisy_cross_reads.yaml")
    sim = simulate(scenario, 1)
    site = sim.site
    where = {p.epc_hex: p.portal_id for p in sim.truth}
    cross = [r for r in sim.reads if r.epc_hex in where
             and site.portal(where[r.epc_hex]).side_of(r.reader_id, r.antenna_id) is None]
    assert cross, "a door 3 m away should be read now and then"
    strays = {r.epc_hex for r in sim.reads} - set(where)
    assert len(strays) >= 20  # parked pallets, forklifts and stray tags that never pass
    per_pass = Counter(r.epc_hex for r in sim.reads if r.epc_hex in where)
    assert min(per_pass.values()) < sorted(per_pass.values())[len(per_pass) // 2]


def test_shipped_scenarios_load_and_their_epcs_decode_per_tds() -> None:
    total_passes = 0
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = load_scenario(path)
        sim = simulate(scenario, 0)
        assert sim.reads, path.name
        for epc in {r.epc_hex for r in sim.reads}:
            tag = epcpy.hex_to_tag_encodable(epc)
            assert type(tag).__name__ in {"SSCC", "SGTIN"}, (path.name, epc)
        if path.name.startswith("noisy_"):
            total_passes += len(sim.truth)
    assert total_passes >= 300
    demo = load_scenario(SCENARIOS / "demo_site.yaml")
    assert demo.site.warehouse == "WH1"
    assert {p.id for p in demo.site.portals} == {"DOCK-1", "DOCK-2"}
    assert 24 <= len(simulate(demo, 0).truth) <= 60


def test_epc_encoders_match_the_tds_examples() -> None:
    assert sgtin96_hex("0614141", "812345", 6789, filter_value=3) == "3074257BF7194E4000001A85"
    assert str(epcpy.hex_to_tag_encodable(sscc96_hex("0614141", "1234567890")).epc_uri) == (
        "urn:epc:id:sscc:0614141.1234567890")
    with pytest.raises(ValueError):
        sscc96_hex("0614141", "12")
