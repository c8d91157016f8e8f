"""Consistent Overhead Byte Stuffing (Cheshire & Baker, IEEE/ACM ToN 7(2), 1999).

Rule kept here: an encoded block never contains 0x00, so 0x00 can delimit frames on the wire.
"""

from __future__ import annotations

from firmware_bridge.frames.errors import FrameError

_MAX_BLOCK = 0xFF  # a code byte of 0xFF means "254 data bytes, no zero follows"


def cobs_encode(data: bytes) -> bytes:
    """Stuff `data` so the result holds no zero byte (overhead: 1 byte per 254, plus 1)."""
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
            continue
        block.append(byte)
        if len(block) == _MAX_BLOCK - 1:
            out.append(_MAX_BLOCK)
            out += block
            block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Undo `cobs_encode`; FrameError when `data` is not a valid stuffed block."""
    out = bytearray()
    index = 0
    size = len(data)
    while index < size:
        code = data[index]
        if code == 0:
            raise FrameError("COBS: zero byte inside a stuffed frame")
        end = index + code
        if end > size:
            raise FrameError("COBS: block runs past the end of the frame")
        block = data[index + 1 : end]
        if 0 in block:
            raise FrameError("COBS: zero byte inside a stuffed frame")
        out += block
        index = end
        if code != _MAX_BLOCK and index < size:
            out.append(0)
    return bytes(out)
