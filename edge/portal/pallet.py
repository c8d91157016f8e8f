"""Pallets at a door: tags whose lead changed to the same side at about the same moment are
moving together, and their pooled evidence decides a crossing early.

Rule kept here: pure functions of the tracks of one door and the portal's params. A tag alone
waits for the per-tag logic (silence or settling); two or more tags that changed side
together are decided as soon as the pallet left the door (the side it came from no longer
hears any of them well, and the side it went to lost them or hears them fading). Weaker tags
heard with the pallet, whose own reads cannot tell the direction (badly oriented, reflections),
move with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from edge.portal.config import PortalParams
from edge.portal.judge import credible
from edge.portal.track import NONE, Track


def pending(tr: Track) -> bool:
    """The tag's lead is on another side than the one it came from, not yet moved early, in a
    presence without back-and-forth (a forklift working in the door is left to the per-tag
    logic, which waits until it is gone)."""
    if tr.closed or tr.origin == NONE or tr.lead == NONE or tr.lead == tr.origin:
        return False
    if tr.turns or tr.crossings:
        return False
    return tr.early is None or tr.early[1] != tr.lead_since


def pallets(tracks: Iterable[Track], p: PortalParams) -> list[list[Track]]:
    """Tracks with a pending crossing, grouped by the side they went to and chained by the
    time their lead changed (each within `pallet_us` of the previous one)."""
    ordered = sorted((tr for tr in tracks if pending(tr)), key=lambda t: (t.lead, t.lead_since))
    out: list[list[Track]] = []
    for tr in ordered:
        if out and out[-1][-1].lead == tr.lead and tr.lead_since - out[-1][-1].lead_since <= (
                p.pallet_us):
            out[-1].append(tr)
        else:
            out.append([tr])
    # pallet-mates also came to the door together: a tag heard there long before the others
    # (a forklift working in the door, a pallet staged by it) is not of the pallet
    kept: list[list[Track]] = []
    for chain in out:
        firsts = sorted(chain, key=lambda t: t.first_us)
        mid = firsts[len(firsts) // 2].first_us
        kept.append([t for t in chain if abs(t.first_us - mid) <= p.arrive_us])
    return kept


def left(members: list[Track], now: int, p: PortalParams) -> bool:
    """A pallet of enough tags left the door on its new side: none of them is heard well on
    the side they came from since the lead changed, most of them moved on, and at least one
    swung clearly from one side to the other (not a reflection)."""
    hold = p.pallet_hold_us if len(members) > 1 else p.alone_hold_us
    if now - max(m.lead_since for m in members) < hold:
        return False  # a forklift nosing through the door turns back within moments
    went = members[0].lead
    came = 1 - went
    firsts = [m.first_us for m in members]
    if len(members) == 1:
        quiet = p.alone_quiet_us
    elif max(firsts) - min(firsts) <= p.mates_us:
        quiet = p.quiet_us
    else:
        quiet = None
    if any(m.strong_us[came] > m.lead_since + p.back_slack_us
           and not (quiet and m.quiet(now, p, quiet)) for m in members):
        return False
    moved = sum(1 for m in members if m.moved_on(now, p, quiet))
    return 2 * moved > len(members) and all(credible(m, came, p) for m in members)


@dataclass(frozen=True, slots=True)
class Mover:
    """A crossing just decided at a door: tags heard with it may ride on it."""

    members: tuple[Track, ...]
    crossed_us: int
    came: int
    decided_us: int

    def span(self) -> tuple[int, int, float]:
        """(first read, last read, strongest level) of its members so far."""
        members = self.members
        return (min(x.first_us for x in members), max(x.last_us for x in members),
                max(x.top for x in members))


def rides(tr: Track, m: Mover, span: tuple[int, int, float], now: int, p: PortalParams
          ) -> bool:
    """A tag heard only while a pallet was at the door (from shortly before it to shortly
    after it), on both sides, and gone now, moves with it when its own reads did not cross:
    much weaker than the pallet (badly oriented: its order is reflections), back and forth, or
    never leading on the side the pallet came from."""
    if now - tr.last_us < p.ride_quiet_us or tr.crossings or tr.early is not None:
        return False
    first, last, top = span
    if tr.first_us < first - p.ride_us or tr.last_us > last + p.ride_us:
        return False
    if tr.side_reads[0] == 0 or tr.side_reads[1] == 0 or tr.reads < 3 or tr in m.members:
        return False  # (a stray tag passing by is read once or twice)
    if tr.last_us < m.crossed_us - p.back_slack_us:
        return False
    if pending(tr) and tr.lead == m.came:
        return False  # crossing the other way on its own: not of this pallet
    weak = tr.top <= top - p.ride_db
    # first heard as the pallet crossed, never leading where it came from, and not after the
    # pallet left: a mate read late (badly oriented until the forklift turned)
    late_mate = (tr.lead_last[m.came] < 0 and tr.first_us >= m.crossed_us - p.back_slack_us
                 and tr.last_us <= last + p.back_slack_us)
    return weak or tr.turns > 0 or late_mate


def mates_side(tr: Track, came: int, decided: Iterable[tuple[Track, int]], p: PortalParams
               ) -> int | None:
    """The side a tag's pallet-mates came from, when they contradict the tag's own few reads:
    at least `min_mates` tags first heard with it at the door (within `arrive_us`), each heard
    far more often (`outweigh` times its reads, and more on their weaker side), moved the
    other way.
    A badly oriented tag read a handful of times has a read order that is mostly chance and
    reflections; its mates' pooled reads are not."""
    if min(tr.side_reads) > p.sparse_reads:
        return None
    votes = [0.0, 0.0]
    count = [0, 0]
    for mate, side in decided:
        if mate is tr or abs(mate.first_us - tr.first_us) > p.arrive_us:
            continue
        if (mate.reads >= p.outweigh * tr.reads
                and min(mate.side_reads) > min(tr.side_reads)):
            votes[side] += mate.reads
            count[side] += 1
    other = 1 - came
    return other if votes[other] > votes[came] and count[other] >= p.min_mates else None
