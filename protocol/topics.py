"""The MQTT topic scheme: stockpulse/v1/<warehouse>/<gateway>/<channel>.

Warehouse and gateway ids are single topic levels, so they may not contain
`/`, `+`, `#` or be empty; `parse_topic` rejects anything else with a ContractError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

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
