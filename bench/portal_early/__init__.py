"""EXPERIMENTAL: an early-deciding portal tracker for issue 19, kept for measurement only.

Not used by the gateway (edge/portal/ is). Measured with
`bench/portal_offline.py --tracker early` (the six independent traces, offline, 50 ms reports)
and tested on synthetic phenomena in tests/edge/test_portal_early.py.

How it decides (tracker.py, track.py, judge.py; knobs in params.py):
- per door, tags first heard within `join_us` of each other, on the side the group is on and
  about as strongly (`join_db`), form a pallet group; the group's reads are pooled into one
  presence, so a weak or badly oriented tag moves with its pallet;
- a side dominates when its decaying read energy beats the other's by `lead_margin_db` for
  `hold_us` and `min_side_reads`; a side unheard for a moment fades faster (`quiet_*`);
- a crossing is decided once the pallet moved on from the door on its new side (RSSI or read
  energy fell from the peak, or it went unheard) and the side it left stayed unheard for
  `confirm_us` -- a forklift peeking through the door and turning back is heard there again;
- an origin side much weaker than the new side, or last heard long before it (an early
  far-side reflection) is not where the pallet came from; a new side much weaker than the
  old one is a reflection; a pallet staged on one side for `stage_us` moves only on a strong
  pass (a fading static tag does not);
- a tag keeps its side across long gaps (dwell, trailer) until `forget_us`; a move goes to the
  door that received the most read power from the tag during the pass (cross-reads); a tag
  first heard apart from its pallet rides on the pallet's crossing when heard on both sides in
  the crossing's order.

Figures (offline, default knobs): on the six independent traces recall over observable
tag-passes 0.928, pallets moved 0.912, 8 direction errors, precision 0.968, emit after t_exit
p50 0.79 s / p99 3.07 s -- the gateway's PortalTracker gets 0.841, 0.912, 11, 0.946,
3.59 s / 19.2 s there. On the project's own noisy scenarios (dense single-tag traffic, one
pass every 1.6 s) the grouping merges consecutive pallets: recall 0.76 with many phantoms,
where PortalTracker gets 1.000 with none; own=True member_both=True gets 0.956 there (64
phantoms over 1020 passes) and 0.903 / precision 0.954 on the independent traces. That is
why it is not the gateway's logic yet: grouping has to tell a pallet's tags from the next
pallet's (correlated RSSI over time, not only first-read time).
"""
