"""Sign-in throttling per key (a user name, an address): failures counted in a window, and a
lockout once a key has failed too often.

Rule kept here: an attempt is charged before its password is checked and refunded when it
succeeds, so parallel guesses cannot slip past the limit while their hashes run; a locked key
is refused without checking anything until its lock ends. Pure: `now` is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Limits:
    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True, slots=True)
class Count:
    failures: int
    window_start: datetime
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Charged:
    """The key's count after this attempt, and how long the caller must wait (None: go on)."""

    count: Count
    retry_after: timedelta | None


def charge(count: Count | None, now: datetime, limits: Limits) -> Charged:
    if count is not None and count.locked_until is not None and count.locked_until > now:
        return Charged(count, count.locked_until - now)
    if count is None or count.locked_until is not None or now - count.window_start >= limits.window:
        count = Count(0, now)  # first attempt, a window that ended, or a lock that ran out
    if count.failures >= limits.max_failures:
        locked = Count(count.failures, count.window_start, now + limits.lockout)
        return Charged(locked, limits.lockout)
    return Charged(Count(count.failures + 1, count.window_start), None)


def refund(count: Count) -> Count:
    """The attempt succeeded: it was not a failure after all."""
    return Count(max(0, count.failures - 1), count.window_start, count.locked_until)
