"""LLRP reader operations: ROSpec, triggers, AISpec, ROReportSpec (LLRP 1.0.1 §16.2.4, §16.2.7.1).

An AISpec's inventory parameters (stop trigger, antenna configurations: transmit power, Gen2
session, RF mode) are decoded by params_inventory and reached through AISpec's accessors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar, Self

from firmware_bridge.llrp.params import Children, Parameter, encode_params, optional, tlv
from firmware_bridge.llrp.params_inventory import (
    AISpecStopTrigger,
    AntennaConfiguration,
    InventoryParameterSpec,
)
from firmware_bridge.llrp.wire import Reader, flag, has, pack, u16v


class ROSpecState(IntEnum):
    """§16.2.4.1 CurrentState."""

    DISABLED = 0
    INACTIVE = 1
    ACTIVE = 2


class StartTrigger(IntEnum):
    """§16.2.4.1.1.1 ROSpecStartTriggerType."""

    NULL = 0
    IMMEDIATE = 1
    PERIODIC = 2
    GPI = 3


class ReportTrigger(IntEnum):
    """§16.2.7.1 ROReportTrigger."""

    NONE = 0
    UPON_N_TAGS_OR_END_OF_AISPEC = 1
    UPON_N_TAGS_OR_END_OF_ROSPEC = 2


@tlv
@dataclass(frozen=True)
class ROSpecStartTrigger:
    """§16.2.4.1.1.1: when the ROSpec starts (periodic/GPI values kept raw)."""

    TYPE: ClassVar[int] = 179
    trigger: int = StartTrigger.NULL
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("B", self.trigger) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        trigger = r.u8()
        return cls(trigger, Children.of(r).rest())


@tlv
@dataclass(frozen=True)
class ROSpecStopTrigger:
    """§16.2.4.1.1.2: when the ROSpec stops; 0 = only on STOP_ROSPEC."""

    TYPE: ClassVar[int] = 182
    trigger: int = 0
    duration_ms: int = 0
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("BI", self.trigger, self.duration_ms) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        trigger, duration = r.u8(), r.u32()
        return cls(trigger, duration, Children.of(r).rest())


@tlv
@dataclass(frozen=True)
class ROBoundarySpec:
    """§16.2.4.1.1: the start and stop triggers of an ROSpec."""

    TYPE: ClassVar[int] = 178
    start: ROSpecStartTrigger = ROSpecStartTrigger()
    stop: ROSpecStopTrigger = ROSpecStopTrigger()
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return encode_params((self.start, self.stop, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(kids.required(ROSpecStartTrigger), kids.required(ROSpecStopTrigger),
                   kids.rest())


@tlv
@dataclass(frozen=True)
class AISpec:
    """§16.2.4.2: antenna inventory; antenna id 0 means all antennas."""

    TYPE: ClassVar[int] = 183
    antenna_ids: tuple[int, ...] = (0,)
    extra: tuple[Parameter, ...] = ()  # AISpecStopTrigger, InventoryParameterSpec...

    def body(self) -> bytes:
        return u16v(self.antenna_ids) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        antennas = r.u16v()
        return cls(antennas, Children.of(r).rest())

    @property
    def stop_trigger(self) -> AISpecStopTrigger | None:
        return next((p for p in self.extra if isinstance(p, AISpecStopTrigger)), None)

    def antenna_configs(self) -> dict[int, AntennaConfiguration]:
        """Antenna id -> its configuration, from every InventoryParameterSpec (§16.2.4.2.2)."""
        return {c.antenna_id: c for spec in self.extra if isinstance(spec, InventoryParameterSpec)
                for c in spec.antenna_configs}


@tlv
@dataclass(frozen=True)
class C1G2EPCMemorySelector:
    """§16.3.1.2.3: also report the tag's CRC / PC bits."""

    TYPE: ClassVar[int] = 348
    enable_crc: bool = False
    enable_pc_bits: bool = False

    def body(self) -> bytes:
        return pack("B", flag(self.enable_crc, 7) | flag(self.enable_pc_bits, 6))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        flags = r.u8()
        return cls(has(flags, 7), has(flags, 6))


# §16.2.7.1 TagReportContentSelector: field name -> bit in the 16-bit flag word.
SELECTOR_BITS: dict[str, int] = {
    "rospec_id": 15,
    "spec_index": 14,
    "inventory_parameter_spec_id": 13,
    "antenna_id": 12,
    "channel_index": 11,
    "peak_rssi": 10,
    "first_seen": 9,
    "last_seen": 8,
    "tag_seen_count": 7,
    "access_spec_id": 6,
}


@tlv
@dataclass(frozen=True)
class TagReportContentSelector:
    """§16.2.7.1: which fields each TagReportData carries (the EPC always)."""

    TYPE: ClassVar[int] = 238
    rospec_id: bool = False
    spec_index: bool = False
    inventory_parameter_spec_id: bool = False
    antenna_id: bool = True
    channel_index: bool = False
    peak_rssi: bool = True
    first_seen: bool = True
    last_seen: bool = True
    tag_seen_count: bool = True
    access_spec_id: bool = False
    epc_memory: C1G2EPCMemorySelector | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        word = 0
        for name, bit in SELECTOR_BITS.items():
            word |= flag(getattr(self, name), bit)
        return pack("H", word) + encode_params((*optional(self.epc_memory), *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        word = r.u16()
        kids = Children.of(r)
        flags = {name: has(word, bit) for name, bit in SELECTOR_BITS.items()}
        return cls(**flags, epc_memory=kids.one(C1G2EPCMemorySelector), extra=kids.rest())


@tlv
@dataclass(frozen=True)
class ROReportSpec:
    """§16.2.7.1: when to send RO_ACCESS_REPORT (every N tags; N = 0 means no limit)."""

    TYPE: ClassVar[int] = 237
    trigger: int = ReportTrigger.UPON_N_TAGS_OR_END_OF_AISPEC
    n: int = 0
    content: TagReportContentSelector = TagReportContentSelector()
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("BH", self.trigger, self.n) + encode_params((self.content, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        trigger, n = r.u8(), r.u16()
        kids = Children.of(r)
        return cls(trigger, n, kids.required(TagReportContentSelector), kids.rest())


@tlv
@dataclass(frozen=True)
class ROSpec:
    """§16.2.4.1: a reader operation: boundary, antenna inventories, report spec."""

    TYPE: ClassVar[int] = 177
    rospec_id: int
    priority: int = 0
    current_state: int = ROSpecState.DISABLED
    boundary: ROBoundarySpec = ROBoundarySpec()
    ai_specs: tuple[AISpec, ...] = (AISpec(),)
    report_spec: ROReportSpec | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        head = pack("IBB", self.rospec_id, self.priority, self.current_state)
        subs = (self.boundary, *self.ai_specs, *optional(self.report_spec), *self.extra)
        return head + encode_params(subs)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        rospec_id, priority, state = r.u32(), r.u8(), r.u8()
        kids = Children.of(r)
        return cls(rospec_id, priority, state, kids.required(ROBoundarySpec),
                   kids.many(AISpec), kids.one(ROReportSpec), kids.rest())
