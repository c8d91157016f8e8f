"""Judgements over a tag's presence at a portal: is a change of side a real crossing, which way
did a presence without one go, does a weak tag move with a pallet-mate, how sure are we.

Rule kept here: pure functions of a Track and the portal's params; no state of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.portal_early.params import EarlyParams as PortalParams
from bench.portal_early.track import Track, level_db


@dataclass(frozen=True, slots=True)
class Moved:
    """A tag that crossed a door on its own evidence: its pallet-mates may ride on it."""

    first_us: int  # when the mover was first heard at the door
    crossed_us: int
    came: int
    went: int
    decided_us: int


def balanced(came_db: float, went_db: float, p: PortalParams) -> bool:
    """A tag that really crossed was heard about as well on both sides; a reflection (multipath
    off the trailer or the door frame) is far weaker than the side the tag is on."""
    return abs(came_db - went_db) <= p.balance_db


def first_settle_is_pass(tr: Track, p: PortalParams) -> bool:
    """A tag settling on its first side was already heard on the other side, about as well
    (not just a reflection), before it came to dominate: it came through the door."""
    went = tr.cand
    came = 1 - went
    reads, energy = tr.before(came, tr.cand_since)
    if reads < p.min_before_reads:
        return False
    arrived = tr.since(went, tr.cand_since)
    return level_db(energy) >= level_db(arrived) - p.balance_db


def judged_whole(tr: Track, p: PortalParams) -> tuple[int, int] | None:
    """A presence over without a clear change of side (a fast pallet, few reads): the side
    whose power-weighted mean read time came first is the side it came from, when the two are
    clearly apart and about as strong. Returns (came side, crossing time) or None."""
    w = [0.0, 0.0]
    wt = [0.0, 0.0]
    n = [0, 0]
    t0 = tr.history[0][0] if tr.history else tr.first_us
    for t, s, pw in tr.history:
        w[s] += pw
        wt[s] += pw * (t - t0)
        n[s] += 1
    if min(n) < 1 or sum(n) < 3 or not balanced(level_db(w[0]), level_db(w[1]), p):
        return None
    mean = [wt[0] / w[0], wt[1] / w[1]]
    duration = max(tr.last_us - t0, 1)
    if abs(mean[0] - mean[1]) < p.whole_min_separation * duration:
        return None
    came = 0 if mean[0] < mean[1] else 1
    return came, t0 + int((mean[0] + mean[1]) / 2)


def fits(tr: Track, m: Moved, p: PortalParams) -> float:
    """The share of a tag's reads that fit a crossing: the side it came from before, the side
    it went to after (give or take the slack)."""
    fit = 0
    total = 0
    slack = p.ride_slack_us
    for t, s, _ in tr.history:
        if t < m.first_us - p.ride_us:
            continue
        total += 1
        before = s == m.came and t <= m.crossed_us + slack
        if before or (s == m.went and t >= m.crossed_us - slack):
            fit += 1
    return fit / total if total else 0.0


def both_sides(tr: Track, m: Moved, p: PortalParams) -> bool:
    """Heard on both sides, in the crossing's order (a tag heard on one side only may as well
    be another pallet coming the other way, or the next one, not yet through)."""
    slack = p.ride_slack_us
    went_after = any(s == m.went and t >= m.crossed_us - slack for t, s, _ in tr.history)
    came_before = any(s == m.came and t <= m.crossed_us + slack for t, s, _ in tr.history)
    return went_after and came_before


def rides(tr: Track, m: Moved, now: int, p: PortalParams) -> bool:
    """A tag heard with a mover moves with it: first heard about when the mover was, still
    about at the crossing, not already on the side the mover went to, and its reads fitting
    the crossing (the side it came from before, the side it went to after)."""
    if tr.reads < p.ride_min_reads:
        return False
    if tr.first_us < m.first_us - p.ride_us or tr.first_us > m.crossed_us + p.ride_slack_us:
        return False
    if tr.first_us < m.crossed_us - p.stage_us:
        return False  # heard here long before: a staged pallet, not a pallet-mate
    if tr.at == m.went and tr.at_since < m.crossed_us - p.ride_slack_us:
        return False
    if tr.last_us < m.crossed_us - p.ride_slack_us:
        return False
    fit = 0
    total = 0
    slack = p.ride_slack_us
    for t, s, _ in tr.history:
        if t < m.first_us - p.ride_us:
            continue
        total += 1
        before = s == m.came and t <= m.crossed_us + slack
        if before or (s == m.went and t >= m.crossed_us - slack):
            fit += 1
    return total >= p.ride_min_reads and fit >= p.ride_fit * total and both_sides(tr, m, p)


def confidence(tr: Track, own: bool) -> float:
    """0..1: more reads on both sides, more sure; a move ridden on a mate is less sure."""
    both = min(tr.side_reads)
    base = 0.6 + 0.35 * min(1.0, both / 6) if own else 0.55 + 0.2 * min(1.0, tr.reads / 6)
    return round(min(0.99, base), 3)
