"""Settings of the portal and zone logic: which antenna watches what, and the tuning knobs.

Rule kept here: every threshold the logic uses is a field with a default that works on the
emulator's realistic dock-door scenarios; nothing is hard-coded in the trackers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Side = Literal["inner", "outer"]
Direction = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class PortalParams:
    """How a dock-door portal turns reads into passes (times in µs, levels in dBm / dB)."""

    smoothing_us: int = 500_000  # time constant of each side's smoothed RSSI
    decay_db_per_s: float = 12.0  # an unheard side's level fades this fast
    floor_dbm: float = -100.0  # level of a side never heard
    lead_margin_db: float = 4.0  # a side leads when its level beats the other side's by this
    min_side_reads: int = 3  # reads a side needs (since the last lead change) to take the lead
    min_swing_db: float = 10.0  # from-side margin + to-side margin a crossing needs
    margin_cap_db: float = 10.0  # each side's margin counts at most this much in the swing
    balance_db: float = 12.0  # the two sides' peak levels of a crossing differ at most this
    whole_max_us: int = 6_000_000  # a presence this short with no clear lead change is judged
    whole_min_reads: int = 1  # ... whole (power-weighted mean time per side), with this many
    whole_min_total: int = 4  # ... reads on each side and this many in all,
    whole_min_separation: float = 0.2  # ... the sides' mean times this far apart (share),
    whole_min_order: float = 0.85  # ... and this share of read pairs in first-side-first order
    settle_us: int = 20_000_000  # a crossing still in range is confirmed after this long
    gap_us: int = 3_000_000  # silence that ends a tag's presence at the portal
    dedup_us: int = 10_000_000  # same tag, portal and direction within this: one pass
    max_transit_us: int = 10_000_000  # the old side must have led within this before a switch
    # a tag heard on one side this long before its lead changed was staged there unless the
    # other side then heard it as well: the slowest pallet (0.5 m/s) crosses an antenna's ~6 m
    # field in 12 s
    stage_us: int = 12_000_000
    min_peak_dbm: float = -85.0  # a pass whose strongest smoothed level is weaker is a stray
    cross_window_us: int = 4_000_000  # reads at another door this close in time compete
    # pallets: tags whose lead changed to the same side this close in time, and first heard
    # this close to each other, move together as soon as the pallet left the door, no sooner
    # than pallet_hold_us after their lead changed (alone_hold_us for a tag alone: a forklift
    # nosing through the door turns back within moments)
    pallet_us: int = 1_000_000
    arrive_us: int = 3_000_000
    pallet_hold_us: int = 1_500_000
    alone_hold_us: int = 5_000_000
    reflect_db: float = 15.0  # a read this much weaker than the tag's strongest: a reflection
    back_slack_us: int = 300_000  # the side left may still hear it well this long after
    # the new side lost the tag: unheard for gone_us once it faded fade_db / 2 below its peak
    # there (lost_us when it was last heard near its peak), and for at least gone_reads of its
    # usual intervals between reads there (a tag read rarely is not gone after a short gap)
    gone_us: int = 400_000
    lost_us: int = 1_200_000
    gone_reads: float = 4.0
    fade_db: float = 8.0
    # a pallet of tags first heard within mates_us of each other (pallet-mates arrive together;
    # a forklift lingering in the door was there long before) has also moved on when the side
    # it came from has not heard it at all for quiet_us since the lead changed, and since then
    # heard it only rival_db or more below the new side's peak: it went beyond that antenna's
    # back lobe. A forklift peeking through the door stays near the door plane, heard on both
    # sides. A tag alone waits alone_quiet_us for that silence (nothing to pool with)
    quiet_us: int = 2_000_000
    mates_us: int = 1_500_000
    alone_quiet_us: int = 5_000_000
    rival_db: float = 6.0
    # silence that ends a presence already longer than stage_us (a staged or dwelling pallet
    # is read in bursts, several seconds apart)
    dwell_gap_us: int = 12_000_000
    # a tag's own crossing from a handful of reads (sparse_reads or fewer on a side) goes the
    # way of min_mates pallet-mates first heard within arrive_us of it, each read outweigh x
    # as often, that moved the other way (decided within mates_keep_us)
    sparse_reads: int = 5
    min_mates: int = 2
    outweigh: float = 3.0
    mates_keep_us: int = 30_000_000
    ride_us: int = 1_500_000  # a tag heard only from this long before a pallet to this long
    # after it rides on it, once unheard for ride_quiet_us (its own reads had their say),
    ride_quiet_us: int = 3_000_000
    ride_db: float = 8.0  # ... if this much weaker than the pallet (badly oriented)


@dataclass(frozen=True, slots=True)
class PortalConfig:
    """One dock door: its own location, and the locations on either side of it."""

    portal_id: str
    door: str
    inside: str | None  # None: the door opens onto the world outside the ledger (a yard)
    outside: str | None
    params: PortalParams = field(default_factory=PortalParams)

    def __post_init__(self) -> None:
        if self.inside is None and self.outside is None:
            raise ValueError(f"portal {self.portal_id}: inside and outside are both empty")


@dataclass(frozen=True, slots=True)
class PortalAntenna:
    """An antenna of a reader looking at one side of a portal."""

    reader_id: str
    antenna_id: int
    portal_id: str
    side: Side


@dataclass(frozen=True, slots=True)
class PortalsConfig:
    """All portals of a gateway and the antennas that watch them."""

    portals: tuple[PortalConfig, ...]
    antennas: tuple[PortalAntenna, ...]

    def __post_init__(self) -> None:
        ids = [p.portal_id for p in self.portals]
        if len(set(ids)) != len(ids):
            raise ValueError(f"portal ids repeat: {ids}")
        seen: set[tuple[str, int]] = set()
        for ant in self.antennas:
            if ant.portal_id not in ids:
                raise ValueError(f"antenna {ant.reader_id}/{ant.antenna_id} names unknown "
                                 f"portal {ant.portal_id!r}")
            if ant.side not in ("inner", "outer"):
                raise ValueError(f"antenna side must be inner or outer, not {ant.side!r}")
            key = (ant.reader_id, ant.antenna_id)
            if key in seen:
                raise ValueError(f"antenna {key[0]}/{key[1]} is mapped twice")
            seen.add(key)


@dataclass(frozen=True, slots=True)
class ZoneParams:
    """How an area-watching antenna set turns reads into arrive / move / depart."""

    window: int = 12  # reads per (tag, zone) kept for the mean RSSI
    min_reads: int = 3  # reads in a zone before a tag can arrive there or move there
    hysteresis_db: float = 6.0  # a new zone must beat the current one by this (mean dB)
    move_dwell_us: int = 2_000_000  # ... continuously for this long before the tag moves
    stale_us: int = 5_000_000  # a zone not heard for this long no longer counts for the tag
    departure_us: int = 30_000_000  # a tag heard nowhere for this long has departed


@dataclass(frozen=True, slots=True)
class ZoneAntenna:
    """An antenna of a reader watching one zone (an area, not a door)."""

    reader_id: str
    antenna_id: int
    zone_id: str


@dataclass(frozen=True, slots=True)
class ZoneConfig:
    zone_id: str
    location: str


@dataclass(frozen=True, slots=True)
class ZonesConfig:
    zones: tuple[ZoneConfig, ...]
    antennas: tuple[ZoneAntenna, ...]
    params: ZoneParams = field(default_factory=ZoneParams)
