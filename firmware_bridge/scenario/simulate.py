"""The read model: which antenna reads which tag when, at what RSSI, from a scenario and a seed.

Geometry is the floor plan of model.py. Each antenna runs inventory rounds; in every round a
tag in the field is read with a probability that falls off logistically with distance, so
neighbouring doors cross-read now and then and a fast pallet can be missed. Pure: the same
scenario and seed give the same reads.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator

from firmware_bridge.scenario.model import (
    Dwell,
    Event,
    Linger,
    PalletPass,
    Parked,
    ReadModel,
    Scenario,
    SimRead,
    Simulation,
    Site,
    Stray,
    TruePass,
)

Point = tuple[float, float]
_ANTENNA_SPACING_M = 1.5  # antennas of one side stand on the door posts, this far apart


def antenna_positions(site: Site, model: ReadModel) -> dict[tuple[str, int], Point]:
    """Where each portal/zone antenna stands on the floor plan."""
    out: dict[tuple[str, int], Point] = {}
    for portal in site.portals:
        for side, y in (("outer", -model.antenna_offset_m), ("inner", model.antenna_offset_m)):
            group = [a for a in portal.antennas if a.side == side]
            for k, a in enumerate(group):
                dx = (k - (len(group) - 1) / 2) * _ANTENNA_SPACING_M
                out[(a.reader_id, a.antenna_id)] = (portal.x + dx, y)
    for zone in site.zones:
        for k, z in enumerate(zone.antennas):
            dx = (k - (len(zone.antennas) - 1) / 2) * _ANTENNA_SPACING_M
            out[(z.reader_id, z.antenna_id)] = (zone.x + dx, zone.y)
    return out


def read_probability(model: ReadModel, distance_m: float) -> float:
    """Chance that one inventory round reads a tag at this distance."""
    z = (distance_m - model.range_m) / model.falloff_m
    if z > 40:
        return 0.0
    return model.p_max * (1.0 - model.miss_rate) / (1.0 + math.exp(z))


def rssi_dbm(model: ReadModel, distance_m: float, rng: random.Random) -> float:
    """Log-distance path loss plus Gaussian noise, rounded to what a reader reports (1 dB)."""
    loss = 10.0 * model.path_loss_exponent * math.log10(max(distance_m, 0.3))
    return float(round(model.rssi_at_1m_dbm - loss + rng.gauss(0.0, model.rssi_noise_db)))


def _track(event: Event, site: Site) -> tuple[float, float, Callable[[float], Point]] | None:
    """The time window of a moving/standing tag and its position over time."""
    if isinstance(event, PalletPass):
        door = site.portal(event.portal_id).x + event.lateral_m
        sign = 1.0 if event.direction == "inbound" else -1.0
        half = event.approach_m / event.speed_mps
        speed, at = event.speed_mps, event.at_s
        return at - half, at + half, lambda t: (door, sign * speed * (t - at))
    if isinstance(event, Parked):
        y = event.distance_m if event.side == "inner" else -event.distance_m
        spot = (site.portal(event.portal_id).x + event.lateral_m, y)
        return event.from_s, event.until_s, lambda t: spot
    if isinstance(event, Linger):
        x, amp, period, t0 = (site.portal(event.portal_id).x, event.amplitude_m,
                              event.period_s, event.from_s)
        return event.from_s, event.until_s, lambda t: (
            x, amp * math.sin(2 * math.pi * (t - t0) / period))
    if isinstance(event, Dwell):
        zone = site.zone(event.zone_id)
        zone_spot = (zone.x + event.distance_m, zone.y)
        return event.from_s, event.until_s, lambda t: zone_spot
    return None


def _rounds(start: float, end: float, rate: float, phase: float) -> Iterator[float]:
    period = 1.0 / rate
    k = math.ceil((start - phase) / period)
    t = phase + k * period
    while t <= end:
        yield t
        t += period


def _geometric_reads(event: Event, scenario: Scenario, antennas: dict[tuple[str, int], Point],
                     rng: random.Random) -> Iterator[SimRead]:
    track = _track(event, scenario.site)
    if track is None:
        return
    start, end, where = track
    model = scenario.read_model
    height2 = model.antenna_height_m ** 2
    for index, ((reader_id, antenna_id), (ax, ay)) in enumerate(sorted(antennas.items())):
        phase = (index % 8) / (8 * model.rounds_per_s)
        for t in _rounds(max(start, 0.0), min(end, scenario.duration_s), model.rounds_per_s,
                         phase):
            x, y = where(t)
            distance = math.sqrt((x - ax) ** 2 + (y - ay) ** 2 + height2)
            if rng.random() < read_probability(model, distance):
                yield SimRead(int(t * 1_000_000), reader_id, antenna_id, event.epc_hex,
                              rssi_dbm(model, distance, rng))


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
    antennas = antenna_positions(scenario.site, scenario.read_model)
    reads: list[SimRead] = []
    for event in scenario.events:
        if isinstance(event, Stray):
            reads.extend(_stray_reads(event, scenario, rng))
        else:
            reads.extend(_geometric_reads(event, scenario, antennas, rng))
    reads.sort(key=lambda r: (r.time_us, r.reader_id, r.antenna_id, r.epc_hex))
    return Simulation(scenario, seed, reads, ground_truth(scenario))
