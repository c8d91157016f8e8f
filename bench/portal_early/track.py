"""One tag's presence at one portal, folded read by read: a smoothed energy per side, the side
the tag is settled on, the side it may be moving to, and its recent reads.

Rule kept here: a side's evidence is the read power it received, summed and decaying with a
time constant (more reads and stronger reads both mean nearer); the tag is on a side when that
side's energy beats the other's by a margin for a hold time. Both sides decay alike, so the
balance between them changes only when a read comes: the state moves on reads, the hold time
completes on reads or on a sweep.
"""

from __future__ import annotations

import math
from collections import deque

from bench.portal_early.params import EarlyParams as PortalParams

INNER, OUTER = 0, 1
NONE = -1
_POWER = [10.0 ** (dbm / 10.0) for dbm in range(-150, 50)]  # dBm → mW, by whole dB
HISTORY = 64  # reads kept per track for judging a presence whole and for riding


def power(rssi_dbm: float) -> float:
    return _POWER[(-150 if rssi_dbm < -150 else 49 if rssi_dbm > 49 else int(rssi_dbm)) + 150]


def level_db(energy: float) -> float:
    return 10.0 * math.log10(energy) if energy > 0 else -200.0


class Track:
    """What one tag has looked like at one portal since it was first heard there."""

    __slots__ = (
        "at",
        "at_peak",
        "at_since",
        "cand",
        "cand_peak",
        "cand_reads",
        "cand_since",
        "energy",
        "energy_us",
        "epc",
        "fade_us",
        "first_us",
        "history",
        "last_us",
        "moved_dir",
        "moved_us",
        "presence",
        "presence_us",
        "reads",
        "rpeak",
        "rssi",
        "seen_us",
        "side_reads",
        "top",
    )

    def __init__(self, epc: str, t: int) -> None:
        self.epc = epc
        self.first_us = t
        self.last_us = t
        self.reads = 0
        self.side_reads = [0, 0]
        self.seen_us = [-1 << 62, -1 << 62]  # last read per side
        self.rssi = [-200.0, -200.0]  # smoothed RSSI per side
        self.rpeak = -200.0  # the candidate side's strongest smoothed RSSI
        self.fade_us = -1  # when the candidate side began to fade (-1: it has not)
        self.energy = [0.0, 0.0]  # decaying read power per side, as of energy_us
        self.energy_us = t
        self.presence = 0.0  # read power of both sides, decaying slower: how near the door
        self.presence_us = t
        self.at = NONE  # the side the tag is settled on
        self.at_peak = -200.0  # the strongest level of that side while settled there
        self.at_since = t
        self.cand = NONE  # the side now dominating that is not (yet) the settled side
        self.cand_since = t
        self.cand_reads = 0
        self.cand_peak = -200.0
        self.top = -200.0  # strongest single read
        self.moved_us = -1  # crossing time of the last move given to this tag here
        self.moved_dir = NONE  # the side that move went to
        self.history: deque[tuple[int, int, float]] = deque(maxlen=HISTORY)  # (t, side, power)

    def _decay(self, t: int, p: PortalParams) -> None:
        dt = t - self.energy_us
        if dt > 0:
            k = math.exp(-dt / p.smoothing_us)
            self.energy[0] *= k
            self.energy[1] *= k
            self.energy_us = t

    def presence_at(self, t: int, p: PortalParams) -> float:
        dt = t - self.presence_us
        return self.presence * math.exp(-dt / p.presence_us) if dt > 0 else self.presence

    def levels(self, p: PortalParams) -> tuple[float, float]:
        """Each side's level as of the last update; a side unheard for a while fades faster
        (the tag left its field), so a new side need not outweigh the old side's peak."""
        floor = power(p.floor_dbm)
        t = self.energy_us
        out = []
        for s in (0, 1):
            e = self.energy[s]
            quiet = t - self.seen_us[s] - p.quiet_grace_us
            if quiet > 0 and e > 0:
                e *= math.exp(-quiet / p.quiet_us)
            out.append(level_db(e + floor))
        return out[0], out[1]

    def update(self, s: int, rssi: float, t: int, p: PortalParams, n: int) -> None:
        """Fold one read of side `s` (n sightings at RSSI `rssi`, time t)."""
        if t > self.last_us:
            self.last_us = t
        self.reads += n
        self.side_reads[s] += n
        last = self.seen_us[s]
        if t - last > p.gap_us:
            self.rssi[s] = rssi
        else:
            dt = max(t - last, 0)
            self.rssi[s] += (rssi - self.rssi[s]) * (dt + 1) / (dt + 1 + p.rssi_smoothing_us)
        if t > last:
            self.seen_us[s] = t
        if rssi > self.top:
            self.top = rssi
        pw = power(rssi) * n
        self._decay(t, p)
        self.energy[s] += pw
        self.presence = self.presence_at(t, p) + pw
        self.presence_us = max(self.presence_us, t)
        self.history.append((t, s, pw))
        lv = self.levels(p)
        d = lv[s] - lv[1 - s]
        dom = s if d >= p.lead_margin_db else (1 - s) if -d >= p.lead_margin_db else NONE
        if dom == NONE:
            self.cand = NONE
        elif dom == self.at:
            self.cand = NONE
            if lv[dom] > self.at_peak:
                self.at_peak = lv[dom]
        elif dom != self.cand:
            self.cand = dom
            self.cand_since = t
            self.cand_reads = n if s == dom else 0
            self.cand_peak = lv[dom]
            self.rpeak = self.rssi[dom]
            self.fade_us = -1
        elif s == dom:
            self.cand_reads += n
            if lv[dom] > self.cand_peak:
                self.cand_peak = lv[dom]
            if self.rssi[s] > self.rpeak:
                self.rpeak = self.rssi[s]
            elif self.fade_us < 0 and self.rssi[s] <= self.rpeak - p.fade_db:
                self.fade_us = t
        else:
            self.fade_us = -1  # the side it left hears it again: it may be coming back

    def held(self, t: int, p: PortalParams) -> bool:
        """The candidate side has dominated long enough, with enough reads, to be judged."""
        return (self.cand != NONE and self.cand_reads >= p.min_side_reads
                and t - self.cand_since >= p.hold_us)

    def faded(self, t: int, p: PortalParams, confirm_us: int) -> bool:
        """The tag moved on from the door on its new side (its RSSI there fell from the peak,
        or it went unheard), and the side it left has not heard it since."""
        cand = self.cand
        if self.fade_us < 0 and p.fade_energy_db > 0:
            self._decay(t, p)
            if self.levels(p)[cand] <= self.cand_peak - p.fade_energy_db:
                self.fade_us = t  # its read energy there fell: fewer reads, weaker (leaving)
        start = self.fade_us
        gone = self.seen_us[cand] + p.silent_us
        if t >= gone and (start < 0 or gone < start):
            start = gone
        if start < 0 or t - start < confirm_us:
            return False
        return self.seen_us[1 - cand] < start

    def settle(self) -> None:
        """The tag is now on the candidate side."""
        self.at = self.cand
        self.at_peak = self.cand_peak
        self.at_since = self.cand_since
        self.cand = NONE

    def before(self, side: int, until: int) -> tuple[int, float]:
        """Reads and power of `side` in the history before `until`."""
        n, e = 0, 0.0
        for t, s, pw in self.history:
            if t < until and s == side:
                n += 1
                e += pw
        return n, e

    def since(self, side: int, start: int) -> float:
        return sum(pw for t, s, pw in self.history if t >= start and s == side)
