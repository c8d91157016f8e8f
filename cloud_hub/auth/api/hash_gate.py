"""A bound on password hashing: scrypt is made to be slow and big (16 MiB each), so sign-ins
may only use a few threads at once and must never take the threads other requests need.

Rule kept here: at most `slots` hashes run at a time, at most `queue` sign-ins wait for one;
one more is turned away at once (GateFull) instead of queueing without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class GateFull(Exception):
    """Too many sign-ins at once: try again in a moment."""


class HashGate:
    def __init__(self, slots: int, queue: int) -> None:
        self.slots, self.queue = slots, queue
        self._free = asyncio.Semaphore(slots)
        self.waiting = 0
        self.turned_away = 0

    async def run(self, work: Callable[[], T]) -> T:
        """Run `work` (which hashes) on a worker thread once a slot is free."""
        if self._free.locked() and self.waiting >= self.queue:
            self.turned_away += 1
            raise GateFull("too many sign-ins at once; try again in a moment")
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        try:
            return await asyncio.to_thread(work)
        finally:
            self._free.release()
