"""The MQTT topic scheme: stockpulse/v1/<warehouse>/<gateway>/<channel>.

Warehouse and gateway ids are single topic levels, so they may not contain
`/`, `+`, `#` or be empty; `parse_topic` rejects anything else with a ContractError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.bounds import MAX_DEPTH, loads_bounded
from protocol.errors import ContractError

ROOT = "stockpulse"
VERSION = "v1"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


class Channel(StrEnum):
    MOVES = "moves"  # StockMoved events, QoS 1
    STATUS = "status"  # retained online/offline, with MQTT last will
    HEARTBEAT = "heartbeat"  # periodic gateway health, queue depth
    READINGS = "readings"  # small-device readings (sensors, scales) via firmware_bridge
    COMMANDS = "commands"  # commands to small devices (pick-to-light)
    ALERTS = "alerts"  # warehouse-level alerts raised by hub rules


@dataclass(frozen=True, slots=True)
class Topic:
    warehouse: str
    gateway: str | None
    channel: Channel

    def __str__(self) -> str:
        if self.gateway is None:
            return f"{ROOT}/{VERSION}/{self.warehouse}/{self.channel}"
        return f"{ROOT}/{VERSION}/{self.warehouse}/{self.gateway}/{self.channel}"


def check_id(value: str, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ContractError(
            f"{what} id {value!r} must be 1-64 characters of letters, digits, '_', '.', '-'",
            what,
        )
    return value


def topic(warehouse: str, gateway: str, channel: Channel | str) -> str:
    """The topic a gateway publishes `channel` on."""
    return str(Topic(check_id(warehouse, "warehouse"), check_id(gateway, "gateway"),
                     Channel(channel)))


def warehouse_topic(warehouse: str, channel: Channel | str) -> str:
    """A warehouse-wide topic (alerts): stockpulse/v1/<warehouse>/<channel>."""
    return str(Topic(check_id(warehouse, "warehouse"), None, Channel(channel)))


def subscription(channel: Channel | str, shared_group: str | None = None) -> str:
    """Filter for one channel of every gateway; `$share/<group>/...` when shared."""
    flt = f"{ROOT}/{VERSION}/+/+/{Channel(channel)}"
    return f"$share/{shared_group}/{flt}" if shared_group else flt


def parse_topic(name: str) -> Topic:
    parts = name.split("/")
    if len(parts) not in (4, 5) or parts[0] != ROOT or parts[1] != VERSION:
        raise ContractError(
            f"topic {name!r} is not {ROOT}/{VERSION}/<warehouse>/[<gateway>/]<channel>"
        )
    try:
        channel = Channel(parts[-1])
    except ValueError:
        raise ContractError(f"topic {name!r} has unknown channel {parts[-1]!r}") from None
    warehouse = check_id(parts[2], "warehouse")
    gateway = check_id(parts[3], "gateway") if len(parts) == 5 else None
    return Topic(warehouse, gateway, channel)


# -- hub presence ----------------------------------------------------------------------------
# stockpulse/hub/presence/<hub-id>, outside the versioned event topics: a hub replica says,
# retained, that its subscription to the moves is in place (published after its SUBACK), and
# its MQTT will deletes that claim. Gateways publish moves only while some hub claims it, so a
# broker that lost its subscriptions (a restart) is never sent moves that nobody receives.
HUB_PRESENCE_PREFIX = f"{ROOT}/hub/presence/"
HUB_PRESENCE_FILTER = f"{HUB_PRESENCE_PREFIX}+"
_NOT_ID = re.compile(r"[^A-Za-z0-9_.\-]")


def hub_presence_id(client_id: str) -> str:
    """A topic-safe hub id from an MQTT client id (one topic level, 64 characters at most)."""
    cleaned = _NOT_ID.sub("-", client_id).lstrip("_.-")[:64]
    return check_id(cleaned or "hub", "hub")


def hub_presence_topic(hub_id: str) -> str:
    return HUB_PRESENCE_PREFIX + check_id(hub_id, "hub")


class HubPresenceMessage(BaseModel):
    """The retained JSON of a hub's claim on stockpulse/hub/presence/<hub>; an empty retained
    payload (the hub's will, or its clean stop) deletes the claim."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hub: Annotated[str, Field(pattern=ID_PATTERN.pattern)]
    state: Literal["online", "offline"]
    group: str | None = Field(None, description="the shared-subscription group, if any")
    subscribed: list[str] = Field(default_factory=list,
                                  description="the topic filters the hub has a SUBACK for")
    at: str | None = Field(None, description="ISO 8601, for people reading the broker; "
                                             "gateways ignore it")


@dataclass(frozen=True, slots=True)
class HubPresence:
    """One hub's claim: online (subscribed to `subscribed`) or not. An empty retained payload
    (the hub's will, or its clean stop) deletes the claim and reads as offline."""

    hub: str
    online: bool
    group: str | None = None
    subscribed: tuple[str, ...] = ()
    at: str | None = None  # ISO 8601, for people reading the broker; gateways ignore it

    def encode(self) -> bytes:
        return HubPresenceMessage(
            hub=self.hub, state="online" if self.online else "offline", group=self.group,
            subscribed=list(self.subscribed), at=self.at).model_dump_json().encode()


def decode_hub_presence(name: str, payload: bytes) -> HubPresence:
    """The presence a message on `name` states; ContractError for another topic or a payload
    that is neither empty nor a JSON object with a state."""
    if not name.startswith(HUB_PRESENCE_PREFIX):
        raise ContractError(f"topic {name!r} is not {HUB_PRESENCE_PREFIX}<hub>")
    hub = check_id(name[len(HUB_PRESENCE_PREFIX):], "hub")
    if not payload:
        return HubPresence(hub, online=False)
    try:  # bounded: a retained presence nested 10,000 deep must not kill a gateway's loop
        body = loads_bounded(payload, MAX_DEPTH)
    except ContractError as exc:
        raise ContractError(f"hub presence is not JSON: {exc.reason}", "payload") from None
    if not isinstance(body, dict) or body.get("state") not in ("online", "offline"):
        raise ContractError("hub presence needs state 'online' or 'offline'", "state")
    group, subscribed, at = body.get("group"), body.get("subscribed"), body.get("at")
    return HubPresence(
        hub, body["state"] == "online", group if isinstance(group, str) else None,
        tuple(s for s in subscribed if isinstance(s, str)) if isinstance(subscribed, list)
        else (), at if isinstance(at, str) else None)
