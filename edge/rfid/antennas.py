"""AntennaWatch: which antennas of a door or zone have gone quiet while the rest hear tags (pure).

Rule kept here: an antenna is silent when the other antennas of its door (or zone) heard
`silent_after` different tags since it last heard anything — a cut cable or a dead antenna,
not a quiet dock, since a quiet dock leaves every antenna quiet. An antenna that has heard its
door's location tag is also silent once the others heard that tag MARKER_AFTER times while it
heard nothing (a dead antenna found with no pallet passing). Memory is bounded: each antenna
remembers at most `silent_after` tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

AntennaKey = tuple[str, int]  # (reader id, antenna id)
MARKER_AFTER = 100  # location-tag reads by the other antennas (a fixed tag: seconds' worth)


class AntennaState(StrEnum):
    UNHEARD = "unheard"  # nothing yet, and its door not busy enough to say more
    OK = "ok"
    SILENT = "silent"


@dataclass(slots=True)
class _Antenna:
    point: str
    heard: int = 0
    others: set[str] = field(default_factory=set)  # tags its door heard since it last heard
    marker: bool = False  # it has heard a location tag
    marker_misses: int = 0  # location-tag reads by the others since it last heard
    silent: bool = False


class AntennaWatch:
    """Feed every read of a mapped antenna; `heard` returns a sentence when one changes state."""

    def __init__(self, points: Mapping[AntennaKey, str], silent_after: int) -> None:
        self._after = silent_after
        self._antennas = {key: _Antenna(point) for key, point in points.items()}
        self._peers: dict[AntennaKey, list[tuple[AntennaKey, _Antenna]]] = {
            key: [(k, a) for k, a in self._antennas.items() if a.point == point and k != key]
            for key, point in points.items()
        }

    def heard(self, key: AntennaKey, epc: str, marker: bool = False
              ) -> list[tuple[AntennaKey, str]]:
        """Antenna `key` heard `epc` (a location tag when `marker`): (antenna, what changed)
        for the antennas whose state changed."""
        me = self._antennas.get(key)
        if me is None:
            return []
        changed: list[tuple[AntennaKey, str]] = []
        me.heard += 1
        me.others.clear()
        me.marker_misses = 0
        me.marker = me.marker or marker
        if me.silent:
            me.silent = False
            changed.append((key, f"antenna {key[1]} of reader {key[0]} ({me.point}) hears "
                                 "again"))
        for peer_key, peer in self._peers[key]:
            if peer.silent:
                continue
            if len(peer.others) < self._after:
                peer.others.add(epc)
            if marker and peer.marker:
                peer.marker_misses += 1
            if len(peer.others) >= self._after or peer.marker_misses >= MARKER_AFTER:
                peer.silent = True
                what = (f"{self._after} tags" if len(peer.others) >= self._after
                        else f"its location tag {MARKER_AFTER} times")
                changed.append((peer_key, (
                    f"antenna {peer_key[1]} of reader {peer_key[0]} ({peer.point}) heard "
                    f"nothing while the other antennas there heard {what}: a cut cable or a "
                    "dead antenna? Passes through it cannot be told apart")))
        return changed

    def state(self, key: AntennaKey) -> AntennaState:
        antenna = self._antennas[key]
        if antenna.silent:
            return AntennaState.SILENT
        return AntennaState.OK if antenna.heard else AntennaState.UNHEARD

    def reads(self, key: AntennaKey) -> int:
        return self._antennas[key].heard
