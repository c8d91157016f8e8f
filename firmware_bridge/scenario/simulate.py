"""The read model: which antenna reads which tag when, at what RSSI, from a scenario and a seed.

Geometry is the floor plan of model.py, antennas and tag paths are geometry.py's. Each antenna
runs inventory rounds; in every round a tag in the field is read with a probability that falls
off logistically with distance and with the angle off the antenna's beam, so neighbouring doors
cross-read now and then and a fast pallet can be missed. Pure: the same scenario and seed give
the same reads.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

from firmware_bridge.scenario.geometry import Antenna, Point, antenna_layout, event_path, gain_db
from firmware_bridge.scenario.model import (
    Event,
    PalletPass,
    ReadModel,
    Scenario,
    SimRead,
    Simulation,
    Site,
    Stray,
    TruePass,
)


def antenna_positions(site: Site, model: ReadModel) -> dict[tuple[str, int], Point]:
    """Where each portal/zone antenna stands on the floor plan."""
    return {ref: (a.x, a.y) for ref, a in antenna_layout(site, model).items()}


def read_probability(model: ReadModel, distance_m: float, gain: float = 0.0) -> float:
    """Chance that one inventory round reads a tag at this distance, `gain` dB off the
    antenna's best: the tag gets the power it would get that much farther away on the beam."""
    if gain:
        distance_m *= 10.0 ** (-gain / (10.0 * model.path_loss_exponent))
    z = (distance_m - model.range_m) / model.falloff_m
    if z > 40:
        return 0.0
    return model.p_max * (1.0 - model.miss_rate) / (1.0 + math.exp(z))


def rssi_dbm(model: ReadModel, distance_m: float, rng: random.Random, gain: float = 0.0) -> float:
    """Log-distance path loss, antenna gain and Gaussian noise, in whole dBm as readers report."""
    loss = 10.0 * model.path_loss_exponent * math.log10(max(distance_m, 0.3))
    return float(round(model.rssi_at_1m_dbm - loss + gain + rng.gauss(0.0, model.rssi_noise_db)))


def _faded(gain: float, reflected: float, rng: random.Random) -> float:
    """The direct path's gain plus a Rayleigh-faded reflection (exponential power), in dB."""
    return 10.0 * math.log10(10.0 ** (gain / 10.0) + reflected * rng.expovariate(1.0))


def _rounds(start: float, end: float, rate: float, phase: float) -> Iterator[float]:
    period = 1.0 / rate
    k = math.ceil((start - phase) / period)
    t = phase + k * period
    while t <= end:
        yield t
        t += period


def _geometric_reads(event: Event, scenario: Scenario, antennas: dict[tuple[str, int], Antenna],
                     rng: random.Random) -> Iterator[SimRead]:
    path = event_path(event, scenario.site)
    if path is None:
        return
    start, end, where = path
    model = scenario.read_model
    height2 = model.antenna_height_m ** 2
    reflected = 10.0 ** (model.multipath_db / 10.0)
    for index, ((reader_id, antenna_id), antenna) in enumerate(sorted(antennas.items())):
        phase = (index % 8) / (8 * model.rounds_per_s)
        for t in _rounds(max(start, 0.0), min(end, scenario.duration_s), model.rounds_per_s,
                         phase):
            x, y = where(t)
            distance = math.sqrt((x - antenna.x) ** 2 + (y - antenna.y) ** 2 + height2)
            gain = _faded(gain_db(model, antenna, x, y), reflected, rng)
            if rng.random() < read_probability(model, distance, gain):
                yield SimRead(int(t * 1_000_000), reader_id, antenna_id, event.epc_hex,
                              rssi_dbm(model, distance, rng, gain))


def _stray_reads(event: Stray, scenario: Scenario, rng: random.Random) -> Iterator[SimRead]:
    if event.rate_hz <= 0:
        return
    t = event.from_s + rng.expovariate(event.rate_hz)
    end = min(event.until_s, scenario.duration_s)
    while t < end:
        rssi = float(round(event.rssi_dbm + rng.gauss(0.0, scenario.read_model.rssi_noise_db)))
        yield SimRead(int(t * 1_000_000), event.reader_id, event.antenna_id, event.epc_hex, rssi)
        t += rng.expovariate(event.rate_hz)


def ground_truth(scenario: Scenario) -> list[TruePass]:
    """Every pallet pass of the scenario, as the edge should report it."""
    out = []
    for event in scenario.events:
        if isinstance(event, PalletPass):
            portal = scenario.site.portal(event.portal_id)
            inside, outside = portal.inner_location, portal.outer_location
            origin, target = ((outside, inside) if event.direction == "inbound"
                              else (inside, outside))
            out.append(TruePass(event.epc_hex, event.portal_id, event.direction, origin, target,
                                int(event.at_s * 1_000_000)))
    return sorted(out, key=lambda p: (p.time_us, p.epc_hex))


def simulate(scenario: Scenario, seed: int) -> Simulation:
    """All reads of one run, sorted by time, with the ground truth."""
    rng = random.Random(seed)
    antennas = antenna_layout(scenario.site, scenario.read_model)
    reads: list[SimRead] = []
    for event in scenario.events:
        if isinstance(event, Stray):
            reads.extend(_stray_reads(event, scenario, rng))
        else:
            reads.extend(_geometric_reads(event, scenario, antennas, rng))
    reads.sort(key=lambda r: (r.time_us, r.reader_id, r.antenna_id, r.epc_hex))
    return Simulation(scenario, seed, reads, ground_truth(scenario))
