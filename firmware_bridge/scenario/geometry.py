"""Where antennas stand and look, how much they hear off their beam, and where tags move.

Rule kept here: every tag moves continuously (pallets, forklifts and staged pallets drive in
and out along a path; nothing appears or vanishes in the door), and a portal antenna is a
directional patch whose gain falls off its beam down to the front-to-back ratio.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from firmware_bridge.scenario.model import (
    Dwell,
    Event,
    Linger,
    PalletPass,
    Parked,
    ReadModel,
    Site,
)

Point = tuple[float, float]
Path = Callable[[float], Point]
ANTENNA_SPACING_M = 1.5  # antennas of one side stand on the door posts, this far apart


@dataclass(frozen=True, slots=True)
class Antenna:
    """An antenna on the floor plan; `beam` is its boresight (unit vector), None: it looks
    straight down from the ceiling (a zone antenna) and hears all around alike."""

    x: float
    y: float
    beam: Point | None


def antenna_layout(site: Site, model: ReadModel) -> dict[tuple[str, int], Antenna]:
    """Portal antennas stand `antenna_offset_m` either side of the door line and look away
    from the wall into their own side (outer: the yard, inner: the building), turned
    `beam_deg` toward the door's centre line when they stand beside it. Zone antennas hang
    from the ceiling over the zone."""
    out: dict[tuple[str, int], Antenna] = {}
    turn = math.radians(model.beam_deg)
    for portal in site.portals:
        for side, away in (("outer", -1.0), ("inner", 1.0)):
            group = [a for a in portal.antennas if a.side == side]
            for k, a in enumerate(group):
                dx = (k - (len(group) - 1) / 2) * ANTENNA_SPACING_M
                toward_centre = -math.copysign(1.0, dx) if dx else 0.0
                beam = (toward_centre * math.sin(turn), away * math.cos(turn))
                out[(a.reader_id, a.antenna_id)] = Antenna(
                    portal.x + dx, away * model.antenna_offset_m, beam)
    for zone in site.zones:
        for k, z in enumerate(zone.antennas):
            dx = (k - (len(zone.antennas) - 1) / 2) * ANTENNA_SPACING_M
            out[(z.reader_id, z.antenna_id)] = Antenna(zone.x + dx, zone.y, None)
    return out


def gain_db(model: ReadModel, antenna: Antenna, x: float, y: float) -> float:
    """Relative gain toward (x, y): the parabolic pattern of 3GPP TR 38.901 Table 7.3-1,
    -min(12 (φ/φ3dB)², front-to-back), with φ the angle off boresight in the floor plane.
    Portal patch antennas: φ3dB ≈ 60-70°, front-to-back ≈ 15-20 dB."""
    if antenna.beam is None or model.front_to_back_db <= 0:
        return 0.0
    dx, dy = x - antenna.x, y - antenna.y
    norm = math.hypot(dx, dy)
    if norm < 1e-9:
        return 0.0
    cos_phi = (dx * antenna.beam[0] + dy * antenna.beam[1]) / norm
    phi = math.degrees(math.acos(max(-1.0, min(1.0, cos_phi))))
    return -min(12.0 * (phi / model.beamwidth_deg) ** 2, model.front_to_back_db)


def _drive(start: Point, end: Point, t0: float, t1: float) -> Path:
    """Straight from start (at t0) to end (at t1)."""
    span = max(t1 - t0, 1e-9)

    def where(t: float) -> Point:
        f = min(max((t - t0) / span, 0.0), 1.0)
        return start[0] + (end[0] - start[0]) * f, start[1] + (end[1] - start[1]) * f
    return where


def _park_path(event: Parked, site: Site) -> tuple[float, float, Path]:
    """Brought to its spot along its side, left there, taken away the same way."""
    x = site.portal(event.portal_id).x + event.lateral_m
    sign = 1.0 if event.side == "inner" else -1.0
    spot, afar = (x, sign * event.distance_m), (x, sign * (event.distance_m + event.approach_m))
    travel = event.approach_m / event.speed_mps
    come = _drive(afar, spot, event.from_s - travel, event.from_s)
    go = _drive(spot, afar, event.until_s, event.until_s + travel)
    return event.from_s - travel, event.until_s + travel, (
        lambda t: come(t) if t <= event.from_s else go(t))


def _linger_path(event: Linger, site: Site) -> tuple[float, float, Path]:
    """A forklift drives up on its side, works in the door (from `amplitude_m` deep on its
    side to `through_m` past the door line, and back, every `period_s`), then drives off the
    way it came: it never ends up on the other side, so it never passes."""
    x = site.portal(event.portal_id).x
    sign = 1.0 if event.side == "inner" else -1.0
    mid, half = (event.amplitude_m - event.through_m) / 2, (event.amplitude_m + event.through_m) / 2
    far = sign * max(event.approach_m, event.amplitude_m)
    travel = abs(far - sign * event.amplitude_m) / event.speed_mps
    t0, t1 = event.from_s, event.until_s

    def working(t: float) -> float:
        return sign * (mid + half * math.cos(2 * math.pi * (t - t0) / event.period_s))
    come = _drive((x, far), (x, working(t0)), t0 - travel, t0)
    leave_y = working(t1)
    away = abs(far - leave_y) / event.speed_mps
    go = _drive((x, leave_y), (x, far), t1, t1 + away)

    def where(t: float) -> Point:
        if t <= t0:
            return come(t)
        if t >= t1:
            return go(t)
        return x, working(t)
    return t0 - travel, t1 + away, where


def event_path(event: Event, site: Site) -> tuple[float, float, Path] | None:
    """The time window in which a tag is on the floor plan, and its position over time."""
    if isinstance(event, PalletPass):
        door = site.portal(event.portal_id).x + event.lateral_m
        sign = 1.0 if event.direction == "inbound" else -1.0
        half = event.approach_m / event.speed_mps
        speed, at = event.speed_mps, event.at_s
        return at - half, at + half, lambda t: (door, sign * speed * (t - at))
    if isinstance(event, Parked):
        return _park_path(event, site)
    if isinstance(event, Linger):
        return _linger_path(event, site)
    if isinstance(event, Dwell):
        zone = site.zone(event.zone_id)
        zone_spot = (zone.x + event.distance_m, zone.y)
        return event.from_s, event.until_s, lambda t: zone_spot
    return None
