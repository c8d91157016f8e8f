"""LLRP inventory parameters: how an AISpec inventories each antenna (LLRP 1.0.1 §16.2.4.2.1,
§16.2.4.2.2, §16.2.6.6-8, §16.3.1.2.1): stop trigger, transmit power, Gen2 session and mode.

Rule kept: a container keeps its sub-parameters in the order they came (typed where modelled,
raw otherwise), so what a client sent re-encodes byte for byte; accessors pick the typed ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self, TypeVar

from firmware_bridge.llrp.params import Children, Parameter, encode_params, tlv
from firmware_bridge.llrp.wire import Reader, flag, has, pack

T = TypeVar("T")


def _first(params: tuple[Parameter, ...], kind: type[T]) -> T | None:
    return next((p for p in params if isinstance(p, kind)), None)


@tlv
@dataclass(frozen=True)
class AISpecStopTrigger:
    """§16.2.4.2.1: when an AISpec ends; 0 Null (with its ROSpec), 1 Duration (ms), 2 GPI,
    3 Tag observation (sub-parameter kept raw)."""

    TYPE: ClassVar[int] = 184
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
class RFReceiver:
    """§16.2.6.7: index into the reader's receive sensitivity table."""

    TYPE: ClassVar[int] = 223
    sensitivity: int

    def body(self) -> bytes:
        return pack("H", self.sensitivity)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16())


@tlv
@dataclass(frozen=True)
class RFTransmitter:
    """§16.2.6.8: hop table, channel, and transmit power as an index into the reader's
    TransmitPowerLevelTable (§16.2.3.2.1.1)."""

    TYPE: ClassVar[int] = 224
    hop_table_id: int
    channel_index: int
    transmit_power: int

    def body(self) -> bytes:
        return pack("HHH", self.hop_table_id, self.channel_index, self.transmit_power)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.u16(), r.u16())


@tlv
@dataclass(frozen=True)
class C1G2RFControl:
    """§16.3.1.2.1.2: the RF mode (an entry of the UHFC1G2RFModeTable) and Tari (ns)."""

    TYPE: ClassVar[int] = 335
    mode_index: int
    tari: int = 0

    def body(self) -> bytes:
        return pack("HH", self.mode_index, self.tari)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.u16())


@tlv
@dataclass(frozen=True)
class C1G2SingulationControl:
    """§16.3.1.2.1.3: Gen2 session (0-3, in the top two bits), expected tag population, and
    expected tag transit time (ms, 0 = unknown); a state-aware action kept raw in extra."""

    TYPE: ClassVar[int] = 336
    session: int
    tag_population: int
    tag_transit_time_ms: int
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        head = pack("BHI", (self.session & 0b11) << 6, self.tag_population,
                    self.tag_transit_time_ms)
        return head + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        bits, population, transit = r.u8(), r.u16(), r.u32()
        return cls(bits >> 6, population, transit, Children.of(r).rest())


@tlv
@dataclass(frozen=True)
class C1G2InventoryCommand:
    """§16.3.1.2.1: Gen2 inventory settings of one antenna (filters kept raw)."""

    TYPE: ClassVar[int] = 330
    tag_inventory_state_aware: bool = False
    params: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("B", flag(self.tag_inventory_state_aware, 7)) + encode_params(self.params)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        flags = r.u8()
        return cls(has(flags, 7), Children.of(r).rest())

    @property
    def rf_control(self) -> C1G2RFControl | None:
        return _first(self.params, C1G2RFControl)

    @property
    def singulation(self) -> C1G2SingulationControl | None:
        return _first(self.params, C1G2SingulationControl)


@tlv
@dataclass(frozen=True)
class AntennaConfiguration:
    """§16.2.6.6: one antenna's receiver, transmitter and air-protocol commands (0 = all)."""

    TYPE: ClassVar[int] = 222
    antenna_id: int
    params: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("H", self.antenna_id) + encode_params(self.params)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        antenna = r.u16()
        return cls(antenna, Children.of(r).rest())

    @property
    def transmitter(self) -> RFTransmitter | None:
        return _first(self.params, RFTransmitter)

    @property
    def inventory(self) -> C1G2InventoryCommand | None:
        return _first(self.params, C1G2InventoryCommand)


@tlv
@dataclass(frozen=True)
class InventoryParameterSpec:
    """§16.2.4.2.2: air protocol (1 = EPCglobal Class-1 Gen-2) and antenna configurations."""

    TYPE: ClassVar[int] = 186
    spec_id: int
    protocol_id: int = 1
    params: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return pack("HB", self.spec_id, self.protocol_id) + encode_params(self.params)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        spec_id, protocol = r.u16(), r.u8()
        return cls(spec_id, protocol, Children.of(r).rest())

    @property
    def antenna_configs(self) -> tuple[AntennaConfiguration, ...]:
        return tuple(p for p in self.params if isinstance(p, AntennaConfiguration))
