"""Frames to and from the JSON messages the serial bridge speaks on MQTT (their models are the
contract in protocol.devices): readings and acks out, commands in.

Rule kept here: a command payload is validated whole (protocol.devices.parse_command) before
anything reaches a device; a bad one becomes a ContractError naming the field, never a frame.
"""

from __future__ import annotations

from datetime import datetime

from firmware_bridge.frames.errors import FrameError
from firmware_bridge.frames.model import Ack, Colour, Command, Frame, LightAction, Reading
from protocol import ContractError
from protocol.devices import (
    AckMessage,
    CommandMessage,
    CommandRejectedMessage,
    ReadingMessage,
    parse_command,
)

__all__ = ["AckMessage", "CommandMessage", "CommandRejectedMessage", "ReadingMessage",
           "ack_message", "command_frame", "parse_command", "reading_message"]


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
