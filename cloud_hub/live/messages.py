"""What the live feed carries and which of it a client sees: messages (move, balance,
gateway, ...) as JSON objects, the filter a WebSocket was opened with, and the sink any writer
publishes to after its commit.

Rule kept here (pure): a feed of one warehouse shows that warehouse's messages only — a message
that names none could be anybody's — and a zone filter keeps the moves and balances that touch
the zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

Message = dict[str, Any]


class Sink(Protocol):
    """Where committed news goes (cloud_hub.live.api.hub.LiveHub); publishing never waits."""

    def publish(self, messages: Iterable[Message]) -> None: ...


@dataclass(frozen=True, slots=True)
class LiveFilter:
    warehouse: str | None = None
    zone: str | None = None

    def wants(self, message: Message) -> bool:
        # a feed of one warehouse shows that warehouse's messages only (a message that names
        # none could be anybody's): the ticket that opened it fixed the warehouse
        if self.warehouse is not None and message.get("warehouse") != self.warehouse:
            return False
        if self.zone is not None and message.get("type") in ("move", "balance"):
            return self.zone in message.get("zones", ())
        return True
