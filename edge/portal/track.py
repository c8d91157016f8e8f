"""One tag's presence at one portal, folded read by read: smoothed level per side, the leading
side, the side it came from, and running sums for judging a short presence whole.

Rule kept here: the per-read work is a handful of float operations on slots, no allocation;
everything the decisions need is a running maximum, count or sum.
"""

from __future__ import annotations

from collections import deque

from edge.portal.config import PortalParams

INNER, OUTER = 0, 1
HISTORY = 96  # reads kept per track (time, side, RSSI) for judging whether it rode a pallet
NONE = -1
_POWER = [10.0 ** (dbm / 10.0) for dbm in range(-150, 50)]  # dBm → mW, by whole dB


class Track:
    """What one tag has looked like at one portal since it was last silent there."""

    __slots__ = (
        "after",
        "after_w",
        "back_top",
        "closed",
        "cnt",
        "cross_us",
        "crossings",
        "early",
        "epc",
        "first_us",
        "gap_avg",
        "history",
        "last_us",
        "lead",
        "lead_last",
        "lead_peak",
        "lead_since",
        "lead_time",
        "left_peak",
        "lvl",
        "margin",
        "origin",
        "peak",
        "reads",
        "seen_us",
        "side_reads",
        "strong_us",
        "top",
        "turns",
        "w",
        "wt",
    )

    def __init__(self, epc: str, t: int) -> None:
        self.epc = epc
        self.first_us = t
        self.last_us = t
        self.reads = 0
        self.lvl = [0.0, 0.0]  # smoothed RSSI per side
        self.seen_us = [-1, -1]  # last read time per side; -1: never heard
        self.cnt = [0, 0]  # reads per side since the last lead change
        self.side_reads = [0, 0]
        self.peak = [-1000.0, -1000.0]  # strongest smoothed level per side
        self.margin = [0.0, 0.0]  # widest lead each side ever had over the other
        self.lead_last = [-1, -1]  # last time each side led by the margin
        self.top = -1000.0
        self.lead = NONE  # the side now leading
        self.lead_since = t
        self.lead_peak = -1000.0  # strongest smoothed level of the leading side since it led
        self.lead_time = [0, 0]  # time each side held the lead, in stints already over
        self.origin = NONE  # the side the tag came from (the first lead, then each new side)
        self.left_peak = -1000.0  # the origin side's strongest level when the lead left it
        self.cross_us = t  # when the lead last left the origin side
        self.turns = 0  # times the lead came back to the origin side: back-and-forth
        self.crossings = 0  # net crossings decided in this presence
        self.closed = False
        self.after = [0, 0]  # per side: pairs (a read of the other side, then one of this side)
        self.after_w = [0.0, 0.0]  # ... each pair weighted by its two reads' linear power
        self.w = [0.0, 0.0]  # per side: sum of linear power, and of power × time since first
        self.wt = [0.0, 0.0]
        self.history: deque[tuple[int, int, float]] = deque(maxlen=HISTORY)
        self.gap_avg = [0.0, 0.0]  # per side: smoothed time between reads (how often heard)
        self.strong_us = [-1, -1]  # last read per side within reflect_db of the strongest
        self.back_top = -1000.0  # strongest read of the side the lead left, since it left
        # the move given early with the tag's pallet: (side it came from, its lead change
        # time, given as a rider, crossing time), or None
        self.early: tuple[int, int, bool, int] | None = None

    def update(self, s: int, r: float, t: int, p: PortalParams, n: int) -> bool:
        """Fold one read of side `s` (RSSI r at time t, n sightings); True on a U-turn."""
        seen = self.seen_us
        lvls = self.lvl
        last = seen[s]
        if last < 0 or t - last > p.gap_us:
            lvl = r
        else:
            dt = t - last  # time-based smoothing: the same at 5 or 500 reads/s
            lvl = lvls[s] + (r - lvls[s]) * (dt + 1) / (dt + 1 + p.smoothing_us)
        lvls[s] = lvl
        if last >= 0 and t - last <= p.gap_us:
            self.gap_avg[s] += (t - last - self.gap_avg[s]) * 0.3
        seen[s] = t
        if t > self.last_us:
            self.last_us = t
        self.reads += n
        self.history.append((t, s, r))
        if r >= self.top - p.reflect_db:
            self.strong_us[s] = t
        if s != self.lead and r > self.back_top:
            self.back_top = r
        self.cnt[s] += n
        self.side_reads[s] += n
        if lvl > self.peak[s]:
            self.peak[s] = lvl
            if lvl > self.top:
                self.top = lvl
        power = _POWER[(-150 if r < -150 else 49 if r > 49 else int(r)) + 150] * n
        self.after[s] += n * self.side_reads[1 - s]
        self.after_w[s] += power * self.w[1 - s]
        self.w[s] += power
        self.wt[s] += power * (t - self.first_us)
        o = 1 - s
        if seen[o] < 0:
            other = p.floor_dbm
        else:
            other = lvls[o] - p.decay_db_per_s * (t - seen[o]) * 1e-6
            if other < p.floor_dbm:
                other = p.floor_dbm
        d = lvl - other
        if d < p.lead_margin_db:
            return False
        if d > self.margin[s]:
            self.margin[s] = d
        if self.lead == s:
            self.lead_last[s] = t
            if lvl > self.lead_peak:
                self.lead_peak = lvl
            return False
        if self.cnt[s] < p.min_side_reads:
            return False
        return self._take_lead(s, t, p)

    def _take_lead(self, s: int, t: int, p: PortalParams) -> bool:
        before = self.lead
        if before != NONE:
            self.lead_time[before] += t - self.lead_since
        self.lead = s
        self.lead_since = t
        self.lead_peak = self.lvl[s]
        self.back_top = -1000.0
        self.lead_last[s] = t
        self.cnt[0] = self.cnt[1] = 0
        origin = self.origin
        if origin == NONE:
            self.origin = s
            return False
        if s == origin:
            if before == NONE:
                return False
            # the side it "came from" had heard it only far weaker than the side between, or
            # clearly weaker than both the side between and itself now the tag is back: a
            # multipath burst on the far antenna before the near one heard the tag (where it
            # really was, an antenna hears it at least as well as when it comes by again).
            # The tag came from the side between and is crossing now, not turning back
            weaker = self.peak[before] - self.left_peak
            if weaker > p.balance_db or (weaker > p.lead_margin_db
                                         and self.lvl[s] - self.left_peak > p.lead_margin_db):
                self.origin = before
                self.lead_time[s] = 0
                self.cross_us = (self.lead_last[before] + t) // 2
                return False
            self.turns += 1  # back on the side it came from: a U-turn
            return True
        came_last = self.lead_last[origin]
        if t - came_last > p.max_transit_us:
            self.origin = s  # the old side is long gone: the tag (re)appeared on this one
            return False
        self.cross_us = (came_last + t) // 2  # it was between the beams in that interval
        self.left_peak = self.peak[origin]
        return False

    def moved_on(self, now: int, p: PortalParams, quiet_us: int | None = None) -> bool:
        """The tag left the door on the side now leading: the side it came from has not heard
        it well since the lead changed, and the new side hears it `fade_db` below its peak
        there, or lost it (unheard long compared with how often it was heard there, longer
        when last heard near its peak) -- or, given `quiet_us`, the side it came from has
        been `quiet` that long. A forklift peeking through the door stays close and strong,
        and is heard well where it came from when it turns back."""
        went = self.lead
        if went == NONE:
            return False
        if quiet_us and self.quiet(now, p, quiet_us):
            return True
        if self.strong_us[1 - went] > self.lead_since + p.back_slack_us:
            return False
        drop = self.lead_peak - self.lvl[went]  # how far it had faded when last heard
        wait = p.gone_us if drop >= p.fade_db / 2 else p.lost_us
        return (drop >= p.fade_db
                or now - self.seen_us[went] >= max(wait, p.gone_reads * self.gap_avg[went]))

    def quiet(self, now: int, p: PortalParams, quiet_us: int) -> bool:
        """The side the tag came from has not heard it at all for `quiet_us` since the lead
        changed (and for several of its usual intervals between reads): it moved away
        beyond that antenna's back lobe. A forklift peeking through the door stays near
        the door plane, where the antenna it left keeps hearing it nearly as well as the new
        side does."""
        came = 1 - self.lead
        if self.back_top > self.lead_peak - p.rival_db:
            return False  # heard there about as well as on its new side: in the door plane
        return now - max(self.seen_us[came], self.lead_since) >= max(
            quiet_us, p.gone_reads * self.gap_avg[came])

    def gap(self, p: PortalParams) -> int:
        """Silence that ends this presence: longer for a tag already heard for longer than a
        pass takes (a pallet staged by the door, or one dwelling on the dock plate, is read in
        bursts with silences of several seconds between: it is still there)."""
        if self.last_us - self.first_us < p.stage_us:
            return p.gap_us
        return p.dwell_gap_us
