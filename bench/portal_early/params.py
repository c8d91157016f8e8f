"""Knobs of the experimental early-deciding portal tracker (see __init__.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EarlyParams:
    """How a dock-door portal turns reads into passes (times in µs, levels in dBm / dB).

    The physics behind the defaults: a tag on one side of the door is heard far better by that
    side's antenna (front/back ratio, distance); a reflection on the far antenna is 15 dB or
    more weaker than the near side; tags of one pallet cross within a second or two."""

    smoothing_us: int = 600_000  # time constant of each side's decaying read energy
    presence_us: int = 4_000_000  # ... and of the energy that says which door hears a tag best
    quiet_grace_us: int = 300_000  # a side unheard longer than this fades faster,
    quiet_us: int = 300_000  # with this extra time constant
    floor_dbm: float = -95.0  # energy added to both sides: a handful of faint reads is no lead
    lead_margin_db: float = 6.0  # a side dominates when its energy beats the other's by this
    min_side_reads: int = 3  # reads a dominating side needs before the tag is on that side
    hold_us: int = 300_000  # ... and how long it must have dominated
    rssi_smoothing_us: int = 400_000  # time constant of each side's smoothed RSSI
    fade_db: float = 4.0  # a crossing is decided once the new side's RSSI fell this far below
    fade_energy_db: float = 8.0  # or its read energy there fell this far below its peak, or
    silent_us: int = 600_000  # its peak (the tag moving on, away from the door) or it went
    confirm_us: int = 400_000  # unheard this long, and then the old side stayed unheard this
    # long (a forklift peeking through the door and turning back is heard there again)
    balance_db: float = 12.0  # a side this much weaker than the other was a reflection
    transit_us: int = 1_500_000  # a weaker old side last heard this long before: not its origin
    near_db: float = 6.0  # the new side this close to the old side's peak: decided quickly;
    confirm_weak_us: int = 2_000_000  # a weaker new side needs the old one unheard this long
    stage_us: int = 20_000_000  # on its side this long: staged (moves only on a strong pass)
    reach_db: float = 15.0  # the side a tag went to comes this close to the level it left
    min_before_reads: int = 2  # reads of the side it came from a first settle needs to be a pass
    gap_us: int = 2_000_000  # silence after which an undecided presence is judged whole
    whole_min_separation: float = 0.25  # ... the sides' mean times this far apart (share)
    forget_us: int = 120_000_000  # silence after which a tag's side at the door is forgotten
    reverse: bool = True  # a tag back across within dedup_us gets the compensating move
    dedup_us: int = 10_000_000  # same tag, portal and direction within this: one pass
    join_us: int = 3_000_000  # a tag first heard this soon after a group began joins it
    join_gap_us: int = 1_500_000  # ... if the group was heard this recently
    join_db: float = 12.0  # ... on its side, at most this much weaker
    regroup_us: int = 5_000_000  # a tag silent this long at the door leaves its group
    own: bool = False  # a tag's own plain crossing moves it too (not only its group's)
    riders: bool = True  # tags of other groups whose reads fit a crossing move with it
    ride_us: int = 3_000_000  # a pallet-mate first heard this close to a mover rides on it
    ride_slack_us: int = 1_000_000  # its reads may be this far on the wrong side of the crossing
    member_fit: float = 0.5  # a group member moves with its group unless most reads disagree
    member_both: bool = False  # ... and it was heard on both sides, in the crossing's order
    member_min_reads: int = 3  # ... and it was heard this often (a stray passing by is not)
    ride_fit: float = 0.9  # ... with this share of its reads fitting the crossing
    ride_min_reads: int = 3  # and it needs at least this many reads (strays have one or two)
    min_peak_dbm: float = -85.0  # a pass whose strongest read is weaker is a stray
