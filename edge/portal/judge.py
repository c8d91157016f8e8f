"""Judgements over a tag's presence at a portal: is a lead change a real crossing, which way
did a short presence go, how sure are we, and how strongly was the tag there.

Rule kept here: pure functions of a Track and the portal's params; no state of their own.
"""

from __future__ import annotations

import math

from edge.portal.config import PortalParams
from edge.portal.track import INNER, OUTER, Track


def credible(tr: Track, came: int, p: PortalParams) -> bool:
    """A crossing the tag really made: both sides had it close (balanced peaks), and the
    lead swung far (a still tag's noise swings a few dB, a passing tag's much more)."""
    went = 1 - came
    # the side it went to, as heard since it took the lead (earlier reflections there do not
    # count): a tag that crossed was heard about as well there as where it came from
    went_peak = tr.lead_peak if tr.lead == went else tr.peak[went]
    balanced = abs(tr.peak[came] - went_peak) <= p.balance_db
    if staged(tr, came, went_peak, p):
        return False
    cap = p.margin_cap_db  # a side unopposed (the other unheard) shows a huge, meaningless margin
    return balanced and min(tr.margin[came], cap) + min(tr.margin[went], cap) >= p.min_swing_db


def staged(tr: Track, came: int, went_peak: float, p: PortalParams) -> bool:
    """A pallet staged by the door, not crossing: heard on the side it "came from" for longer
    than the slowest pass takes to come through the antenna's field (`stage_us`), and the side
    it "went to" never heard it as well as that side did (it never came near that antenna: a
    fade of the near side and a reflection on the far one swapped the lead for a while)."""
    return (tr.cross_us - tr.first_us > p.stage_us
            and went_peak < tr.peak[came] - p.lead_margin_db)


def judged_whole(tr: Track, p: PortalParams) -> tuple[int, int] | None:
    """A short presence that never changed lead clearly (a fast pallet, few reads): the side
    whose power-weighted mean time came first is the side it came from. Returns (came side,
    crossing time) or None when it cannot be told."""
    duration = tr.last_us - tr.first_us
    if (duration > p.whole_max_us or min(tr.side_reads) < p.whole_min_reads
            or tr.reads < p.whole_min_total):
        return None
    if abs(tr.peak[INNER] - tr.peak[OUTER]) > p.balance_db:
        return None
    inner, outer = (tr.wt[i] / tr.w[i] for i in (INNER, OUTER))
    if abs(inner - outer) < p.whole_min_separation * max(duration, 1):
        return None
    came = OUTER if outer < inner else INNER
    went = 1 - came
    # the share of (came, went) read pairs in that order: ~1 for a pass, lower when the first
    # side kept being heard after the second (a still tag and a stray reflection). With few
    # reads one faint reflection heard late on the first side spoils the count: weighted by
    # the reads' power it hardly counts, if the tag was last heard on the side it went to (one
    # heard last where it came from turned back: a forklift peeking through the door)
    share = p.whole_min_order
    if (tr.after[went] < share * tr.side_reads[came] * tr.side_reads[went]
            and (tr.after_w[went] < share * tr.w[came] * tr.w[went]
                 or tr.seen_us[came] > tr.seen_us[went])):
        return None
    return came, tr.first_us + int((inner + outer) / 2)


def presence(tr: Track) -> float:
    # Stronger counts most; longer (more reads) breaks near-ties: +3 dB per doubling.
    return tr.top + 3.0 * math.log2(1 + tr.reads)


def confidence(tr: Track, came: int, p: PortalParams) -> float:
    """0..1 from how much evidence each side gave and how clearly each side led."""
    went = 1 - came
    evidence = ((1 - math.exp(-tr.side_reads[came] / 3))
                * (1 - math.exp(-tr.side_reads[went] / 3)))
    cap = p.margin_cap_db
    clarity = min(1.0, (min(tr.margin[came], cap) + min(tr.margin[went], cap))
                  / (2 * p.min_swing_db))
    return round(max(0.05, min(0.99, evidence * (0.5 + 0.5 * clarity))), 3)
