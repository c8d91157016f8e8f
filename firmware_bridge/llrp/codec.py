"""Sans-IO LLRP framing: `Decoder.feed(bytes) -> list[Message]` and `encode(message) -> bytes`.

Rule kept: the message header (LLRP 1.0.1 §16.1: 3 reserved bits, 3-bit version, 10-bit
type, 32-bit length, 32-bit id) decides framing. A frame whose header is sound but whose body
is not LLRP becomes a RejectedFrame (the reader answers it and carries on); a header that
cannot be trusted (length < 10 or over the limit) is fatal: LlrpError, and the stream is dead.
Feeding the same bytes in any chunking yields the same messages and the same error.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, replace
from typing import Any

import firmware_bridge.llrp.messages_fixed  # noqa: F401 - registers the fixed-shape messages
from firmware_bridge.llrp.errors import LlrpError, StatusCode
from firmware_bridge.llrp.messages import MESSAGE_TYPES
from firmware_bridge.llrp.wire import Reader

HEADER = struct.Struct("!HII")
LLRP_VERSION = 1  # LLRP 1.0.1 is protocol version 1
DEFAULT_MAX_MESSAGE_BYTES = 1 << 20

Message = Any  # any class in MESSAGE_TYPES, or RejectedFrame on decode


@dataclass(frozen=True)
class RejectedFrame:
    """A well-framed message that could not be decoded; `status` is what to answer with."""

    message_type: int
    message_id: int
    status: StatusCode
    reason: str


def encode(message: Message) -> bytes:
    """One message as bytes, header included (§16.1)."""
    type_num = getattr(message, "TYPE", None)
    if type_num not in MESSAGE_TYPES or not isinstance(message, MESSAGE_TYPES[type_num]):
        raise LlrpError(f"cannot encode {type(message).__name__}")
    body: bytes = message.body()
    length = HEADER.size + len(body)
    if length > 0xFFFFFFFF or not 0 <= message.message_id <= 0xFFFFFFFF:
        raise LlrpError("message length or id does not fit 32 bits", StatusCode.FIELD_ERROR)
    return HEADER.pack((LLRP_VERSION << 10) | type_num, length, message.message_id) + body


def decode_frame(frame: bytes) -> Message:
    """Decode one complete frame (header + body) into a message or a RejectedFrame."""
    word, _length, message_id = HEADER.unpack_from(frame)
    version, type_num = (word >> 10) & 0x7, word & 0x3FF
    if version != LLRP_VERSION:
        return RejectedFrame(type_num, message_id, StatusCode.UNSUPPORTED_VERSION,
                             f"protocol version {version} is not supported")
    cls = MESSAGE_TYPES.get(type_num)
    if cls is None:
        return RejectedFrame(type_num, message_id, StatusCode.UNSUPPORTED_MESSAGE,
                             f"message type {type_num} is not supported")
    reader = Reader(frame[HEADER.size :], cls.__name__)
    try:
        message = cls.parse(reader)
        reader.expect_end()
    except LlrpError as exc:
        return RejectedFrame(type_num, message_id, exc.status, exc.reason)
    return replace(message, message_id=message_id)


class Decoder:
    """Accumulates bytes from a stream and cuts them into messages."""

    def __init__(self, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._buffer = bytearray()
        self._max = max_message_bytes
        self._failed: LlrpError | None = None

    @property
    def failed(self) -> LlrpError | None:
        """The fatal framing error once one was seen; the stream cannot be resynchronised."""
        return self._failed

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes; return every message now complete.

        A fatal framing error is raised at once if no message came before it in this call,
        else the messages are returned and the error is raised by the next call.
        """
        if self._failed is not None:
            raise self._failed
        self._buffer += data
        out: list[Message] = []
        while len(self._buffer) >= HEADER.size:
            _word, length, _id = HEADER.unpack_from(self._buffer)
            if length < HEADER.size or length > self._max:
                self._failed = LlrpError(
                    f"message length {length} outside {HEADER.size}..{self._max}",
                    StatusCode.FIELD_ERROR,
                )
                if not out:
                    raise self._failed
                break
            if len(self._buffer) < length:
                break
            frame = bytes(self._buffer[:length])
            del self._buffer[:length]
            out.append(decode_frame(frame))
        return out
