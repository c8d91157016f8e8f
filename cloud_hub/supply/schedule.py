"""When planning runs next for a warehouse on a schedule.

Rule kept here: runs keep to the schedule's grid (first run + k × period); a hub that was down
runs once when it is back, not once per missed slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def next_run(due: datetime, every: timedelta, now: datetime) -> datetime:
    """The first slot of the grid through `due` that lies after `now`."""
    if every <= timedelta(0):
        raise ValueError("a schedule's period must be positive")
    if due > now:
        return due
    missed = (now - due) // every + 1
    return due + missed * every
