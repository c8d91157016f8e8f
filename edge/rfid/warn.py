"""LogLimiter: a warning per kind of trouble at most once a while, saying how many were held.

Rule kept here: a reader that sends ten thousand bad reads a second costs ten thousand
counter increments and one log line a minute, never ten thousand lines. Keys are bounded.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

MAX_KEYS = 1024


class LogLimiter:
    def __init__(self, logger: logging.Logger, interval_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._log, self._interval, self._clock = logger, interval_s, clock
        self._last: dict[str, tuple[float, int]] = {}  # key -> (logged at, held back since)

    def warn(self, key: str, message: str) -> bool:
        """Log `message` unless `key` was logged within the interval; True when logged."""
        now = self._clock()
        logged_at, held = self._last.get(key, (None, 0))
        if logged_at is not None and now - logged_at < self._interval:
            self._last[key] = (logged_at, held + 1)
            return False
        if len(self._last) >= MAX_KEYS and key not in self._last:
            self._last.pop(next(iter(self._last)))  # the oldest key goes
        suffix = f" ({held} more like this since the last report)" if held else ""
        self._log.warning("%s%s", message, suffix)
        self._last[key] = (now, 0)
        return True
