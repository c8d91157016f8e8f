"""What small devices say and are told over MQTT, through the serial bridge: readings and acks
out (…/<gateway>/readings), commands in (…/<gateway>/commands).

Rule kept here: these models are the JSON contract; the bridge (firmware_bridge.frames.messages)
turns frames into them and them into frames, the hub and the AsyncAPI document read them. The
names of sensor kinds, units, light actions, colours and ack statuses are the lower-case names
of the frame codec's enums (a test holds them equal). A command payload is validated whole
(extra keys refused, size bounded) before anything reaches a device; a bad one is a
ContractError naming the field.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Final, Literal, get_args

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from protocol.bounds import MAX_DEPTH, loads_bounded
from protocol.codec import describe
from protocol.errors import ContractError

SCHEMA: Final = 1  # Final: its type is Literal[1], what `schema_` below accepts
MAX_COMMAND_BYTES = 4096
U16_MAX = 0xFFFF
MAX_QUANTITY = 9999  # four-digit pick-to-light display

SensorKindName = Literal["door", "presence", "weight", "temperature", "humidity", "button"]
UnitName = Literal["none", "state", "celsius", "kilogram", "gram", "percent", "count"]
LightActionName = Literal["off", "on"]
ColourName = Literal["none", "red", "green", "blue", "yellow", "white"]
AckStatusName = Literal["ok", "unsupported", "invalid"]


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# finite; its wire range (int32 mantissa x 10^int8) is the frame codec's to check
JsonDecimal = Annotated[Decimal, PlainSerializer(_number, return_type=float, when_used="json"),
                        Field(allow_inf_nan=False)]
DeviceId = Annotated[int, Field(ge=0, le=U16_MAX, strict=True)]
Seq = Annotated[int, Field(ge=0, le=U16_MAX)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
CommandId = Annotated[str, Field(min_length=1, max_length=64)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal[1] = Field(default=SCHEMA, alias="schema")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class _FromDevice(_Message):
    warehouse: Id
    gateway: Id
    device_id: DeviceId
    seq: Seq
    received_at: AwareDatetime  # the bridge's clock: small devices have none


class ReadingMessage(_FromDevice):
    """A sensor reading, e.g. {"kind": "temperature", "value": -18.25, "unit": "celsius"}."""

    type: Literal["reading"] = "reading"
    kind: SensorKindName
    value: JsonDecimal
    unit: UnitName


class AckMessage(_FromDevice):
    """A device acknowledged the command frame `acked_seq` (and so `command_id`, if given)."""

    type: Literal["ack"] = "ack"
    acked_seq: Seq
    status: AckStatusName
    command_id: CommandId | None = None


class CommandRejectedMessage(_Message):
    """A command the bridge could not forward, with the reason (published, and counted)."""

    type: Literal["command_rejected"] = "command_rejected"
    warehouse: Id
    gateway: Id
    reason: Annotated[str, Field(max_length=1024)]
    received_at: AwareDatetime
    command_id: CommandId | None = None


FromDevice = Annotated[ReadingMessage | AckMessage | CommandRejectedMessage,
                      Field(discriminator="type")]
_FROM_DEVICE: TypeAdapter[ReadingMessage | AckMessage | CommandRejectedMessage] = \
    TypeAdapter(FromDevice)
MAX_DEVICE_MESSAGE_BYTES = 4096


def decode_device_message(payload: bytes) -> ReadingMessage | AckMessage | CommandRejectedMessage:
    """One message of a …/readings topic; ContractError names what is wrong with it."""
    if len(payload) > MAX_DEVICE_MESSAGE_BYTES:
        raise ContractError(f"device message is {len(payload)} bytes, over "
                            f"{MAX_DEVICE_MESSAGE_BYTES}")
    body = loads_bounded(payload, MAX_DEPTH)
    if not isinstance(body, dict):
        raise ContractError("a device message is a JSON object")
    try:
        return _FROM_DEVICE.validate_python(body)
    except ValidationError as exc:
        raise ContractError(describe(exc, "device message")) from None


# What a sensor can physically report, by (kind, unit): outside it the device is broken or
# misconfigured, and its reading is refused with this reason rather than stored as truth.
PLAUSIBLE: dict[tuple[str, str], tuple[Decimal, Decimal]] = {
    ("temperature", "celsius"): (Decimal(-90), Decimal(150)),
    ("humidity", "percent"): (Decimal(0), Decimal(100)),
    ("weight", "kilogram"): (Decimal(-100), Decimal(100_000)),
    ("weight", "gram"): (Decimal(-100_000), Decimal(100_000_000)),
    ("door", "state"): (Decimal(0), Decimal(1)),
    ("presence", "state"): (Decimal(0), Decimal(1)),
    ("button", "count"): (Decimal(0), Decimal(MAX_QUANTITY)),
}


def implausible(reading: ReadingMessage) -> str | None:
    """Why a reading cannot be true (a probe at -300 °C, a humidity of 140 %), or None."""
    bounds = PLAUSIBLE.get((reading.kind, reading.unit))
    if bounds is None:
        return f"a {reading.kind} reading in {reading.unit} is not one this hub understands"
    low, high = bounds
    if not low <= reading.value <= high:
        value = f"{reading.value.normalize():f}"
        return (f"{reading.kind} {value} {reading.unit} is outside what such a sensor can "
                f"report ({low}..{high}): is the device broken or misconfigured?")
    return None


def _lower_name(value: object, names: tuple[str, ...]) -> object:
    """Case-insensitive names (a person types "ON" or "Blue"); anything else is refused."""
    if isinstance(value, str) and value.lower() in names:
        return value.lower()
    raise ValueError(f"must be one of {', '.join(names)}")


class CommandMessage(_Message):
    """What to show on a pick-to-light: {"device_id": 7, "action": "on", "colour": "green",
    "quantity": 12}; `command_id` is echoed in the ack so the sender can match them."""

    device_id: DeviceId
    action: LightActionName
    colour: ColourName = "none"
    quantity: Annotated[int, Field(ge=0, le=MAX_QUANTITY, strict=True)] | None = None
    blink: Annotated[bool, Field(strict=True)] = False
    command_id: CommandId | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: object) -> object:
        return _lower_name(value, get_args(LightActionName))

    @field_validator("colour", mode="before")
    @classmethod
    def _colour(cls, value: object) -> object:
        return _lower_name(value, get_args(ColourName))


def parse_command(payload: bytes) -> CommandMessage:
    """Validate one MQTT command payload; ContractError says what is wrong with it."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise ContractError(f"command is {len(payload)} bytes, over {MAX_COMMAND_BYTES}")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ContractError(f"command is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ContractError(f"a command must be a JSON object, not {type(data).__name__}")
    try:
        return CommandMessage.model_validate(data)
    except ValidationError as exc:
        raise ContractError(describe(exc)) from None
