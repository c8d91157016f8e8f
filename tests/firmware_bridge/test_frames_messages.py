"""MQTT JSON messages of the bridge, the device's command logic, and core import hygiene."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.device_emulator import LightState, apply_command
from firmware_bridge.frames import (
    Ack,
    AckStatus,
    Colour,
    Command,
    Frame,
    FrameError,
    LightAction,
    Reading,
    SensorKind,
    Unit,
)
from firmware_bridge.frames.messages import (
    ack_message,
    command_frame,
    parse_command,
    reading_message,
)
from firmware_bridge.frames.model import MAX_QUANTITY, U16_MAX
from protocol import ContractError, devices

NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def test_reading_message_json() -> None:
    frame = Frame(7, 3, Reading(SensorKind.TEMPERATURE, Decimal("-18.25"), Unit.CELSIUS))
    body = json.loads(reading_message(frame, "WH1", "GW", NOW).to_json())
    assert body == {"schema": 1, "type": "reading", "warehouse": "WH1", "gateway": "GW",
                    "device_id": 7, "seq": 3, "received_at": "2026-03-01T08:30:00Z",
                    "kind": "temperature", "value": -18.25, "unit": "celsius"}


def test_ack_message_carries_the_command_id() -> None:
    body = json.loads(ack_message(Frame(7, 9, Ack(4, AckStatus.UNSUPPORTED)), "WH1", "GW",
                                  NOW, "pick-1").to_json())
    assert (body["acked_seq"], body["status"], body["command_id"]) == (4, "unsupported", "pick-1")
    with pytest.raises(FrameError):
        ack_message(Frame(7, 9, Command(LightAction.OFF)), "WH1", "GW", NOW, None)


def test_command_json_becomes_a_frame() -> None:
    message = parse_command(b'{"schema": 1, "device_id": 12, "action": "ON", "colour": "Blue",'
                            b' "quantity": 0, "blink": true, "command_id": "c1"}')
    assert command_frame(message, 5) == Frame(12, 5, Command(LightAction.ON, Colour.BLUE, 0, True))


@pytest.mark.parametrize(
    ("payload", "names"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"\xff", "not JSON"),
        (b"null", "JSON object"),
        (b'{"action": "on"}', "device_id"),
        (b'{"device_id": true, "action": "on"}', "device_id"),
        (b'{"device_id": 1.5, "action": "on"}', "device_id"),
        (b'{"device_id": 1, "action": "flash"}', "action"),
        (b'{"device_id": 1, "action": "on", "colour": 3}', "colour"),
        (b'{"device_id": 1, "action": "on", "quantity": -1}', "quantity"),
        (b'{"device_id": 1, "action": "on", "quantity": "5"}', "quantity"),
        (b'{"device_id": 1, "action": "on", "blink": "yes"}', "blink"),
        (b'{"device_id": 1, "action": "on", "schema": 2}', "schema"),
        (b'{"device_id": 1, "action": "on", "lamp": 1}', "lamp"),
        (b'{"device_id": 1, "action": "on", "command_id": ""}', "command_id"),
        (b"[" * 100_000, "bytes"),
    ],
)
def test_bad_commands_are_contract_errors_naming_the_problem(payload: bytes, names: str) -> None:
    with pytest.raises(ContractError, match=names):
        parse_command(payload)


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_command_payload_parses_or_raises_contract_error(payload: bytes) -> None:
    try:
        message = parse_command(payload)
    except ContractError:
        return
    command_frame(message, 1)


@pytest.mark.parametrize(
    ("state", "command", "has_light", "after", "status"),
    [
        (LightState(), Command(LightAction.ON, Colour.GREEN, 3), True,
         LightState(True, Colour.GREEN, 3), AckStatus.OK),
        (LightState(True, Colour.RED, 1), Command(LightAction.OFF), True, LightState(),
         AckStatus.OK),
        (LightState(), Command(LightAction.ON), True, LightState(), AckStatus.INVALID),
        (LightState(), Command(LightAction.ON, Colour.RED), False, LightState(),
         AckStatus.UNSUPPORTED),
    ],
)
def test_pick_to_light_applies_commands(state, command, has_light, after, status) -> None:
    assert apply_command(state, command, has_light) == (after, status)


@pytest.mark.parametrize(
    ("names", "codec_enum"),
    [(devices.SensorKindName, SensorKind), (devices.UnitName, Unit),
     (devices.LightActionName, LightAction), (devices.ColourName, Colour),
     (devices.AckStatusName, AckStatus)],
)
def test_the_json_contract_names_every_frame_value_and_nothing_else(names, codec_enum) -> None:
    """A device kind added to the frame codec but not to protocol.devices (or the other way
    round) would publish readings the hub and the AsyncAPI document refuse."""
    assert set(get_args(names)) == {m.name.lower() for m in codec_enum}


def test_command_limits_are_the_frame_codecs() -> None:
    assert (devices.MAX_QUANTITY, devices.U16_MAX) == (MAX_QUANTITY, U16_MAX)
