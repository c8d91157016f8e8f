"""Sans-IO codec of the small-device frame protocol (docs/frame-protocol.md).

Rule kept here: the decoder never raises on what it is fed — a bad or partial frame is
counted and skipped, and decoding resynchronises at the next 0x00 delimiter.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from decimal import Decimal

from firmware_bridge.frames.cobs import cobs_decode, cobs_encode
from firmware_bridge.frames.crc import crc16_ccitt_false
from firmware_bridge.frames.errors import FrameError
from firmware_bridge.frames.model import (
    PROTOCOL_VERSION,
    Ack,
    Command,
    Frame,
    MessageType,
    Reading,
    decimal_parts,
)

DELIMITER = b"\x00"
_HEADER = struct.Struct(">BBHH")  # version, type, device id, sequence number
_CRC = struct.Struct(">H")
_READING = struct.Struct(">BBbi")  # sensor kind, unit, exponent, mantissa
_COMMAND = struct.Struct(">BBBH")  # action, colour, flags, quantity
_ACK = struct.Struct(">HB")  # acked sequence number, status
_FLAG_BLINK, _FLAG_QUANTITY = 0x01, 0x02
_LAYOUTS: dict[int, struct.Struct] = {
    MessageType.READING: _READING,
    MessageType.COMMAND: _COMMAND,
    MessageType.ACK: _ACK,
}
MAX_FRAME_BYTES = 64  # unstuffed; a longer run of bytes is noise, not a frame
MAX_STUFFED_BYTES = MAX_FRAME_BYTES + 2


def _encode_body(frame: Frame) -> tuple[MessageType, bytes]:
    body = frame.body
    if isinstance(body, Reading):
        mantissa, exponent = decimal_parts(body.value)
        return MessageType.READING, _READING.pack(body.kind, body.unit, exponent, mantissa)
    if isinstance(body, Command):
        flags = (_FLAG_BLINK if body.blink else 0) | (
            _FLAG_QUANTITY if body.quantity is not None else 0
        )
        payload = _COMMAND.pack(body.action, body.colour, flags, body.quantity or 0)
        return MessageType.COMMAND, payload
    return MessageType.ACK, _ACK.pack(body.acked_seq, body.status)


def encode(frame: Frame) -> bytes:
    """The bytes on the wire for one frame: COBS(header + payload + CRC) followed by 0x00."""
    kind, payload = _encode_body(frame)
    raw = _HEADER.pack(PROTOCOL_VERSION, kind, frame.device_id, frame.seq) + payload
    return cobs_encode(raw + _CRC.pack(crc16_ccitt_false(raw))) + DELIMITER


def _decode_body(kind: int, payload: bytes) -> Reading | Command | Ack:
    layout = _LAYOUTS.get(kind)
    if layout is None:
        raise FrameError(f"unknown message type 0x{kind:02x}")
    if len(payload) != layout.size:
        raise FrameError(f"{MessageType(kind).name} payload is {len(payload)} bytes, "
                         f"expected {layout.size}")
    if kind == MessageType.READING:
        sensor, unit, exponent, mantissa = _READING.unpack(payload)
        return Reading(sensor, Decimal(mantissa).scaleb(exponent), unit)
    if kind == MessageType.COMMAND:
        action, colour, flags, quantity = _COMMAND.unpack(payload)
        if flags & ~(_FLAG_BLINK | _FLAG_QUANTITY):
            raise FrameError(f"command has reserved flag bits set: 0x{flags:02x}")
        if not flags & _FLAG_QUANTITY and quantity:
            raise FrameError("command carries a quantity but its flag says none")
        shown = quantity if flags & _FLAG_QUANTITY else None
        return Command(action, colour, shown, bool(flags & _FLAG_BLINK))
    acked, status = _ACK.unpack(payload)
    return Ack(acked, status)


def decode(packet: bytes) -> Frame:
    """One frame from its stuffed bytes (without the 0x00 delimiter); FrameError if invalid."""
    if len(packet) > MAX_STUFFED_BYTES:
        raise FrameError(f"frame is {len(packet)} bytes, over the {MAX_STUFFED_BYTES} limit")
    raw = cobs_decode(packet)
    if len(raw) < _HEADER.size + _CRC.size:
        raise FrameError(f"frame is {len(raw)} bytes, shorter than header and CRC")
    content, (crc,) = raw[:-2], _CRC.unpack(raw[-2:])
    if crc16_ccitt_false(content) != crc:
        raise FrameError("CRC mismatch")
    version, kind, device_id, seq = _HEADER.unpack(content[: _HEADER.size])
    if version != PROTOCOL_VERSION:
        raise FrameError(f"unsupported protocol version {version}")
    return Frame(device_id, seq, _decode_body(kind, content[_HEADER.size :]))


@dataclass(frozen=True, slots=True)
class DecoderStats:
    """What a decoder has seen: good frames, corrupt ones (bad COBS/CRC/fields, oversize
    runs, partial frames cut by a delimiter) and the last reason one was dropped."""

    frames: int = 0
    corrupt: int = 0
    discarded_bytes: int = 0
    last_error: str | None = None


class Decoder:
    """Feed it bytes as they come; get whole frames back. Never raises."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._overflowed = False
        self._stats = DecoderStats()

    @property
    def stats(self) -> DecoderStats:
        return self._stats

    @property
    def pending(self) -> int:
        """Bytes held waiting for a delimiter."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while True:
            end = data.find(DELIMITER, start)
            if end < 0:
                self._collect(data[start:])
                return frames
            self._collect(data[start:end])
            frame = self._finish()
            if frame is not None:
                frames.append(frame)
            start = end + 1

    def _collect(self, chunk: bytes) -> None:
        if self._overflowed:
            self._count(0, len(chunk), None)
            return
        self._buffer += chunk
        if len(self._buffer) > MAX_STUFFED_BYTES:
            self._overflowed = True
            dropped = len(self._buffer)
            self._buffer.clear()
            self._count(1, dropped, f"no delimiter within {MAX_STUFFED_BYTES} bytes")

    def _finish(self) -> Frame | None:
        packet = bytes(self._buffer)
        self._buffer.clear()
        if self._overflowed:
            self._overflowed = False
            return None
        if not packet:  # back-to-back delimiters: senders may flush with an extra 0x00
            return None
        try:
            frame = decode(packet)
        except FrameError as exc:
            self._count(1, len(packet), str(exc))
            return None
        s = self._stats
        self._stats = DecoderStats(s.frames + 1, s.corrupt, s.discarded_bytes, s.last_error)
        return frame

    def _count(self, corrupt: int, discarded: int, reason: str | None) -> None:
        s = self._stats
        self._stats = DecoderStats(
            s.frames, s.corrupt + corrupt, s.discarded_bytes + discarded, reason or s.last_error
        )
