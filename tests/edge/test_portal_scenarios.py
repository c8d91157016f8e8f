"""The portal logic on the LLRP emulator's noisy scenarios (missed reads, cross-reads between
doors, parked pallets, lingering forklifts, stray tags), scored against their ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.portal import PortalAntenna, PortalConfig, PortalPass, PortalsConfig, PortalTracker
from edge.reads import TagRead
from firmware_bridge.scenario import Simulation, load_scenario, simulate

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "firmware_bridge" / "scenarios")
                   .glob("noisy_*.yaml"))
EPOCH = 1_714_982_400_000_000


def portals_of(sim: Simulation) -> PortalsConfig:
    return PortalsConfig(
        portals=tuple(PortalConfig(p.id, p.door_location, p.inner_location, p.outer_location)
                      for p in sim.site.portals),
        antennas=tuple(PortalAntenna(a.reader_id, a.antenna_id, p.id, a.side)
                       for p in sim.site.portals for a in p.antennas),
    )


def moves_of(sim: Simulation) -> list[PortalPass]:
    tracker = PortalTracker(portals_of(sim))
    out: list[PortalPass] = []
    for r in sim.reads:
        out += tracker.feed(TagRead(r.epc_hex, r.reader_id, r.antenna_id, r.rssi_dbm,
                                    EPOCH + r.time_us))
    return out + tracker.flush()


@pytest.mark.parametrize("seed", [11, 12])
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_noisy_scenario_moves_match_the_ground_truth(path: Path, seed: int) -> None:
    sim = simulate(load_scenario(path), seed=seed)
    moves = moves_of(sim)
    unmatched = list(moves)
    recalled = wrong_way = 0
    for truth in sim.truth:
        near = [m for m in unmatched if (m.epc_hex, m.portal_id) == (truth.epc_hex, truth.portal_id)
                and abs(m.crossed_us - EPOCH - truth.time_us) <= 6_000_000]
        if near:
            unmatched.remove(near[0])
            ok = (near[0].direction, near[0].from_location, near[0].to_location) == (
                truth.direction, truth.from_location, truth.to_location)
            recalled += ok
            wrong_way += not ok
    assert len(sim.truth) >= 150
    assert wrong_way == 0
    # the bench's targets (recall >= 99.9 %, phantoms <= 0.1 %) over 10 seeds; on one seed
    # of 150-200 passes that leaves room for at most one miss and no phantom
    assert recalled >= len(sim.truth) - 1, f"recalled {recalled} of {len(sim.truth)}"
    assert unmatched == [], [(m.epc_hex, m.portal_id, m.direction) for m in unmatched]
