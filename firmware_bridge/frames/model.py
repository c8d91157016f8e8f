"""What a small device and the bridge say to each other: readings, commands and acks.

Rule kept here: a Frame that exists is encodable — every field is range-checked on
construction (FrameError otherwise), so encode() never meets a value it cannot carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import TypeVar

from firmware_bridge.frames.errors import FrameError

PROTOCOL_VERSION = 1
U16_MAX = 0xFFFF
I32_MIN, I32_MAX = -(2**31), 2**31 - 1
MAX_QUANTITY = 9999  # four-digit pick-to-light display
E = TypeVar("E", bound=IntEnum)


class MessageType(IntEnum):
    READING = 0x01
    COMMAND = 0x02
    ACK = 0x03


class SensorKind(IntEnum):
    DOOR = 1  # dock door: 1 open, 0 closed
    PRESENCE = 2  # light curtain / trailer present: 1 present
    WEIGHT = 3  # scale
    TEMPERATURE = 4  # cold-chain probe
    HUMIDITY = 5
    BUTTON = 6  # pick-to-light confirm press: value = quantity confirmed


class Unit(IntEnum):
    NONE = 0
    STATE = 1  # 0 / 1
    CELSIUS = 2
    KILOGRAM = 3
    GRAM = 4
    PERCENT = 5
    COUNT = 6


class LightAction(IntEnum):
    OFF = 0
    ON = 1


class Colour(IntEnum):
    NONE = 0
    RED = 1
    GREEN = 2
    BLUE = 3
    YELLOW = 4
    WHITE = 5


class AckStatus(IntEnum):
    OK = 0
    UNSUPPORTED = 1  # this device has no light / display
    INVALID = 2  # the command's values make no sense for this device


def _check(value: int, low: int, high: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FrameError(f"{what} must be an integer {low}..{high}, not {value!r}")


def decimal_parts(value: Decimal) -> tuple[int, int]:
    """(mantissa, exponent) with value == mantissa * 10**exponent, both in wire range."""
    try:
        if not value.is_finite():
            raise FrameError(f"reading value must be finite, not {value}")
        sign, digits, exponent = value.normalize().as_tuple()
    except (InvalidOperation, AttributeError) as exc:
        raise FrameError(f"reading value {value!r} is not a decimal number") from exc
    mantissa = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    assert isinstance(exponent, int)
    while exponent > 0 and I32_MIN <= mantissa * 10 <= I32_MAX:  # prefer small exponents
        mantissa, exponent = mantissa * 10, exponent - 1
    if mantissa == 0:
        exponent = 0
    if not I32_MIN <= mantissa <= I32_MAX or not -128 <= exponent <= 127:
        raise FrameError(f"reading value {value} does not fit int32 × 10^int8")
    return mantissa, exponent


@dataclass(frozen=True, slots=True)
class Reading:
    """One measurement from a sensor: kind, value, unit (the device has no clock)."""

    kind: SensorKind
    value: Decimal
    unit: Unit

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _enum(SensorKind, self.kind, "sensor kind"))
        object.__setattr__(self, "unit", _enum(Unit, self.unit, "unit"))
        if not isinstance(self.value, Decimal):
            raise FrameError(f"reading value must be a Decimal, not {type(self.value).__name__}")
        decimal_parts(self.value)


@dataclass(frozen=True, slots=True)
class Command:
    """Pick-to-light: switch the light on or off, in a colour, optionally showing a quantity."""

    action: LightAction
    colour: Colour = Colour.NONE
    quantity: int | None = None
    blink: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "action", _enum(LightAction, self.action, "light action"))
        object.__setattr__(self, "colour", _enum(Colour, self.colour, "colour"))
        if self.quantity is not None:
            _check(self.quantity, 0, MAX_QUANTITY, "quantity")
        if not isinstance(self.blink, bool):
            raise FrameError(f"blink must be true or false, not {self.blink!r}")


@dataclass(frozen=True, slots=True)
class Ack:
    """A device's answer to the command frame with sequence number `acked_seq`."""

    acked_seq: int
    status: AckStatus = AckStatus.OK

    def __post_init__(self) -> None:
        _check(self.acked_seq, 0, U16_MAX, "acked sequence number")
        object.__setattr__(self, "status", _enum(AckStatus, self.status, "ack status"))


Body = Reading | Command | Ack


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: who sent it (or is addressed), its sequence number, and what it says."""

    device_id: int
    seq: int
    body: Body

    def __post_init__(self) -> None:
        _check(self.device_id, 0, U16_MAX, "device id")
        _check(self.seq, 0, U16_MAX, "sequence number")
        if not isinstance(self.body, Reading | Command | Ack):
            raise FrameError(f"frame body must be a Reading, Command or Ack, not {self.body!r}")


def _enum(cls: type[E], value: object, what: str) -> E:
    try:
        if not isinstance(value, int):  # what an IntEnum would refuse with ValueError too
            raise ValueError(value)
        return cls(value)
    except ValueError:
        raise FrameError(f"unknown {what} {value!r}") from None
