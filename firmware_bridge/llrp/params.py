"""LLRP parameters: TLV/TV framing, the type registry, and the general-purpose parameters.

Rule kept: every TLV parameter class has a TYPE, `body()` and `parse(reader)`; a parameter we
do not model is kept byte-exact as RawParameter, so nothing a client sends is silently lost.
Binary layout: LLRP 1.0.1 §16.2 (TLV header §16.2.1.1, TV header §16.2.1.2).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, TypeVar

from firmware_bridge.llrp.errors import LlrpError, StatusCode
from firmware_bridge.llrp.wire import Reader, pack, utf8v

_TLV_HEADER = struct.Struct("!HH")
CUSTOM_PARAMETER_TYPE = 1023

# §16.2.1.2: TV parameters carry no length; the type fixes the value size in bytes.
# Types per §16.2.7.3 (TagReportData fields) and §16.3.1.5 (C1G2 tag data).
TV_VALUE_SIZES: dict[int, int] = {
    1: 2,  # AntennaID
    2: 8,  # FirstSeenTimestampUTC
    3: 8,  # FirstSeenTimestampUptime
    4: 8,  # LastSeenTimestampUTC
    5: 8,  # LastSeenTimestampUptime
    6: 1,  # PeakRSSI
    7: 2,  # ChannelIndex
    8: 2,  # TagSeenCount
    9: 4,  # ROSpecID
    10: 2,  # InventoryParameterSpecID
    11: 2,  # C1G2CRC
    12: 2,  # C1G2PC
    13: 12,  # EPC-96
    14: 2,  # SpecIndex
    15: 2,  # ClientRequestOpSpecResult
    16: 4,  # AccessSpecID
    17: 2,  # OpSpecID
    18: 4,  # C1G2SingulationDetails
}


class TlvParameter(Protocol):
    TYPE: ClassVar[int]

    def body(self) -> bytes: ...


@dataclass(frozen=True)
class RawParameter:
    """A TLV parameter kept as bytes: unknown, vendor-specific (type 1023) or not modelled."""

    type: int
    data: bytes = b""


@dataclass(frozen=True)
class TvParameter:
    """A TV-encoded parameter (§16.2.1.2) not mapped to a typed field."""

    type: int
    value: bytes


Parameter = Any  # any registered TLV dataclass, RawParameter or TvParameter

_REGISTRY: dict[int, Any] = {}
T = TypeVar("T")


def tlv(cls: type[T]) -> type[T]:
    """Register a TLV parameter class by its TYPE so parse_params can build it."""
    _REGISTRY[cls.TYPE] = cls  # type: ignore[attr-defined]
    return cls


def encode_param(param: Parameter) -> bytes:
    """One parameter with its header (§16.2.1)."""
    if isinstance(param, TvParameter):
        if TV_VALUE_SIZES.get(param.type) != len(param.value):
            raise LlrpError(f"TV parameter {param.type} has a bad value size")
        return bytes([0x80 | param.type]) + param.value
    if isinstance(param, RawParameter):
        ptype, body = param.type, param.data
        if not 0 <= ptype <= 1023:
            raise LlrpError(f"parameter type {ptype} does not fit 10 bits")
    else:
        ptype, body = param.TYPE, param.body()
    length = _TLV_HEADER.size + len(body)
    if length > 0xFFFF:
        raise LlrpError(f"parameter type {ptype} is {length} bytes, over 65535")
    return _TLV_HEADER.pack(ptype, length) + body


def encode_params(params: tuple[Parameter, ...] | list[Parameter]) -> bytes:
    return b"".join(encode_param(p) for p in params)


def _parse_tlv(ptype: int, body: bytes) -> Parameter:
    cls = _REGISTRY.get(ptype)
    if cls is None:
        return RawParameter(ptype, body)
    reader = Reader(body, cls.__name__)
    param = cls.parse(reader)
    reader.expect_end()
    return param


def parse_params(data: bytes, where: str) -> list[Parameter]:
    """Split a run of parameters (§16.2.1) into typed, TV and raw parameters."""
    out: list[Parameter] = []
    pos, end = 0, len(data)
    while pos < end:
        first = data[pos]
        if first & 0x80:  # §16.2.1.2: high bit set means TV encoding
            ptype = first & 0x7F
            size = TV_VALUE_SIZES.get(ptype)
            if size is None:
                raise LlrpError(
                    f"{where}: unknown TV parameter {ptype}", StatusCode.UNKNOWN_PARAMETER
                )
            if pos + 1 + size > end:
                raise LlrpError(f"{where}: TV parameter {ptype} is truncated")
            out.append(TvParameter(ptype, data[pos + 1 : pos + 1 + size]))
            pos += 1 + size
            continue
        if pos + _TLV_HEADER.size > end:
            raise LlrpError(f"{where}: truncated parameter header")
        ptype, length = _TLV_HEADER.unpack_from(data, pos)
        ptype &= 0x3FF
        if length < _TLV_HEADER.size or pos + length > end:
            raise LlrpError(f"{where}: parameter {ptype} claims {length} bytes, {end - pos} left")
        out.append(_parse_tlv(ptype, data[pos + _TLV_HEADER.size : pos + length]))
        pos += length
    return out


class Children:
    """Hands out a container's decoded sub-parameters by class; leftovers stay as extras."""

    def __init__(self, params: list[Parameter], where: str) -> None:
        self._left = params
        self._where = where

    @classmethod
    def of(cls, reader: Reader) -> Children:
        return cls(parse_params(reader.rest(), reader.where), reader.where)

    def one(self, kind: type[T]) -> T | None:
        for i, param in enumerate(self._left):
            if isinstance(param, kind):
                del self._left[i]
                return param
        return None

    def required(self, kind: type[T]) -> T:
        param = self.one(kind)
        if param is None:
            raise LlrpError(
                f"{self._where}: missing {kind.__name__}", StatusCode.MISSING_PARAMETER
            )
        return param

    def many(self, kind: type[T]) -> tuple[T, ...]:
        picked = tuple(p for p in self._left if isinstance(p, kind))
        self._left = [p for p in self._left if not isinstance(p, kind)]
        return picked

    def rest(self) -> tuple[Parameter, ...]:
        return tuple(self._left)


def reader_name(reader: Reader) -> str:
    return reader._where


def optional(param: Parameter | None) -> tuple[Parameter, ...]:
    return () if param is None else (param,)


# --- general parameters -------------------------------------------------------------------


@tlv
@dataclass(frozen=True)
class UTCTimestamp:
    """§16.2.2.1: microseconds since the Unix epoch."""

    TYPE: ClassVar[int] = 128
    microseconds: int

    def body(self) -> bytes:
        return pack("Q", self.microseconds)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u64())


@tlv
@dataclass(frozen=True)
class Uptime:
    """§16.2.2.2: microseconds since the reader booted."""

    TYPE: ClassVar[int] = 129
    microseconds: int

    def body(self) -> bytes:
        return pack("Q", self.microseconds)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u64())


@tlv
@dataclass(frozen=True)
class FieldError:
    """§16.2.8.1.1: which field of a message was wrong."""

    TYPE: ClassVar[int] = 288
    field_num: int
    error_code: int

    def body(self) -> bytes:
        return pack("HH", self.field_num, self.error_code)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.u16())


@tlv
@dataclass(frozen=True)
class ParameterError:
    """§16.2.8.1.2: which parameter was wrong (nested errors kept as extras)."""

    TYPE: ClassVar[int] = 289
    parameter_type: int
    error_code: int
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("HH", self.parameter_type, self.error_code) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        ptype, code = r.u16(), r.u16()
        return cls(ptype, code, Children.of(r).rest())


@tlv
@dataclass(frozen=True)
class LLRPStatus:
    """§16.2.8.1: the outcome carried by every response and by ERROR_MESSAGE."""

    TYPE: ClassVar[int] = 287
    status_code: int = StatusCode.SUCCESS
    description: str = ""
    field_error: FieldError | None = None
    parameter_error: ParameterError | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        subs = (*optional(self.field_error), *optional(self.parameter_error), *self.extra)
        return pack("H", self.status_code) + utf8v(self.description) + encode_params(subs)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        code, text = r.u16(), r.utf8v()
        kids = Children.of(r)
        return cls(code, text, kids.one(FieldError), kids.one(ParameterError), kids.rest())

    @property
    def ok(self) -> bool:
        return self.status_code == StatusCode.SUCCESS


@tlv
@dataclass(frozen=True)
class ConnectionAttemptEvent:
    """§16.2.7.6.10: status 0 = Success (the client may proceed)."""

    TYPE: ClassVar[int] = 256
    status: int = 0

    def body(self) -> bytes:
        return pack("H", self.status)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16())


@tlv
@dataclass(frozen=True)
class ConnectionCloseEvent:
    """§16.2.7.6.11: the reader is about to close the connection."""

    TYPE: ClassVar[int] = 257

    def body(self) -> bytes:
        return b""

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls()


@tlv
@dataclass(frozen=True)
class ReaderEventNotificationData:
    """§16.2.7.6: a timestamp (UTC or uptime) and the events that happened."""

    TYPE: ClassVar[int] = 246
    timestamp: UTCTimestamp | Uptime
    events: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return encode_params((self.timestamp, *self.events))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        stamp: UTCTimestamp | Uptime | None = kids.one(UTCTimestamp) or kids.one(Uptime)
        if stamp is None:
            raise LlrpError("ReaderEventNotificationData: missing timestamp",
                            StatusCode.MISSING_PARAMETER)
        return cls(stamp, kids.rest())
