"""Dock-door passes from a stream of tag reads: which way each tag crossed, and how sure we are.

Rule kept here: a pass is a change of the *leading side* (the side whose smoothed RSSI beats
the other's by a margin) from one side of the door to the other, held long enough to be sure.
Tags that sit still keep their lead and so never pass; time comes only from the reads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edge.portal.config import Direction, PortalConfig, PortalParams, PortalsConfig
from edge.reads import TagRead

_INNER, _OUTER = 0, 1
_NONE = -1
_SWEEP_US = 100_000  # how often (in read time) pending crossings and silent tags are checked
_POWER = [10.0 ** (dbm / 10.0) for dbm in range(-150, 50)]  # dBm → mW, by whole dB


@dataclass(frozen=True, slots=True)
class PortalPass:
    """A tag crossed a door: from one side's location to the other's."""

    epc_hex: str
    portal_id: str
    direction: Direction
    from_location: str
    to_location: str
    first_us: int
    last_us: int
    confidence: float
    reads: int
    crossed_us: int = 0  # when the lead changed sides: the moment the tag went through


class _Lead:
    """One side's time in the lead: how long, how clearly, and how its level rose and fell."""

    __slots__ = ("fall", "last_us", "low", "margin", "peak", "reads", "rise", "side", "since")

    def __init__(self, side: int, t: int, level: float, margin: float, reads: int) -> None:
        self.side = side
        self.since = t
        self.last_us = t  # last time this side was ahead by the margin
        self.margin = margin  # largest margin over the other side
        self.reads = reads
        self.peak = self.low = level
        self.rise = 0.0  # largest climb of the level (the tag coming closer)
        self.fall = 0.0  # largest drop from the peak (the tag going away)

    def level(self, lvl: float) -> None:
        if lvl > self.peak:
            self.peak = lvl
        elif self.peak - lvl > self.fall:
            self.fall = self.peak - lvl
        if lvl < self.low:
            self.low = lvl
        elif lvl - self.low > self.rise:
            self.rise = lvl - self.low


class _Crossing:
    """A lead change waiting to be confirmed (or undone by a U-turn)."""

    __slots__ = ("came", "start_us", "switch_us")

    def __init__(self, came: _Lead, start_us: int, switch_us: int) -> None:
        self.came = came  # the lead of the side the tag came from, as it ended
        self.start_us = start_us
        self.switch_us = switch_us


class _Track:
    """What one tag has looked like at one portal since it was last silent there."""

    __slots__ = (
        "closed",
        "cnt",
        "crossing",
        "epc",
        "first_us",
        "last_us",
        "lead",
        "lvl",
        "passed",
        "peak",
        "reads",
        "seen_us",
        "u_turn_us",
        "w",
        "wt",
    )

    def __init__(self, epc: str, t: int) -> None:
        self.epc = epc
        self.first_us = t
        self.last_us = t
        self.reads = 0
        self.lvl = [0.0, 0.0]
        self.seen_us = [-1, -1]  # last read time per side; -1: never heard
        self.cnt = [0, 0]  # reads per side since the last lead change
        self.lead: _Lead | None = None
        self.peak = -1000.0
        self.crossing: _Crossing | None = None
        self.u_turn_us = -(1 << 62)  # last time the tag went back the way it came
        self.closed = False
        self.passed = False  # a crossing of this presence was confirmed (or judged)
        self.w = [0.0, 0.0]  # per side: sum of linear power, and of power × time since first
        self.wt = [0.0, 0.0]


class PortalTracker:
    """Feeds reads in time order (per reader), returns passes as they are confirmed."""

    def __init__(self, config: PortalsConfig) -> None:
        self._portals: tuple[PortalConfig, ...] = config.portals
        index = {p.portal_id: i for i, p in enumerate(config.portals)}
        self._points: dict[str, dict[int, tuple[int, int]]] = {}
        for ant in config.antennas:
            side = _INNER if ant.side == "inner" else _OUTER
            point = (index[ant.portal_id], side)
            self._points.setdefault(ant.reader_id, {})[ant.antenna_id] = point
        self._tracks: list[dict[str, _Track]] = [{} for _ in config.portals]
        self._passed: list[dict[str, tuple[int, int]]] = [{} for _ in config.portals]
        self._now = 0
        self._next_sweep = 0
        self.unmapped_reads = 0
        self.suppressed = {"duplicate": 0, "cross_read": 0, "weak": 0, "u_turn": 0,
                           "unclear": 0, "incomplete": 0}

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
        portal, side = point
        tracks = self._tracks[portal]
        track = tracks.get(read.epc_hex)
        params = self._portals[portal].params
        if track is None or (track.closed and t - track.last_us > params.gap_us):
            track = tracks[read.epc_hex] = _Track(read.epc_hex, t)
        elif track.closed:
            track.closed = False
        self._update(track, side, read.rssi_dbm, t, params, max(1, read.seen_count))
        return out

    def advance(self, now_us: int) -> list[PortalPass]:
        """Let read-derived time pass (no reads came): confirm and close what is due."""
        if now_us <= self._now:
            return []
        self._now = now_us
        return self._sweep(now_us)

    def flush(self) -> list[PortalPass]:
        """End of stream: confirm every pending crossing (as if all tags went silent)."""
        far = self._now + max((p.params.gap_us + p.params.settle_us for p in self._portals),
                              default=0) + 1
        return self.advance(far)

    def _update(self, tr: _Track, s: int, r: float, t: int, p: PortalParams, n: int) -> None:
        o = 1 - s
        seen = tr.seen_us
        if seen[s] < 0 or t - seen[s] > p.gap_us:
            lvl = r
        else:
            dt = t - seen[s]  # time-based smoothing: the same at 5 or 500 reads/s
            lvl = tr.lvl[s] + (r - tr.lvl[s]) * (dt + 1) / (dt + 1 + p.smoothing_us)
        tr.lvl[s] = lvl
        seen[s] = t
        if t > tr.last_us:
            tr.last_us = t
        tr.reads += n
        tr.cnt[s] += n
        if lvl > tr.peak:
            tr.peak = lvl
        power = _POWER[min(max(int(r), -150), 49) + 150] * n
        tr.w[s] += power
        tr.wt[s] += power * (t - tr.first_us)
        if seen[o] < 0:
            other = p.floor_dbm
        else:
            other = tr.lvl[o] - p.decay_db_per_s * (t - seen[o]) * 1e-6
            if other < p.floor_dbm:
                other = p.floor_dbm
        d = lvl - other
        lead = tr.lead
        if lead is not None and lead.side == s:
            lead.level(lvl)
            if d >= p.lead_margin_db:
                lead.last_us = t
                lead.reads += n
                if d > lead.margin:
                    lead.margin = d
        elif d >= p.lead_margin_db and tr.cnt[s] >= p.min_side_reads:
            self._take_lead(tr, s, lvl, d, t, p)

    def _take_lead(self, tr: _Track, s: int, lvl: float, d: float, t: int, p: PortalParams) -> None:
        came = tr.lead
        if came is not None:
            crossing = tr.crossing
            if crossing is not None and crossing.came.side == s and _credible(tr, crossing, p):
                tr.crossing = None  # came back the way it went: a U-turn, not a pass
                tr.u_turn_us = t
                self.suppressed["u_turn"] += 1
            elif t - came.last_us <= p.max_transit_us:
                tr.crossing = _Crossing(came, max(came.since, t - p.max_transit_us), t)
        tr.lead = _Lead(s, t, lvl, d, tr.cnt[s])
        tr.cnt[0] = tr.cnt[1] = 0

    def _sweep(self, now: int) -> list[PortalPass]:
        self._next_sweep = now + _SWEEP_US
        out: list[PortalPass] = []
        for portal, tracks in enumerate(self._tracks):
            p = self._portals[portal].params
            for epc in [e for e, tr in tracks.items() if self._due(tr, now, p)]:
                tr = tracks[epc]
                silent = now - tr.last_us > p.gap_us
                crossing = tr.crossing
                if crossing is not None and (silent or now - crossing.switch_us >= p.settle_us):
                    tr.crossing = None
                    passed = self._confirm(portal, tr, crossing, silent)
                    if passed is not None:
                        out.append(passed)
                if silent and not tr.closed and not tr.passed and crossing is None:
                    passed = self._judge_whole(portal, tr)
                    if passed is not None:
                        out.append(passed)
                if silent:
                    tr.closed = True
                    if now - tr.last_us > p.gap_us + p.cross_window_us:
                        del tracks[epc]
            recent = self._passed[portal]
            for epc in [e for e, (_, at) in recent.items() if now - at > p.dedup_us]:
                del recent[epc]
        return out

    @staticmethod
    def _due(tr: _Track, now: int, p: PortalParams) -> bool:
        return tr.crossing is not None or now - tr.last_us > p.gap_us

    def _judge_whole(self, portal: int, tr: _Track) -> PortalPass | None:
        """A short presence that never changed lead clearly (a fast pallet, few reads): the
        side whose power-weighted mean time came first is the side it came from."""
        p = self._portals[portal].params
        duration = tr.last_us - tr.first_us
        if duration > p.whole_max_us or tr.u_turn_us > tr.first_us or min(tr.w) <= 0.0:
            return None
        if tr.reads < 2 * p.whole_min_reads:
            return None
        inner, outer = (tr.wt[i] / tr.w[i] for i in (_INNER, _OUTER))
        if abs(inner - outer) < p.whole_min_separation * max(duration, 1):
            return None
        came = _Lead(_OUTER if outer < inner else _INNER, tr.first_us, tr.peak, 0.0,
                     min(tr.cnt))
        # late (out of order) reads can put the mean before first_us: keep it in the presence
        crossed = min(max(tr.first_us + int((inner + outer) / 2), tr.first_us), tr.last_us)
        return self._confirm(portal, tr, _Crossing(came, tr.first_us, crossed), True, whole=True)

    def _confirm(self, portal: int, tr: _Track, c: _Crossing, left: bool,
                 whole: bool = False) -> PortalPass | None:
        cfg = self._portals[portal]
        p = cfg.params
        tr.passed = True
        if tr.peak < p.min_peak_dbm:
            self.suppressed["weak"] += 1
            return None
        if not whole and not _credible(tr, c, p):
            self.suppressed["unclear"] += 1
            return None
        if not whole and not _complete(tr, c, p, left):
            self.suppressed["incomplete"] += 1
            return None
        if self._outshone(portal, tr):
            self.suppressed["cross_read"] += 1
            return None
        inbound = c.came.side == _OUTER
        code = 0 if inbound else 1
        last = self._passed[portal].get(tr.epc)
        if last is not None and last[0] == code and c.switch_us - last[1] < p.dedup_us:
            self.suppressed["duplicate"] += 1
            return None
        self._passed[portal][tr.epc] = (code, c.switch_us)
        return PortalPass(
            epc_hex=tr.epc,
            portal_id=cfg.portal_id,
            direction="inbound" if inbound else "outbound",
            from_location=cfg.outside if inbound else cfg.inside,
            to_location=cfg.inside if inbound else cfg.outside,
            first_us=c.start_us,
            last_us=tr.last_us,
            confidence=0.6 if whole else _confidence(tr, c, p),
            reads=tr.reads,
            crossed_us=c.switch_us,
        )

    def _outshone(self, portal: int, tr: _Track) -> bool:
        """True when another door heard this tag at the same time, stronger and longer."""
        mine = _presence(tr)
        for other, tracks in enumerate(self._tracks):
            if other == portal:
                continue
            rival = tracks.get(tr.epc)
            if rival is None:
                continue
            window = self._portals[other].params.cross_window_us
            apart = max(rival.first_us - tr.last_us, tr.first_us - rival.last_us)
            if apart <= window and _presence(rival) > mine:
                return True
        return False


def _credible(tr: _Track, c: _Crossing, p: PortalParams) -> bool:
    """A crossing the tag really made: both sides had it close (balanced peaks), and the
    lead swung far (a still tag's noise swings a few dB, a passing tag's much more)."""
    went = tr.lead
    if went is None:
        return False
    balanced = abs(c.came.peak - went.peak) <= p.balance_db
    cap = p.margin_cap_db  # a side unopposed (the other unheard) shows a huge, meaningless margin
    return balanced and min(c.came.margin, cap) + min(went.margin, cap) >= p.min_swing_db


def _complete(tr: _Track, c: _Crossing, p: PortalParams, left: bool) -> bool:
    """A whole pass, not a tag nosing about in the door: it came in from afar (its level
    climbed on the first side) and went away (fell on the second) or stayed there."""
    went = tr.lead
    if went is None or c.came.rise < p.approach_db:
        return False
    if c.switch_us - tr.u_turn_us < p.linger_us:
        return False  # a tag going back and forth in the door (a forklift) is not a pass
    return went.fall >= p.depart_db or not left


def _presence(tr: _Track) -> float:
    # Stronger counts most; longer (more reads) breaks near-ties: +3 dB per doubling.
    return tr.peak + 3.0 * math.log2(1 + tr.reads)


def _confidence(tr: _Track, c: _Crossing, p: PortalParams) -> float:
    """0..1 from how much evidence each side gave and how clearly each side led."""
    went = tr.lead
    went_reads, went_margin = (went.reads, went.margin) if went is not None else (1, 0.0)
    evidence = (1 - math.exp(-c.came.reads / 3)) * (1 - math.exp(-max(went_reads, 1) / 3))
    clarity = min(1.0, (c.came.margin + went_margin) / (2 * p.min_swing_db))
    return round(max(0.05, min(0.99, evidence * (0.5 + 0.5 * clarity))), 3)
