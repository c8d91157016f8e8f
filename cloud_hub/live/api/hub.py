"""The live feed's fan-out: committed moves and balance changes to WebSocket clients (the
event loop that serves them owns it; any thread may publish).

Rule kept here: publishing never waits for a client. Each client has a bounded queue;
when it is full the oldest message is dropped and counted (or the client is cut off with
a reason, by policy), so a client that never reads cannot slow ingest.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from cloud_hub.live.messages import LiveFilter, Message


@dataclass(eq=False)
class LiveClient:
    filter: LiveFilter
    queue: asyncio.Queue[Message]
    policy: str = "drop_oldest"
    dropped: int = 0
    closed_reason: str | None = None
    pending_drop_notice: bool = field(default=False)

    def offer(self, message: Message) -> None:
        """Called on the event loop: enqueue, dropping the oldest when full."""
        if self.closed_reason is not None or not self.filter.wants(message):
            return
        if self.queue.full():
            if self.policy == "disconnect":
                self.closed_reason = "client too slow: its queue overflowed"
                return
            self.queue.get_nowait()
            self.dropped += 1
            self.pending_drop_notice = True
        self.queue.put_nowait(message)


class LiveHub:
    """Built by cloud_hub.main; `publish` may be called from any thread (a Sink)."""

    def __init__(self, queue_size: int = 1000, policy: str = "drop_oldest") -> None:
        self.queue_size = queue_size
        self.policy = policy
        self.loop: asyncio.AbstractEventLoop | None = None
        self.clients: set[LiveClient] = set()
        self.published = 0
        self.lock = threading.Lock()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def subscribe(self, flt: LiveFilter) -> LiveClient:
        client = LiveClient(flt, asyncio.Queue(self.queue_size), self.policy)
        self.clients.add(client)
        return client

    def unsubscribe(self, client: LiveClient) -> None:
        self.clients.discard(client)

    @property
    def dropped_total(self) -> int:
        return sum(c.dropped for c in self.clients)

    def publish(self, messages: Iterable[Message]) -> None:
        batch = list(messages)
        if not batch or self.loop is None or self.loop.is_closed():
            return
        with self.lock:
            self.published += len(batch)
        try:
            self.loop.call_soon_threadsafe(self._deliver, batch)
        except RuntimeError:  # loop closing during shutdown: nobody is listening any more
            return

    def _deliver(self, batch: list[Message]) -> None:
        for client in list(self.clients):
            for message in batch:
                client.offer(message)
