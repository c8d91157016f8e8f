"""EXPERIMENTAL: an early-deciding portal tracker for issue 19, kept for measurement only.

Not used by the gateway (edge/portal/ is). It decides a pass per tag from a decaying read
energy per side (a side dominates by a margin for a hold time, the side it left unheard for
a while), rejects a far-side reflection as the tag's origin by level balance, keeps a tag's
side across long gaps (dwell, trailer), lets weak tags ride on a pallet-mate that crossed, and
gives a move to the door that hears the tag best. On the independent traces it decides ~1 s
after the pallet left the door (p50) and recalls more tags, but forklift peeks that go
through the door for seconds and come back are taken for two passes: see
bench/portal_offline.py --tracker early and the issue-19 notes in its docstring.
"""
