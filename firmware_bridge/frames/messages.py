"""JSON messages the serial bridge speaks on MQTT: readings and acks out, commands in.

Rule kept here: a command payload is validated whole (pydantic, extra keys refused) before
anything reaches a device; a bad one becomes a ContractError naming the field, never a frame.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
)

from firmware_bridge.frames.errors import FrameError
from firmware_bridge.frames.model import (
    MAX_QUANTITY,
    U16_MAX,
    Ack,
    Colour,
    Command,
    Frame,
    LightAction,
    Reading,
)
from protocol import ContractError
from protocol.codec import describe

SCHEMA: Final = 1  # Final: its type is Literal[1], what `schema_` below accepts
MAX_COMMAND_BYTES = 4096


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


JsonDecimal = Annotated[Decimal, PlainSerializer(_number, when_used="json")]
DeviceId = Annotated[int, Field(ge=0, le=U16_MAX, strict=True)]
Seq = Annotated[int, Field(ge=0, le=U16_MAX)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: Literal[1] = Field(default=SCHEMA, alias="schema")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class _FromDevice(_Message):
    warehouse: str
    gateway: str
    device_id: DeviceId
    seq: Seq
    received_at: AwareDatetime  # the bridge's clock: small devices have none


class ReadingMessage(_FromDevice):
    """A sensor reading, e.g. {"kind": "temperature", "value": -18.25, "unit": "celsius"}."""

    type: Literal["reading"] = "reading"
    kind: str
    value: JsonDecimal
    unit: str


class AckMessage(_FromDevice):
    """A device acknowledged the command frame `acked_seq` (and so `command_id`, if given)."""

    type: Literal["ack"] = "ack"
    acked_seq: Seq
    status: str
    command_id: str | None = None


class CommandRejectedMessage(_Message):
    """A command the bridge could not forward, with the reason (published, and counted)."""

    type: Literal["command_rejected"] = "command_rejected"
    warehouse: str
    gateway: str
    reason: str
    received_at: AwareDatetime
    command_id: str | None = None


def _enum_name(enum_cls: type[LightAction] | type[Colour], value: object) -> object:
    if isinstance(value, str) and value.upper() in enum_cls.__members__:
        return value.lower()
    names = ", ".join(m.lower() for m in enum_cls.__members__)
    raise ValueError(f"must be one of {names}")


class CommandMessage(_Message):
    """What to show on a pick-to-light: {"device_id": 7, "action": "on", "colour": "green",
    "quantity": 12}; `command_id` is echoed in the ack so the sender can match them."""

    device_id: DeviceId
    action: str
    colour: str = "none"
    quantity: Annotated[int, Field(ge=0, le=MAX_QUANTITY, strict=True)] | None = None
    blink: Annotated[bool, Field(strict=True)] = False
    command_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, value: object) -> object:
        return _enum_name(LightAction, value)

    @field_validator("colour", mode="before")
    @classmethod
    def _colour(cls, value: object) -> object:
        return _enum_name(Colour, value)


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


def command_frame(message: CommandMessage, seq: int) -> Frame:
    """The frame that carries `message` to its device as sequence number `seq`."""
    try:
        body = Command(
            LightAction[message.action.upper()],
            Colour[message.colour.upper()],
            message.quantity,
            message.blink,
        )
        return Frame(message.device_id, seq, body)
    except FrameError as exc:
        raise ContractError(str(exc)) from None


def reading_message(frame: Frame, warehouse: str, gateway: str, now: datetime) -> ReadingMessage:
    if not isinstance(frame.body, Reading):
        raise FrameError(f"frame {frame.seq} from device {frame.device_id} is not a reading")
    body = frame.body
    return ReadingMessage(
        warehouse=warehouse, gateway=gateway, device_id=frame.device_id, seq=frame.seq,
        received_at=now, kind=body.kind.name.lower(), value=body.value,
        unit=body.unit.name.lower(),
    )


def ack_message(
    frame: Frame, warehouse: str, gateway: str, now: datetime, command_id: str | None
) -> AckMessage:
    if not isinstance(frame.body, Ack):
        raise FrameError(f"frame {frame.seq} from device {frame.device_id} is not an ack")
    return AckMessage(
        warehouse=warehouse, gateway=gateway, device_id=frame.device_id, seq=frame.seq,
        received_at=now, acked_seq=frame.body.acked_seq, status=frame.body.status.name.lower(),
        command_id=command_id,
    )
