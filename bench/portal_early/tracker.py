"""EXPERIMENTAL early-deciding dock-door portal logic (not used by the gateway; measured by
bench/portal_offline.py --tracker early): which pallets went through which door, in which
direction, decided as soon as the reads make it plain.

Tags first heard at a door close together in time form a group (a pallet); the group's reads
are pooled into one presence (edge/portal/track.py's state machine over the pooled energy),
so a weak or badly oriented tag, a tag heard on one antenna only, or a tag with an early
far-side reflection moves with its pallet. A group passes when it settles on one side after
being settled on the other with about the same strength, has moved on from the door there
(faded, or gone) and the side it left has not heard it since (a forklift peeking through the
door and turning back is heard there again). Every member then moves, unless another door
hears that tag better (a cross-read). A group keeps its side across long gaps (dwell, a
trailer just outside); a tag heard again after a long silence starts a new group that
remembers the side it was on. Time comes only from the reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.portal_early.judge import (
    Moved,
    both_sides,
    confidence,
    first_settle_is_pass,
    fits,
    judged_whole,
    rides,
)
from bench.portal_early.params import EarlyParams as PortalParams
from bench.portal_early.track import INNER, NONE, OUTER, Track
from edge.portal.config import Direction, PortalsConfig
from edge.reads import TagRead

_SWEEP_US = 100_000  # how often (in read time) every group is looked at


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
    basis: str = "crossed"  # "crossed": its group's crossing; "late": joined after; "whole"


class Group:
    """Tags first heard at one door close together: one pallet, one presence."""

    __slots__ = ("first_us", "last_us", "members", "moved", "track")

    def __init__(self, t: int) -> None:
        self.track = Track("group", t)
        self.members: dict[str, Track] = {}
        self.first_us = t
        self.last_us = t
        self.moved: Moved | None = None  # the group's last crossing


class EarlyPortalTracker:
    """Feeds reads in time order (per reader), returns passes as soon as they are decided."""

    def __init__(self, config: PortalsConfig, params: PortalParams | None = None) -> None:
        self._params = params or PortalParams()
        self._portals = config.portals
        index = {p.portal_id: i for i, p in enumerate(config.portals)}
        self._tracks: list[dict[str, Track]] = [{} for _ in config.portals]
        self._group_of: list[dict[str, Group]] = [{} for _ in config.portals]
        self._groups: list[list[Group]] = [[] for _ in config.portals]
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
        self.rode = 0
        self.reversed = 0

    @property
    def open_tracks(self) -> int:
        return sum(len(tracks) for tracks in self._tracks)

    def feed(self, read: TagRead) -> list[PortalPass]:
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
        tr = tracks.get(epc)
        g = self._group_of[portal].get(epc)
        if tr is None or t - tr.last_us > p.forget_us:
            tr = tracks[epc] = Track(epc, t)
            g = None
        if g is None or (t - tr.last_us > p.regroup_us and t - g.last_us > p.regroup_us):
            g = self._regroup(portal, epc, tr, g, t, side, read.rssi_dbm)
        n = read.seen_count if read.seen_count > 1 else 1
        tr.update(side, read.rssi_dbm, t, p, n)
        g.track.update(side, read.rssi_dbm, t, p, n)
        if t > g.last_us:
            g.last_us = t
        if g.track.held(t, p):
            out += self._judge(portal, g, t)
        if p.own and tr.held(t, p):
            out += self._judge_tag(portal, tr, t)
        return out

    def advance(self, now_us: int) -> list[PortalPass]:
        if now_us <= self._now:
            return []
        self._now = now_us
        if now_us >= self._next_sweep:
            return self._sweep(now_us)
        return []

    def flush(self) -> list[PortalPass]:
        p = self._params
        far = self._now + p.gap_us + p.hold_us + p.silent_us + p.confirm_us + 2 * _SWEEP_US
        return self.advance(far)

    def _regroup(self, portal: int, epc: str, tr: Track, old: Group | None, t: int,
                 side: int, rssi: float) -> Group:
        """A tag (re)appearing joins the group first heard just before it, or starts one that
        remembers where the tag was."""
        p = self._params
        if old is not None:
            old.members.pop(epc, None)
        g = None
        for cand in reversed(self._groups[portal] if old is None else ()):
            if t - cand.first_us <= p.join_us and t - cand.last_us <= p.join_gap_us:
                k = cand.track
                now_on = k.cand if k.cand != NONE else k.at
                # heard where the group is, about as well: the same pallet (a reflection of
                # another pallet's tag is far weaker)
                if now_on in (NONE, side) and rssi >= k.rssi[side] - p.join_db:
                    g = cand
                    break
        if g is None:
            g = Group(t)
            self._groups[portal].append(g)
            if old is not None and old.track.at != NONE:
                g.track.at, g.track.at_peak = old.track.at, old.track.at_peak
        g.members[epc] = tr
        self._group_of[portal][epc] = g
        return g

    def _sweep(self, now: int) -> list[PortalPass]:
        self._next_sweep = now + _SWEEP_US
        out: list[PortalPass] = []
        p = self._params
        for portal, groups in enumerate(self._groups):
            keep: list[Group] = []
            for g in groups:
                idle = now - g.last_us
                if idle > p.forget_us or not g.members:
                    for epc in list(g.members):
                        self._tracks[portal].pop(epc, None)
                        self._group_of[portal].pop(epc, None)
                    continue
                keep.append(g)
                if g.track.held(now, p):
                    out += self._judge(portal, g, now)
                if p.own:
                    for tr in list(g.members.values()):
                        if tr.held(now, p):
                            out += self._judge_tag(portal, tr, now)
                if idle > p.gap_us and g.moved is None and g.track.at == NONE:
                    out += self._whole(portal, g, now)
                if g.moved is not None and now - g.moved.decided_us <= p.ride_us:
                    out += self._members(portal, g, g.moved, now, "late")
                    out += self._riders(portal, g, g.moved, now)
            groups[:] = keep
        return out

    def _decide(self, tr: Track, now: int) -> tuple[int, int, int] | None:
        """The presence's candidate side has held: settle there when it is plain, and return
        (came, went, crossed) when that was a crossing."""
        p = self._params
        went = tr.cand
        came = 1 - went
        crossed = tr.cand_since
        if tr.at == NONE:
            if not first_settle_is_pass(tr, p):
                tr.settle()
                return None
            if not tr.faded(now, p, p.confirm_us):
                return None
            tr.settle()
        elif tr.cand_peak > tr.at_peak + p.balance_db or (
                tr.cand_peak > tr.at_peak + p.near_db
                and crossed - tr.seen_us[came] > p.transit_us):
            self.suppressed["unclear"] += 1  # where it was was only a reflection
            tr.settle()
            return None
        elif tr.cand_peak < tr.at_peak - p.reach_db:
            return None  # a reflection on the other side: it stays
        elif tr.cand_peak < tr.at_peak - p.near_db and crossed - tr.at_since > p.stage_us:
            return None  # staged there a long time: only a strong pass moves it (not fading)
        elif tr.faded(now, p, p.confirm_us if tr.cand_peak >= tr.at_peak - p.near_db
                      else p.confirm_weak_us):
            tr.settle()
        else:
            return None
        return came, went, crossed

    def _judge(self, portal: int, g: Group, now: int) -> list[PortalPass]:
        decided = self._decide(g.track, now)
        if decided is None:
            return []
        came, went, crossed = decided
        g.moved = Moved(g.first_us, crossed, came, went, now)
        return (self._members(portal, g, g.moved, now, "crossed")
                + self._riders(portal, g, g.moved, now))

    def _judge_tag(self, portal: int, tr: Track, now: int) -> list[PortalPass]:
        """A tag's own crossing (its own reads are plain enough): it moves, whatever its group
        does."""
        decided = self._decide(tr, now)
        if decided is None:
            return []
        came, went, crossed = decided
        return self._own(portal, tr, Moved(tr.first_us, crossed, came, went, now), now)

    def _own(self, portal: int, tr: Track, m: Moved, now: int) -> list[PortalPass]:
        p = self._params
        if tr.moved_us >= 0 and abs(m.crossed_us - tr.moved_us) < p.dedup_us:
            if tr.moved_dir == m.went:
                self.suppressed["duplicate"] += 1
                return []
            self.reversed += 1  # its own reads say otherwise than its group did
        return self._move(portal, tr, m, now, "own")

    def _whole(self, portal: int, g: Group, now: int) -> list[PortalPass]:
        tr = g.track
        judged = judged_whole(tr, self._params)
        tr.at = tr.history[-1][1] if tr.history else NONE  # judged once per presence
        tr.at_peak = -200.0
        if judged is None:
            self.suppressed["unclear"] += 1
            return []
        came, crossed = judged
        g.moved = Moved(g.first_us, crossed, came, 1 - came, now)
        return self._members(portal, g, g.moved, now, "whole")

    def _members(self, portal: int, g: Group, m: Moved, now: int, basis: str
                 ) -> list[PortalPass]:
        p = self._params
        out: list[PortalPass] = []
        for tr in g.members.values():
            if tr.moved_us >= 0 and abs(m.crossed_us - tr.moved_us) < p.dedup_us:
                if tr.moved_dir != m.went and basis != "late" and p.reverse:
                    self.reversed += 1  # it came back: the compensating move
                else:
                    if tr.moved_dir != m.went:
                        self.suppressed["u_turn"] += 1
                    continue
            if (tr.reads < p.member_min_reads or min(tr.side_reads) == 0
                    or fits(tr, m, p) < p.member_fit
                    or (p.member_both and not both_sides(tr, m, p))):
                continue
            out += self._move(portal, tr, m, now, basis)
        return out

    def _riders(self, portal: int, g: Group, m: Moved, now: int) -> list[PortalPass]:
        """Tags of other, undecided groups at the door whose reads fit this crossing (a badly
        oriented tag first heard late) move with it."""
        p = self._params
        out: list[PortalPass] = []
        if not p.riders:
            return out
        for epc, tr in self._tracks[portal].items():
            if epc in g.members:
                continue
            other = self._group_of[portal].get(epc)
            if other is not None and (other.moved is not None or len(other.members) > 1):
                continue  # only a tag alone (first heard apart from its pallet) rides
            if tr.moved_us >= 0 and abs(m.crossed_us - tr.moved_us) < p.dedup_us:
                continue
            if rides(tr, m, now, p):
                self.rode += 1
                out += self._move(portal, tr, m, now, "pallet")
        return out

    def _move(self, portal: int, tr: Track, m: Moved, now: int, basis: str
              ) -> list[PortalPass]:
        cfg = self._portals[portal]
        p = self._params
        if tr.top < p.min_peak_dbm:
            self.suppressed["weak"] += 1
            tr.moved_us, tr.moved_dir = m.crossed_us, m.went
            return []
        if self._outshone(portal, tr, now, m.first_us - p.ride_us):
            self.suppressed["cross_read"] += 1
            tr.moved_us, tr.moved_dir = m.crossed_us, m.went
            return []
        tr.moved_us, tr.moved_dir = m.crossed_us, m.went
        inbound = m.came == OUTER
        crossed = min(max(m.crossed_us, tr.first_us), tr.last_us)
        return [PortalPass(
            epc_hex=tr.epc,
            portal_id=cfg.portal_id,
            direction="inbound" if inbound else "outbound",
            from_location=cfg.outside if inbound else cfg.inside,
            to_location=cfg.inside if inbound else cfg.outside,
            first_us=tr.first_us,
            last_us=tr.last_us,
            confidence=confidence(tr, basis == "crossed"),
            reads=tr.reads,
            crossed_us=crossed,
            basis=basis,
        )]

    def _outshone(self, portal: int, tr: Track, now: int, since: int) -> bool:
        """True when another door heard this tag better during its pass (a cross-read here:
        the read power both doors received since the pallet came)."""
        mine = sum(pw for t, _, pw in tr.history if t >= since)
        for other, tracks in enumerate(self._tracks):
            if other == portal:
                continue
            rival = tracks.get(tr.epc)
            if rival is not None and sum(pw for t, _, pw in rival.history if t >= since) > mine:
                return True
        return False
