"""Sign-in throttling per key (a user name, an address): failures counted in a window, and a
lockout once a key has failed too often.

Rule kept here: a locked key is refused without checking anything until its lock ends; only
failures count, so a user who signs in often (or many times at once) is never locked out.
Guesses already hashing when a key locks are bounded by the hash gate's slots. Pure: `now` is
passed in.
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


def locked_for(count: Count | None, now: datetime) -> timedelta | None:
    """How long the key stays locked, or None when it may try."""
    if count is None or count.locked_until is None or count.locked_until <= now:
        return None
    return count.locked_until - now


def after_failure(count: Count | None, now: datetime, limits: Limits) -> Count:
    """The key's count after one more failure: locked once it reaches the limit."""
    if count is None or count.locked_until is not None or now - count.window_start >= limits.window:
        count = Count(0, now)  # the first failure, a window that ended, or a lock that ran out
    failures = count.failures + 1
    locked = now + limits.lockout if failures >= limits.max_failures else None
    return Count(failures, count.window_start, locked)
