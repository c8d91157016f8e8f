"""TagReportData, the per-tag record of an RO_ACCESS_REPORT (LLRP 1.0.1 §16.2.7.3).

The EPC goes out as the 96-bit TV form (§16.2.7.3.2, EPC-96) when it is 12 bytes, else as
EPCData (§16.2.7.3.1); the optional fields are TV parameters in the order §16.2.7.3 lists.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from firmware_bridge.llrp.errors import LlrpError, StatusCode
from firmware_bridge.llrp.params import (
    Children,
    Parameter,
    TvParameter,
    encode_param,
    encode_params,
    tlv,
)
from firmware_bridge.llrp.wire import Reader, pack

EPC96_TYPE = 13

# (field name, TV type, struct format) in the §16.2.7.3 order.
_TV_FIELDS: tuple[tuple[str, int, str], ...] = (
    ("rospec_id", 9, "I"),
    ("spec_index", 14, "H"),
    ("inventory_parameter_spec_id", 10, "H"),
    ("antenna_id", 1, "H"),
    ("peak_rssi", 6, "b"),
    ("channel_index", 7, "H"),
    ("first_seen_utc", 2, "Q"),
    ("first_seen_uptime", 3, "Q"),
    ("last_seen_utc", 4, "Q"),
    ("last_seen_uptime", 5, "Q"),
    ("tag_seen_count", 8, "H"),
    ("access_spec_id", 16, "I"),
)
_BY_TYPE = {tv_type: (name, struct.Struct("!" + fmt)) for name, tv_type, fmt in _TV_FIELDS}


@tlv
@dataclass(frozen=True)
class EPCData:
    """§16.2.7.3.1: an EPC of any bit length, MSB first, padded to whole bytes."""

    TYPE: ClassVar[int] = 241
    epc: bytes
    bit_length: int

    def body(self) -> bytes:
        return pack("H", self.bit_length) + self.epc

    @classmethod
    def parse(cls, r: Reader) -> Self:
        bits = r.u16()
        return cls(r.take((bits + 7) // 8), bits)


@tlv
@dataclass(frozen=True)
class TagReportData:
    """§16.2.7.3: one tag seen: EPC plus whatever the TagReportContentSelector enabled."""

    TYPE: ClassVar[int] = 240
    epc: bytes
    rospec_id: int | None = None
    spec_index: int | None = None
    inventory_parameter_spec_id: int | None = None
    antenna_id: int | None = None
    peak_rssi: int | None = None
    channel_index: int | None = None
    first_seen_utc: int | None = None
    first_seen_uptime: int | None = None
    last_seen_utc: int | None = None
    last_seen_uptime: int | None = None
    tag_seen_count: int | None = None
    access_spec_id: int | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        if len(self.epc) == 12:
            parts = [bytes([0x80 | EPC96_TYPE]), self.epc]
        else:
            parts = [encode_param(EPCData(self.epc, len(self.epc) * 8))]
        for name, tv_type, fmt in _TV_FIELDS:
            value = getattr(self, name)
            if value is not None:
                parts.append(bytes([0x80 | tv_type]) + pack(fmt, value))
        parts.append(encode_params(self.extra))
        return b"".join(parts)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        epc: bytes | None = None
        fields: dict[str, int] = {}
        extra: list[Parameter] = []
        for param in kids.rest():
            if isinstance(param, TvParameter) and param.type == EPC96_TYPE and epc is None:
                epc = param.value
            elif isinstance(param, EPCData) and epc is None:
                epc = param.epc
            elif isinstance(param, TvParameter) and param.type in _BY_TYPE:
                name, fmt = _BY_TYPE[param.type]
                if name in fields:
                    raise LlrpError(f"TagReportData: duplicate {name}",
                                    StatusCode.DUPLICATE_PARAMETER)
                fields[name] = fmt.unpack(param.value)[0]
            else:
                extra.append(param)
        if epc is None:
            raise LlrpError("TagReportData: missing EPC", StatusCode.MISSING_PARAMETER)
        return cls(epc, **fields, extra=tuple(extra))
