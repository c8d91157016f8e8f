"""The framed serial protocol of small devices (sensors, scales, pick-to-light): a sans-IO codec."""

from firmware_bridge.frames.codec import DELIMITER, Decoder, DecoderStats, decode, encode
from firmware_bridge.frames.errors import FrameError
from firmware_bridge.frames.model import (
    PROTOCOL_VERSION,
    Ack,
    AckStatus,
    Colour,
    Command,
    Frame,
    LightAction,
    MessageType,
    Reading,
    SensorKind,
    Unit,
)

__all__ = [
    "DELIMITER",
    "PROTOCOL_VERSION",
    "Ack",
    "AckStatus",
    "Colour",
    "Command",
    "Decoder",
    "DecoderStats",
    "Frame",
    "FrameError",
    "LightAction",
    "MessageType",
    "Reading",
    "SensorKind",
    "Unit",
    "decode",
    "encode",
]
