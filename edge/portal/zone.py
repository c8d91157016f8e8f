"""Zone presence: tags arrive in, move between and depart from areas watched by antennas.

Rule kept here: a tag is where its mean RSSI is strongest, but it only moves when a new zone
beats its current one by a margin for a while (hysteresis), and departs only after a long
silence; like EdgeX app-rfid-llrp-inventory's mobility profile, time comes from the reads.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Literal

from edge.portal.config import ZonesConfig
from edge.reads import TagRead

_SWEEP_US = 1_000_000
ZoneEvent = Literal["arrive", "move", "depart"]


@dataclass(frozen=True, slots=True)
class ZoneMove:
    """A tag changed zone: arrived (from nowhere), moved, or departed (to nowhere)."""

    epc_hex: str
    kind: ZoneEvent
    from_zone: str | None
    to_zone: str | None
    from_location: str | None
    to_location: str | None
    time_us: int
    confidence: float
    reads: int


class _Seen:
    __slots__ = ("last_us", "rssi")

    def __init__(self, window: int) -> None:
        self.rssi: deque[float] = deque(maxlen=window)
        self.last_us = 0

    def mean(self) -> float:
        return sum(self.rssi) / len(self.rssi)


class _Tag:
    __slots__ = ("candidate", "candidate_us", "last_us", "reads", "where", "zones")

    def __init__(self) -> None:
        self.zones: dict[str, _Seen] = {}
        self.where: str | None = None
        self.candidate: str | None = None
        self.candidate_us = 0
        self.last_us = 0
        self.reads = 0


class ZoneTracker:
    """Feeds reads (time order per reader); returns zone changes as they become certain."""

    def __init__(self, config: ZonesConfig) -> None:
        self._params = config.params
        self._location = {z.zone_id: z.location for z in config.zones}
        self._points = {(a.reader_id, a.antenna_id): a.zone_id for a in config.antennas}
        self._tags: dict[str, _Tag] = {}
        self._now = 0
        self._next_sweep = 0
        self.unmapped_reads = 0

    def feed(self, read: TagRead) -> list[ZoneMove]:
        zone = self._points.get((read.reader_id, read.antenna_id))
        if zone is None:
            self.unmapped_reads += 1
            return []
        t = read.time_us
        out = self.advance(t) if t >= self._next_sweep else []
        self._now = max(self._now, t)
        tag = self._tags.get(read.epc_hex)
        if tag is None:
            tag = self._tags[read.epc_hex] = _Tag()
        seen = tag.zones.get(zone)
        if seen is None:
            seen = tag.zones[zone] = _Seen(self._params.window)
        seen.rssi.append(read.rssi_dbm)
        seen.last_us = max(seen.last_us, t)
        tag.last_us = max(tag.last_us, t)
        tag.reads += read.seen_count
        move = self._place(read.epc_hex, tag, t)
        if move is not None:
            out.append(move)
        return out

    def advance(self, now_us: int) -> list[ZoneMove]:
        """Read time moved on: tags silent past the departure timeout depart."""
        self._now = max(self._now, now_us)
        self._next_sweep = self._now + _SWEEP_US
        out = []
        limit = self._params.departure_us
        for epc in [e for e, tag in self._tags.items() if self._now - tag.last_us > limit]:
            tag = self._tags.pop(epc)
            if tag.where is not None:
                out.append(self._move(epc, tag, "depart", None, tag.last_us + limit, 0.9))
        return out

    def _place(self, epc: str, tag: _Tag, t: int) -> ZoneMove | None:
        p = self._params
        live = {z: s.mean() for z, s in tag.zones.items()
                if t - s.last_us <= p.stale_us and len(s.rssi) >= p.min_reads}
        if not live:
            return None
        best = max(live, key=live.__getitem__)
        if tag.where is None:
            sure = _sure(len(tag.zones[best].rssi), p.window)
            return self._move(epc, tag, "arrive", best, t, sure)
        if best == tag.where:
            tag.candidate = None
            return None
        lead = live[best] - live.get(tag.where, -200.0)
        if lead < p.hysteresis_db:
            tag.candidate = None
            return None
        if tag.candidate != best:
            tag.candidate, tag.candidate_us = best, t
            return None
        if t - tag.candidate_us < p.move_dwell_us:
            return None
        confidence = min(0.99, 0.5 + 0.5 * min(1.0, lead / (3 * p.hysteresis_db)))
        return self._move(epc, tag, "move", best, t, confidence)

    def _move(self, epc: str, tag: _Tag, kind: ZoneEvent, to: str | None, t: int,
              confidence: float) -> ZoneMove:
        came = tag.where
        tag.where, tag.candidate = to, None
        return ZoneMove(
            epc_hex=epc, kind=kind, from_zone=came, to_zone=to,
            from_location=self._location.get(came) if came else None,
            to_location=self._location.get(to) if to else None,
            time_us=t, confidence=round(confidence, 3), reads=tag.reads,
        )


def _sure(reads: int, window: int) -> float:
    return round(min(0.99, 0.5 + 0.5 * reads / window), 3)
