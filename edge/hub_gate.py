"""HubGate: whether some hub is known to be subscribed to the moves on this broker connection.

Rule kept here: the gate opens only on a hub's own presence message saying online (published
by the hub after its SUBACK, see cloud_hub/ingest/mqtt/presence.py) and closes when no hub's
latest word is online. A new connection starts closed: after a broker restart the broker may
hold no subscription at all, and what it still knows arrives again as retained presence.
Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import ContractError
from protocol.topics import HubPresence, decode_hub_presence


@dataclass(slots=True)
class HubGate:
    online: dict[str, HubPresence] = field(default_factory=dict)
    ignored: int = 0  # presence messages that were not valid (counted, never trusted)

    @property
    def open(self) -> bool:
        return bool(self.online)

    def reset(self) -> None:
        """A new broker connection: forget every hub until it is heard again."""
        self.online.clear()

    def observe(self, topic: str, payload: bytes) -> HubPresence | None:
        """Take one presence message; returns what it said, None if it was not valid."""
        try:
            presence = decode_hub_presence(topic, payload)
        except ContractError:
            self.ignored += 1
            return None
        if presence.online:
            self.online[presence.hub] = presence
        else:
            self.online.pop(presence.hub, None)
        return presence
