"""EXPERIMENTAL early-deciding dock-door portal logic (not used by the gateway; measured by
bench/portal_offline.py --tracker early): which tags went through which door, in which
direction, decided as soon as the reads make it plain.

A tag is on a side of a door when that side's antenna hears it clearly better for a moment
(edge/portal/track.py). It passes when it settles on one side after being settled on the other
with about the same strength (a reflection on the far antenna is much weaker, so an early
far-side burst is not taken for where the tag came from), and the move is emitted right then,
not after a silence. A tag stays on its side across gaps (a pallet dwelling on the dock plate,
a trailer just outside read weakly for minutes) until it is forgotten after a long silence.
Tags of a pallet move together: a tag with too little evidence of its own (badly oriented,
heard on one antenna only) rides on a pallet-mate that crossed. A move goes to the door that
heard the tag best, and one presence over without a clear change of side is judged whole.
A move that later reads reverse (the tag comes back strongly) is followed by the reverse
move, counted as `reversed`. Time comes only from the reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.portal_early.judge import (
    Moved,
    confidence,
    first_settle_is_pass,
    judged_whole,
    rides,
)
from bench.portal_early.params import EarlyParams as PortalParams
from bench.portal_early.track import INNER, NONE, OUTER, Track
from edge.portal.config import Direction, PortalsConfig
from edge.reads import TagRead

_SWEEP_US = 100_000  # how often (in read time) every track is looked at (holds, riders, gaps)


@dataclass(frozen=True, slots=True)
class PortalPass:
    """A tag crossed a door: from one side's location to the other's."""

    epc_hex: str
    portal_id: str
    direction: Direction
    from_location: str | None
    to_location: str | None
    first_us: int
    last_us: int
    confidence: float
    reads: int
    crossed_us: int = 0  # when the tag went through (its new side began to dominate)
    basis: str = "crossed"  # its own crossing; "pallet": a pallet-mate's; "whole": judged whole


class EarlyPortalTracker:
    """Feeds reads in time order (per reader), returns passes as soon as they are decided."""

    def __init__(self, config: PortalsConfig, params: PortalParams | None = None) -> None:
        self._params = params or PortalParams()
        self._portals = config.portals
        index = {p.portal_id: i for i, p in enumerate(config.portals)}
        self._tracks: list[dict[str, Track]] = [{} for _ in config.portals]
        self._movers: list[list[Moved]] = [[] for _ in config.portals]
        # reader -> antenna -> (the portal's index, side)
        self._points: dict[str, dict[int, tuple[int, int]]] = {}
        for ant in config.antennas:
            side = INNER if ant.side == "inner" else OUTER
            self._points.setdefault(ant.reader_id, {})[ant.antenna_id] = (index[ant.portal_id],
                                                                          side)
        self._now = 0
        self._next_sweep = 0
        self.unmapped_reads = 0
        self.suppressed = {"duplicate": 0, "cross_read": 0, "weak": 0, "u_turn": 0,
                           "unclear": 0}
        self.rode = 0  # moves given to a tag on its pallet-mate's evidence
        self.reversed = 0  # moves that reverse one emitted shortly before (a compensation)

    @property
    def open_tracks(self) -> int:
        return sum(len(tracks) for tracks in self._tracks)

    def feed(self, read: TagRead) -> list[PortalPass]:
        """Take one read; return the passes decided up to its time."""
        antennas = self._points.get(read.reader_id)
        point = antennas.get(read.antenna_id) if antennas is not None else None
        if point is None:
            self.unmapped_reads += 1
            return []
        t = read.time_us
        out: list[PortalPass] = []
        if t > self._now:
            self._now = t
            if t >= self._next_sweep:
                out = self._sweep(t)
        portal, side = point
        p = self._params
        tracks = self._tracks[portal]
        epc = read.epc_hex
        track = tracks.get(epc)
        if track is None or t - track.last_us > p.forget_us:
            track = tracks[epc] = Track(epc, t)
        seen = read.seen_count
        track.update(side, read.rssi_dbm, t, p, seen if seen > 1 else 1)
        if track.held(t, p):
            out += self._judge(portal, track, t, p)
        return out

    def advance(self, now_us: int) -> list[PortalPass]:
        """Let read-derived time pass (no reads came): decide what is due."""
        if now_us <= self._now:
            return []
        self._now = now_us
        if now_us >= self._next_sweep:
            return self._sweep(now_us)
        return []

    def flush(self) -> list[PortalPass]:
        """End of stream: decide every presence as if all tags went silent."""
        far = self._now + self._params.gap_us + self._params.hold_us + _SWEEP_US + 1
        return self.advance(far)

    def _sweep(self, now: int) -> list[PortalPass]:
        self._next_sweep = now + _SWEEP_US
        out: list[PortalPass] = []
        for portal, tracks in enumerate(self._tracks):
            p = self._params
            gone: list[str] = []
            for tr in list(tracks.values()):
                idle = now - tr.last_us
                if idle > p.forget_us:
                    gone.append(tr.epc)
                    continue
                if tr.held(now, p):
                    out += self._judge(portal, tr, now, p)
                if idle > p.gap_us and tr.moved_us < 0 and tr.at == NONE:
                    out += self._whole(portal, tr, now, p)
            for epc in gone:
                del tracks[epc]
            movers = self._movers[portal]
            if movers:
                movers[:] = [m for m in movers if now - m.decided_us <= p.ride_us]
                for m in movers:
                    out += self._riders(portal, m, now, p)
        return out

    def _judge(self, portal: int, tr: Track, now: int, p: PortalParams) -> list[PortalPass]:
        """The tag's candidate side has held: settle there, and say whether it crossed."""
        went = tr.cand
        came = 1 - went
        crossed = tr.cand_since
        if tr.at == NONE:
            passed = first_settle_is_pass(tr, p)
            tr.settle()
            if not passed:
                return []
        elif tr.cand_peak > tr.at_peak + p.balance_db:
            # the side it was on was only a reflection: it is here now, and came from here
            self.suppressed["unclear"] += 1
            tr.settle()
            return []
        elif tr.cand_peak < tr.at_peak - p.reach_db:
            return []  # not (yet) as near the other side as it was to this one: it stays
        else:
            tr.settle()
        return self._move(portal, tr, came, crossed, confidence(tr, True), now, "crossed")

    def _whole(self, portal: int, tr: Track, now: int, p: PortalParams) -> list[PortalPass]:
        judged = judged_whole(tr, p)
        tr.at = tr.history[-1][1] if tr.history else NONE  # judged once per presence
        tr.at_peak = -200.0
        if judged is None:
            self.suppressed["unclear"] += 1
            return []
        came, crossed = judged
        return self._move(portal, tr, came, crossed, 0.6, now, "whole")

    def _riders(self, portal: int, m: Moved, now: int, p: PortalParams) -> list[PortalPass]:
        out: list[PortalPass] = []
        for tr in self._tracks[portal].values():
            if tr.moved_us >= 0 and abs(m.crossed_us - tr.moved_us) <= p.dedup_us:
                continue
            if rides(tr, m, now, p):
                self.rode += 1
                tr.at, tr.at_since, tr.cand = m.went, m.crossed_us, NONE
                tr.at_peak = tr.levels(p)[m.went]
                out += self._move(portal, tr, m.came, m.crossed_us, confidence(tr, False), now,
                                  "pallet")
        return out

    def _move(self, portal: int, tr: Track, came: int, crossed: int, sure: float, now: int,
              basis: str) -> list[PortalPass]:
        cfg = self._portals[portal]
        p = self._params
        went = 1 - came
        if tr.top < p.min_peak_dbm:
            self.suppressed["weak"] += 1
            return []
        if self._outshone(portal, tr, now):
            self.suppressed["cross_read"] += 1
            return []
        if tr.moved_us >= 0 and abs(crossed - tr.moved_us) < p.dedup_us:
            if tr.moved_dir == went:
                self.suppressed["duplicate"] += 1
                tr.moved_us = max(tr.moved_us, crossed)
                return []
            self.reversed += 1
        tr.moved_us, tr.moved_dir = crossed, went
        inbound = came == OUTER
        crossed = min(max(crossed, tr.first_us), tr.last_us)
        out = [PortalPass(
            epc_hex=tr.epc,
            portal_id=cfg.portal_id,
            direction="inbound" if inbound else "outbound",
            from_location=cfg.outside if inbound else cfg.inside,
            to_location=cfg.inside if inbound else cfg.outside,
            first_us=tr.first_us,
            last_us=tr.last_us,
            confidence=sure,
            reads=tr.reads,
            crossed_us=crossed,
            basis=basis,
        )]
        if basis == "crossed":
            m = Moved(tr.first_us, crossed, came, went, now)
            self._movers[portal].append(m)
            out += self._riders(portal, m, now, p)
        return out

    def _outshone(self, portal: int, tr: Track, now: int) -> bool:
        """True when another door hears this tag better around now (a cross-read here)."""
        p = self._params
        mine = tr.presence_at(now, p)
        for other, tracks in enumerate(self._tracks):
            if other == portal:
                continue
            rival = tracks.get(tr.epc)
            if rival is not None and rival.presence_at(now, p) > mine:
                return True
        return False
