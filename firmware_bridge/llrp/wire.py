"""Bounded big-endian readers and writers for LLRP fields (LLRP 1.0.1 §16, "Binary Encoding").

Every read is checked against the bytes actually present, so short or hostile input
becomes an LlrpError, never an IndexError or struct.error.
"""

from __future__ import annotations

import struct

from firmware_bridge.llrp.errors import LlrpError, StatusCode

_U8 = struct.Struct("!B")
_I8 = struct.Struct("!b")
_U16 = struct.Struct("!H")
_I16 = struct.Struct("!h")
_U32 = struct.Struct("!I")
_U64 = struct.Struct("!Q")


class Reader:
    """Reads fields from one message or parameter body; never past its end."""

    __slots__ = ("_data", "_pos", "_where")

    def __init__(self, data: bytes, where: str) -> None:
        self._data = data
        self._pos = 0
        self._where = where

    @property
    def where(self) -> str:
        """The message or parameter being read, for error messages."""
        return self._where

    def take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise LlrpError(
                f"{self._where}: needs {n} more bytes, {len(self._data) - self._pos} left",
                StatusCode.FIELD_ERROR,
            )
        chunk = self._data[self._pos : self._pos + n]
        self._pos += n
        return chunk

    def _unpack(self, fmt: struct.Struct) -> int:
        value: int = fmt.unpack(self.take(fmt.size))[0]
        return value

    def u8(self) -> int:
        return self._unpack(_U8)

    def i8(self) -> int:
        return self._unpack(_I8)

    def u16(self) -> int:
        return self._unpack(_U16)

    def i16(self) -> int:
        return self._unpack(_I16)

    def u32(self) -> int:
        return self._unpack(_U32)

    def u64(self) -> int:
        return self._unpack(_U64)

    def utf8v(self) -> str:
        """A UTF-8 string prefixed by its byte count (§16.2.1 "utf8v")."""
        raw = self.take(self.u16())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LlrpError(f"{self._where}: string is not UTF-8", StatusCode.FIELD_ERROR) from exc

    def u8v(self) -> bytes:
        """A byte array prefixed by its element count (§16.2.1 "u8v")."""
        return self.take(self.u16())

    def u16v(self) -> tuple[int, ...]:
        count = self.u16()
        return tuple(self.u16() for _ in range(count))

    def rest(self) -> bytes:
        return self.take(len(self._data) - self._pos)

    def at_end(self) -> bool:
        return self._pos >= len(self._data)

    def expect_end(self) -> None:
        if not self.at_end():
            raise LlrpError(
                f"{self._where}: {len(self._data) - self._pos} unexpected trailing bytes",
                StatusCode.FIELD_ERROR,
            )


def pack(fmt: str, *values: int) -> bytes:
    """struct.pack whose range errors become LlrpError (a field that does not fit)."""
    try:
        return struct.pack("!" + fmt, *values)
    except struct.error as exc:
        raise LlrpError(f"out of range for {fmt!r}: {values}", StatusCode.FIELD_ERROR) from exc


def utf8v(text: str) -> bytes:
    raw = text.encode("utf-8")
    return pack("H", len(raw)) + raw


def u8v(raw: bytes) -> bytes:
    return pack("H", len(raw)) + raw


def u16v(values: tuple[int, ...]) -> bytes:
    return pack("H" + "H" * len(values), len(values), *values)


def flag(value: bool, bit: int) -> int:
    return (1 << bit) if value else 0


def has(flags: int, bit: int) -> bool:
    return bool(flags & (1 << bit))
