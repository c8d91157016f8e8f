"""Scenario vocabulary: the site (readers, portals, zones), what happens, and what a run yields.

Positions are metres on the warehouse floor plan: dock doors sit on the wall y = 0 at their
`x`; y > 0 is inside the building, y < 0 the yard. Times are seconds in the file and
microseconds (`time_us`, from the scenario start) in results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Side = Literal["inner", "outer"]
Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True)
class AntennaRef:
    reader_id: str
    antenna_id: int


@dataclass(frozen=True)
class PortalAntenna:
    """One antenna watching one side of a dock door."""

    reader_id: str
    antenna_id: int
    side: Side


@dataclass(frozen=True)
class Portal:
    """A dock door with an RFID gate: the door location and the locations on either side."""

    id: str
    door_location: str
    inner_location: str | None
    outer_location: str | None
    x: float
    antennas: tuple[PortalAntenna, ...]

    def side_of(self, reader_id: str, antenna_id: int) -> Side | None:
        for a in self.antennas:
            if (a.reader_id, a.antenna_id) == (reader_id, antenna_id):
                return a.side
        return None


@dataclass(frozen=True)
class Zone:
    """An area (receiving, rack aisle) watched by one or more antennas at (x, y)."""

    id: str
    location: str
    x: float
    y: float
    antennas: tuple[AntennaRef, ...]


@dataclass(frozen=True)
class ReaderSpec:
    """A reader by its host-independent id and the antenna ports it uses."""

    id: str
    antenna_ids: tuple[int, ...]


@dataclass(frozen=True)
class Site:
    warehouse: str
    readers: tuple[ReaderSpec, ...]
    portals: tuple[Portal, ...]
    zones: tuple[Zone, ...]

    def portal(self, portal_id: str) -> Portal:
        return next(p for p in self.portals if p.id == portal_id)

    def zone(self, zone_id: str) -> Zone:
        return next(z for z in self.zones if z.id == zone_id)


@dataclass(frozen=True)
class ReadModel:
    """How likely a tag is read and how strong it looks, by distance to the antenna."""

    rounds_per_s: float = 8.0  # inventory rounds per antenna per second
    p_max: float = 0.95  # read probability right at the antenna
    range_m: float = 3.0  # distance where the probability falls to half of p_max
    falloff_m: float = 0.45  # width of that fall (logistic)
    antenna_offset_m: float = 0.5  # gate antennas stand this far either side of the door line
    antenna_height_m: float = 1.2  # height difference between antenna and tag
    rssi_at_1m_dbm: float = -42.0
    path_loss_exponent: float = 2.2
    rssi_noise_db: float = 2.0
    miss_rate: float = 0.0  # extra blanket chance to miss an otherwise good read
    # Portal antennas are circularly polarised patches looking away from the wall into their
    # own side: typical dock-portal patches have a 60-70° half-power beamwidth and a 15-20 dB
    # front-to-back ratio. front_to_back_db 0 makes them isotropic. Zone antennas (ceiling)
    # hear all around alike. A tag off the beam is read as if it were farther away.
    front_to_back_db: float = 15.0
    beamwidth_deg: float = 65.0
    beam_deg: float = 30.0  # boresight of antennas beside the door turned toward its centre line
    # Reflections (trailer walls, dock leveller, racking) reach every antenna from in front,
    # this far below a tag on the beam at the same distance, Rayleigh-faded (random per read):
    # how a tag behind an antenna or at the next door gets read now and then.
    multipath_db: float = -10.0


@dataclass(frozen=True)
class PalletPass:
    """A pallet crossing a dock door: at `at_s` it is on the door line, moving `speed_mps`."""

    epc_hex: str
    portal_id: str
    direction: Direction
    at_s: float
    speed_mps: float = 1.2
    approach_m: float = 5.0
    lateral_m: float = 0.0


@dataclass(frozen=True)
class Parked:
    """A staged pallet near a door: brought along its side by `from_s`, standing still until
    `until_s`, then taken away the same way; seen, but it never goes through the door."""

    epc_hex: str
    portal_id: str
    side: Side
    from_s: float
    until_s: float
    distance_m: float = 2.0
    lateral_m: float = 0.0
    approach_m: float = 5.0  # brought from this much farther away, and taken back there
    speed_mps: float = 1.0


@dataclass(frozen=True)
class Linger:
    """A forklift tag working in the door: it drives up on its side by `from_s`, goes back
    and forth between `amplitude_m` deep on its side and `through_m` past the door line,
    and drives off the way it came after `until_s`."""

    epc_hex: str
    portal_id: str
    from_s: float
    until_s: float
    amplitude_m: float = 1.5
    period_s: float = 8.0
    side: Side = "inner"
    through_m: float = 0.5
    approach_m: float = 5.0
    speed_mps: float = 1.0


@dataclass(frozen=True)
class Dwell:
    """A tag sitting in a zone (receiving area, rack) near the zone's antennas."""

    epc_hex: str
    zone_id: str
    from_s: float
    until_s: float
    distance_m: float = 1.5


@dataclass(frozen=True)
class Stray:
    """A tag somewhere in range of one antenna, read now and then at low RSSI."""

    epc_hex: str
    reader_id: str
    antenna_id: int
    from_s: float
    until_s: float
    rate_hz: float = 0.3
    rssi_dbm: float = -72.0


Event = PalletPass | Parked | Linger | Dwell | Stray


@dataclass(frozen=True)
class Scenario:
    name: str
    site: Site
    events: tuple[Event, ...]
    read_model: ReadModel
    seed: int
    start_time_us: int | None  # epoch of time 0, when the file fixes one
    duration_s: float


@dataclass(frozen=True)
class SimRead:
    time_us: int
    reader_id: str
    antenna_id: int
    epc_hex: str
    rssi_dbm: float


@dataclass(frozen=True)
class TruePass:
    """Ground truth: this unit really went through this portal, this way, at this time."""

    epc_hex: str
    portal_id: str
    direction: Direction
    from_location: str | None
    to_location: str | None
    time_us: int


@dataclass(frozen=True)
class Simulation:
    scenario: Scenario
    seed: int
    reads: list[SimRead]
    truth: list[TruePass]

    @property
    def site(self) -> Site:
        return self.scenario.site

    @property
    def duration_us(self) -> int:
        return int(self.scenario.duration_s * 1_000_000)
