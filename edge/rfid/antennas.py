"""AntennaWatch: which antennas of a door or zone have gone quiet while the rest hear tags (pure).

Rule kept here: an antenna is silent when the other antennas of its door (or zone) heard
`silent_after` different tags since it last heard anything — a cut cable or a dead antenna,
not a quiet dock, since a quiet dock leaves every antenna quiet. Memory is bounded: each
antenna remembers at most `silent_after` tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

AntennaKey = tuple[str, int]  # (reader id, antenna id)


class AntennaState(StrEnum):
    UNHEARD = "unheard"  # nothing yet, and its door not busy enough to say more
    OK = "ok"
    SILENT = "silent"


@dataclass(slots=True)
class _Antenna:
    point: str
    heard: int = 0
    others: set[str] = field(default_factory=set)  # tags its door heard since it last heard
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

    def heard(self, key: AntennaKey, epc: str) -> list[tuple[AntennaKey, str]]:
        """Antenna `key` heard `epc`: (antenna, what changed) for antennas that changed."""
        me = self._antennas.get(key)
        if me is None:
            return []
        changed: list[tuple[AntennaKey, str]] = []
        me.heard += 1
        me.others.clear()
        if me.silent:
            me.silent = False
            changed.append((key, f"antenna {key[1]} of reader {key[0]} ({me.point}) hears "
                                 "again"))
        for peer_key, peer in self._peers[key]:
            if peer.silent or len(peer.others) >= self._after:
                continue
            peer.others.add(epc)
            if len(peer.others) >= self._after:
                peer.silent = True
                changed.append((peer_key, (
                    f"antenna {peer_key[1]} of reader {peer_key[0]} ({peer.point}) heard "
                    f"nothing while the other antennas there heard {self._after} tags: a cut "
                    "cable or a dead antenna? Passes through it cannot be told apart")))
        return changed

    def state(self, key: AntennaKey) -> AntennaState:
        antenna = self._antennas[key]
        if antenna.silent:
            return AntennaState.SILENT
        return AntennaState.OK if antenna.heard else AntennaState.UNHEARD

    def reads(self, key: AntennaKey) -> int:
        return self._antennas[key].heard
