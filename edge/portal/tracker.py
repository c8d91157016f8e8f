"""Dock-door passes from a stream of tag reads: which way each tag crossed, and how sure we are.

Rule kept here: a pass is a *net* change of the leading side (the side whose smoothed RSSI beats
the other's by a margin, over a few reads) during one presence of a tag at the door: the side
it came from and the side it ends on differ. Back-and-forth in between (a forklift working in
the door, RSSI noise flipping the lead) nets out; a tag sitting still keeps its side and never
passes. A presence too short to show a clear lead change is judged whole (which side heard it
first). Time comes only from the reads.

Pallets (edge/portal/pallet.py): tags at a door whose lead changed to the same side together
are moved as soon as the pallet left the door (its new side hears it fading, or its old side
no longer hears it at all), before the per-tag silence; weaker tags heard only with such a
pallet ride on it; a tag moved early that turns back to where it came from gets the
compensating (reverse) move, counted in `compensated`. A presence longer than a pass takes
(a staged or dwelling pallet) survives silences of up to `dwell_gap_us`.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from edge.portal.config import Direction, PortalConfig, PortalParams, PortalsConfig
from edge.portal.judge import confidence, credible, judged_whole, presence
from edge.portal.pallet import Mover, left, mates_side, pallets, rides
from edge.portal.track import INNER, OUTER, Track
from edge.reads import TagRead

_SWEEP_US = 100_000  # how often (in read time) every open track is looked at (settling)
_PURGE_US = 1_000_000  # how often closed tracks are looked at (forgetting)
# A tag gone silent is decided at the first read (or advance) after its gap, not at the next
# sweep: a heap holds when each open track could go silent at the earliest (its last read +
# gap, as of when it was pushed), so a read only peeks at its top.


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
    crossed_us: int = 0  # when the lead changed sides: the moment the tag went through
    basis: str = "own"  # "own" reads, its "pallet" decided early, "rider" on a pallet,
    # "mates": its few reads outvoted by its pallet-mates', or "compensating": the reverse of
    # an early move the tag's reads then contradicted


class PortalTracker:
    """Feeds reads in time order (per reader), returns passes as they are confirmed."""

    def __init__(self, config: PortalsConfig) -> None:
        self._portals: tuple[PortalConfig, ...] = config.portals
        index = {p.portal_id: i for i, p in enumerate(config.portals)}
        self._tracks: list[dict[str, Track]] = [{} for _ in config.portals]
        # per portal, the tracks a sweep looks at: those whose lead changed, while a crossing
        # is pending or their early move may yet be taken back (a tag gone silent is decided
        # from the heap below; the others have nothing to settle)
        self._watch: list[dict[str, Track]] = [{} for _ in config.portals]
        # reader -> antenna -> (tracks of its portal, its watched tracks, the portal's index,
        # params, side)
        self._points: dict[str, dict[int, tuple[dict[str, Track], dict[str, Track], int,
                                                PortalParams, int]]] = {}
        for ant in config.antennas:
            at = index[ant.portal_id]
            point = (self._tracks[at], self._watch[at], at, config.portals[at].params,
                     INNER if ant.side == "inner" else OUTER)
            self._points.setdefault(ant.reader_id, {})[ant.antenna_id] = point
        # (earliest silence, portal, epc) of the open tracks: plain values, so the garbage
        # collector need not walk the heap
        self._due: list[tuple[int, int, str]] = []
        self._passed: list[dict[str, tuple[int, int]]] = [{} for _ in config.portals]
        self._movers: list[list[Mover]] = [[] for _ in config.portals]  # recent, for riders
        # recent moves per portal: (track, side it came from, when decided), for pallet-mates
        self._decided: list[list[tuple[Track, int, int]]] = [[] for _ in config.portals]
        self._now = 0
        self._next_sweep = 0
        self._next_purge = 0
        self.unmapped_reads = 0
        self.suppressed = {"duplicate": 0, "cross_read": 0, "weak": 0, "u_turn": 0,
                           "unclear": 0, "overridden": 0, "outvoted": 0}
        self.compensated = 0  # early moves taken back (the tag turned back after all)

    @property
    def open_tracks(self) -> int:
        return sum(1 for tracks in self._tracks for t in tracks.values() if not t.closed)

    def feed(self, read: TagRead) -> list[PortalPass]:
        """Take one read; return the passes that became certain up to its time."""
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
            elif self._due and self._due[0][0] < t:
                out = self._silences(t)
        tracks, watch, portal, params, side = point
        epc = read.epc_hex
        track = tracks.get(epc)
        if track is None or (track.closed and t - track.last_us > track.gap(params)):
            track = tracks[epc] = Track(epc, t)
            heapq.heappush(self._due, (t + params.gap_us, portal, epc))
        elif track.closed:
            track.closed = False
            heapq.heappush(self._due, (t + params.gap_us, portal, epc))
        seen = read.seen_count
        since = track.lead_since
        if track.update(side, read.rssi_dbm, t, params, seen if seen > 1 else 1):
            self.suppressed["u_turn"] += 1
        if track.lead_since != since:
            watch[epc] = track
        return out

    def advance(self, now_us: int) -> list[PortalPass]:
        """Let read-derived time pass (no reads came): confirm and close what is due."""
        if now_us <= self._now:
            return []
        self._now = now_us
        if now_us >= self._next_sweep:
            return self._sweep(now_us)
        return self._silences(now_us)

    def flush(self) -> list[PortalPass]:
        """End of stream: confirm every pending crossing (as if all tags went silent)."""
        far = self._now + max((p.params.dwell_gap_us + p.params.settle_us for p in self._portals),
                              default=0) + 1
        return self.advance(far)

    def _silences(self, now: int) -> list[PortalPass]:
        """Decide and close the tracks gone silent; look again later at those heard since."""
        out: list[PortalPass] = []
        due = self._due
        while due and due[0][0] < now:
            _, portal, epc = heapq.heappop(due)
            tr = self._tracks[portal].get(epc)
            if tr is None or tr.closed:
                continue  # decided by a sweep meanwhile (or forgotten)
            p = self._portals[portal].params
            if now - tr.last_us <= tr.gap(p):
                heapq.heappush(due, (tr.last_us + tr.gap(p), portal, epc))
                continue
            passed = self._decide(portal, tr, now, p)
            if passed is not None:
                out.append(passed)
            tr.closed = True
        return out

    def _sweep(self, now: int) -> list[PortalPass]:
        self._next_sweep = now + _SWEEP_US
        purge = now >= self._next_purge
        if purge:
            self._next_purge = now + _PURGE_US
        out = self._silences(now)
        for portal, tracks in enumerate(self._tracks):
            p = self._portals[portal].params
            watch = self._watch[portal]
            if purge:  # closed tracks no longer needed for cross-read comparisons
                for epc in [e for e, tr in tracks.items()
                            if tr.closed and now - tr.last_us > tr.gap(p) + p.cross_window_us]:
                    del tracks[epc]
            for tr in list(watch.values()):
                crossing = tr.origin >= 0 and tr.lead != tr.origin
                if tr.closed or not (crossing or tr.early is not None):
                    del watch[tr.epc]
                elif crossing:  # settled on its new side?
                    passed = self._decide(portal, tr, now, p)
                    if passed is not None:
                        out.append(passed)
            if watch or self._movers[portal]:
                out += self._pallets(portal, tracks, watch, now, p)
            recent = self._passed[portal]
            if recent:
                for epc in [e for e, (_, at) in recent.items() if now - at > p.dedup_us]:
                    del recent[epc]
        return out

    def _decide(self, portal: int, tr: Track, now: int, p: PortalParams) -> PortalPass | None:
        """A pending net crossing is confirmed when the tag went silent, or stayed on its new
        side for `settle_us`; a silent presence without one may be judged whole."""
        silent = now - tr.last_us > tr.gap(p)
        if tr.origin >= 0 and tr.lead != tr.origin:
            if not (silent or now - tr.lead_since >= p.settle_us):
                return None
            came, crossed = tr.origin, tr.cross_us
            # the side it went to led longer before than the side it came from: it was there
            # all along (a forklift seen first nosing through the door), not a crossing
            went_first = tr.lead_time[tr.lead] > tr.lead_time[came]
            tr.origin = tr.lead  # from now on the tag is on this side
            tr.crossings += 1
            tr.lead_time[0] = tr.lead_time[1] = 0
            if went_first or not credible(tr, came, p):
                self.suppressed["unclear"] += 1
                return None
            return self._confirm(portal, tr, came, crossed, confidence(tr, came, p))
        if silent and not tr.closed and tr.crossings == 0 and tr.turns == 0:
            judged = judged_whole(tr, p)
            if judged is not None:
                return self._confirm(portal, tr, judged[0], judged[1], 0.6)
        return None

    def _pallets(self, portal: int, tracks: dict[str, Track], watch: dict[str, Track],
                 now: int, p: PortalParams) -> list[PortalPass]:
        """Pallets that left the door move early, with their riders; a tag moved early that
        turned back to where it came from gets the compensating move."""
        out: list[PortalPass] = []
        for tr in watch.values():  # (only a track whose lead changed may turn back)
            early = tr.early
            if (early is not None and not early[2] and tr.lead == early[0]
                    and tr.lead_since > early[1]):
                tr.early = None
                self.compensated += 1
                out.append(self._pass(portal, tr, 1 - early[0], tr.lead_since, 0.5,
                                      "compensating"))
        movers = self._movers[portal]
        for members in pallets(watch.values(), p):
            if not left(members, now, p):
                continue
            came = 1 - members[0].lead
            for tr in members:
                passed = self._confirm(portal, tr, came, tr.cross_us, confidence(tr, came, p),
                                       "pallet")
                tr.early = (came, tr.lead_since, False, tr.cross_us)
                if passed is not None:
                    out.append(passed)
            movers.append(Mover(tuple(members), min(m.cross_us for m in members), came, now))
        if movers:
            movers[:] = [m for m in movers
                         if now - m.decided_us <= p.ride_us + p.ride_quiet_us + p.gap_us]
            passed_here = self._passed[portal]
            for m in movers:
                span = m.span()
                for tr in tracks.values():
                    if rides(tr, m, span, now, p) and tr.epc not in passed_here:
                        tr.early = (m.came, tr.lead_since, True, m.crossed_us)
                        passed = self._confirm(portal, tr, m.came, m.crossed_us, 0.5, "rider")
                        if passed is not None:
                            out.append(passed)
        return out

    def _confirm(self, portal: int, tr: Track, came: int, crossed: int,
                 sure: float, basis: str = "own") -> PortalPass | None:
        cfg = self._portals[portal]
        p = cfg.params
        early = tr.early
        if basis == "own" and early is not None and (
                early[1] == tr.lead_since or abs(crossed - early[3]) < p.dedup_us):
            # the crossing its pallet already moved it for (now confirmed: no compensating
            # move any more), or one its pallet contradicts
            if early[0] == came:
                self.suppressed["duplicate"] += 1
                tr.early = None
            else:
                self.suppressed["overridden"] += 1
            return None
        if tr.top < p.min_peak_dbm:
            self.suppressed["weak"] += 1
            return None
        decided = self._decided[portal]
        if decided and self._now - decided[0][2] > p.mates_keep_us:
            decided[:] = [d for d in decided if self._now - d[2] <= p.mates_keep_us]
        if basis == "own":
            side = mates_side(tr, came, ((d[0], d[1]) for d in decided), p)
            if side is not None:
                self.suppressed["outvoted"] += 1
                came, basis = side, "mates"
        if self._outshone(portal, tr):
            self.suppressed["cross_read"] += 1
            return None
        inbound = came == OUTER
        code = 0 if inbound else 1
        last = self._passed[portal].get(tr.epc)
        if last is not None and last[0] == code and crossed - last[1] < p.dedup_us:
            self.suppressed["duplicate"] += 1
            return None
        self._passed[portal][tr.epc] = (code, crossed)
        decided.append((tr, came, self._now))
        return self._pass(portal, tr, came, crossed, sure, basis)

    def _pass(self, portal: int, tr: Track, came: int, crossed: int, sure: float,
              basis: str) -> PortalPass:
        cfg = self._portals[portal]
        inbound = came == OUTER
        return PortalPass(
            epc_hex=tr.epc,
            portal_id=cfg.portal_id,
            direction="inbound" if inbound else "outbound",
            from_location=cfg.outside if inbound else cfg.inside,
            to_location=cfg.inside if inbound else cfg.outside,
            first_us=tr.first_us,
            last_us=tr.last_us,
            confidence=sure,
            reads=tr.reads,
            crossed_us=min(max(crossed, tr.first_us), tr.last_us),
            basis=basis,
        )

    def _outshone(self, portal: int, tr: Track) -> bool:
        """True when another door heard this tag at the same time, stronger and longer."""
        mine = presence(tr)
        for other, tracks in enumerate(self._tracks):
            if other == portal:
                continue
            rival = tracks.get(tr.epc)
            if rival is None:
                continue
            window = self._portals[other].params.cross_window_us
            apart = max(rival.first_us - tr.last_us, tr.first_us - rival.last_us)
            if apart <= window and presence(rival) > mine:
                return True
        return False
