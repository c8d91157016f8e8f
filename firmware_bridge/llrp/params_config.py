"""LLRP reader-configuration and capability parameters (LLRP 1.0.1 §16.2.3 and §16.2.6).

These are what GET_READER_CAPABILITIES / GET_READER_CONFIG answer and SET_READER_CONFIG sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from firmware_bridge.llrp.params import Children, Parameter, encode_params, optional, tlv
from firmware_bridge.llrp.wire import Reader, flag, has, pack, u8v, utf8v


@tlv
@dataclass(frozen=True)
class ReceiveSensitivityTableEntry:
    """§16.2.3.1.1: one receive sensitivity level (dB)."""

    TYPE: ClassVar[int] = 139
    index: int
    value: int

    def body(self) -> bytes:
        return pack("Hh", self.index, self.value)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.i16())


@tlv
@dataclass(frozen=True)
class PerAntennaAirProtocol:
    """§16.2.3.1.2: air protocols an antenna supports (1 = EPCglobal Class-1 Gen-2)."""

    TYPE: ClassVar[int] = 140
    antenna_id: int
    protocol_ids: tuple[int, ...] = (1,)

    def body(self) -> bytes:
        return pack("H", self.antenna_id) + u8v(bytes(self.protocol_ids))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), tuple(r.u8v()))


@tlv
@dataclass(frozen=True)
class GPIOCapabilities:
    """§16.2.3.1.3: number of general-purpose inputs and outputs."""

    TYPE: ClassVar[int] = 141
    num_gpis: int = 0
    num_gpos: int = 0

    def body(self) -> bytes:
        return pack("HH", self.num_gpis, self.num_gpos)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.u16())


@tlv
@dataclass(frozen=True)
class GeneralDeviceCapabilities:
    """§16.2.3.1: antennas, manufacturer (IANA PEN), model, firmware version."""

    TYPE: ClassVar[int] = 137
    max_antennas: int
    manufacturer: int
    model: int
    firmware_version: str
    can_set_antenna_properties: bool = False
    has_utc_clock: bool = True
    sensitivity_table: tuple[ReceiveSensitivityTableEntry, ...] = ()
    air_protocols: tuple[PerAntennaAirProtocol, ...] = ()
    gpio: GPIOCapabilities | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        flags = flag(self.can_set_antenna_properties, 15) | flag(self.has_utc_clock, 14)
        head = pack("HHII", self.max_antennas, flags, self.manufacturer, self.model)
        subs = (*self.sensitivity_table, *self.air_protocols, *optional(self.gpio), *self.extra)
        return head + utf8v(self.firmware_version) + encode_params(subs)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        max_ant, flags, maker, model = r.u16(), r.u16(), r.u32(), r.u32()
        firmware = r.utf8v()
        kids = Children.of(r)
        return cls(
            max_ant, maker, model, firmware, has(flags, 15), has(flags, 14),
            kids.many(ReceiveSensitivityTableEntry), kids.many(PerAntennaAirProtocol),
            kids.one(GPIOCapabilities), kids.rest(),
        )


@tlv
@dataclass(frozen=True)
class LLRPCapabilities:
    """§16.2.3.2: how many specs the reader holds (flags kept as the raw byte)."""

    TYPE: ClassVar[int] = 142
    flags: int = 0
    max_priority_level: int = 1
    client_request_op_spec_timeout: int = 0
    max_rospecs: int = 1
    max_specs_per_rospec: int = 1
    max_inventory_parameter_specs_per_aispec: int = 1
    max_access_specs: int = 0
    max_op_specs_per_access_spec: int = 0

    def body(self) -> bytes:
        return pack(
            "BBHIIIII", self.flags, self.max_priority_level,
            self.client_request_op_spec_timeout, self.max_rospecs, self.max_specs_per_rospec,
            self.max_inventory_parameter_specs_per_aispec, self.max_access_specs,
            self.max_op_specs_per_access_spec,
        )

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u8(), r.u8(), r.u16(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32())


@tlv
@dataclass(frozen=True)
class TransmitPowerLevelTableEntry:
    """§16.2.3.3.1.1: one transmit power level, in hundredths of a dBm."""

    TYPE: ClassVar[int] = 145
    index: int
    power_cdbm: int

    def body(self) -> bytes:
        return pack("Hh", self.index, self.power_cdbm)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), r.i16())


@tlv
@dataclass(frozen=True)
class FixedFrequencyTable:
    """§16.2.3.3.1.2.2: channel frequencies in kHz for non-hopping regions."""

    TYPE: ClassVar[int] = 148
    frequencies_khz: tuple[int, ...]

    def body(self) -> bytes:
        freqs = self.frequencies_khz
        return pack("H" + "I" * len(freqs), len(freqs), *freqs)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        count = r.u16()
        return cls(tuple(r.u32() for _ in range(count)))


@tlv
@dataclass(frozen=True)
class FrequencyInformation:
    """§16.2.3.3.1.2: hopping flag plus the frequency tables (hop tables kept raw)."""

    TYPE: ClassVar[int] = 146
    hopping: bool = False
    fixed: FixedFrequencyTable | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        subs = (*optional(self.fixed), *self.extra)
        return pack("B", flag(self.hopping, 7)) + encode_params(subs)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        hopping = has(r.u8(), 7)
        kids = Children.of(r)
        return cls(hopping, kids.one(FixedFrequencyTable), kids.rest())


@tlv
@dataclass(frozen=True)
class UHFC1G2RFModeTableEntry:
    """§16.3.1.1.3: one Gen2 RF mode (divide ratio, modulation, data rates, Tari)."""

    TYPE: ClassVar[int] = 329
    mode_identifier: int
    dr_64_3: bool = False
    epc_hag_conformance: bool = False
    modulation: int = 0
    forward_link_modulation: int = 0
    spectral_mask: int = 0
    bdr_bps: int = 0
    pie: int = 0
    min_tari_ns: int = 0
    max_tari_ns: int = 0
    step_tari_ns: int = 0

    def body(self) -> bytes:
        rc = flag(self.dr_64_3, 7) | flag(self.epc_hag_conformance, 6)
        return pack(
            "IBBBBIIIII", self.mode_identifier, rc, self.modulation,
            self.forward_link_modulation, self.spectral_mask, self.bdr_bps, self.pie,
            self.min_tari_ns, self.max_tari_ns, self.step_tari_ns,
        )

    @classmethod
    def parse(cls, r: Reader) -> Self:
        mode, rc = r.u32(), r.u8()
        return cls(mode, has(rc, 7), has(rc, 6), r.u8(), r.u8(), r.u8(),
                   r.u32(), r.u32(), r.u32(), r.u32(), r.u32())


@tlv
@dataclass(frozen=True)
class UHFC1G2RFModeTable:
    """§16.3.1.1.2: the Gen2 RF modes the reader offers."""

    TYPE: ClassVar[int] = 328
    entries: tuple[UHFC1G2RFModeTableEntry, ...] = ()
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return encode_params((*self.entries, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(kids.many(UHFC1G2RFModeTableEntry), kids.rest())


@tlv
@dataclass(frozen=True)
class UHFBandCapabilities:
    """§16.2.3.3.1: power table, frequencies and air-protocol RF mode tables."""

    TYPE: ClassVar[int] = 144
    power_table: tuple[TransmitPowerLevelTableEntry, ...] = ()
    frequency_information: FrequencyInformation | None = None
    rf_mode_table: UHFC1G2RFModeTable | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return encode_params((
            *self.power_table, *optional(self.frequency_information),
            *optional(self.rf_mode_table), *self.extra,
        ))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(kids.many(TransmitPowerLevelTableEntry), kids.one(FrequencyInformation),
                   kids.one(UHFC1G2RFModeTable), kids.rest())


@tlv
@dataclass(frozen=True)
class RegulatoryCapabilities:
    """§16.2.3.3: country (ISO 3166 numeric) and regulatory standard (2 = ETSI 302 208)."""

    TYPE: ClassVar[int] = 143
    country_code: int = 0
    communications_standard: int = 0
    uhf_band: UHFBandCapabilities | None = None
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        head = pack("HH", self.country_code, self.communications_standard)
        return head + encode_params((*optional(self.uhf_band), *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        country, standard = r.u16(), r.u16()
        kids = Children.of(r)
        return cls(country, standard, kids.one(UHFBandCapabilities), kids.rest())


@tlv
@dataclass(frozen=True)
class C1G2LLRPCapabilities:
    """§16.3.1.1.1: Gen2 features (flags kept as the raw byte) and select filter count."""

    TYPE: ClassVar[int] = 327
    flags: int = 0
    max_select_filters_per_query: int = 0

    def body(self) -> bytes:
        return pack("BH", self.flags, self.max_select_filters_per_query)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u8(), r.u16())


@tlv
@dataclass(frozen=True)
class Identification:
    """§16.2.6.3: reader id; id_type 0 = MAC address, 1 = EPC."""

    TYPE: ClassVar[int] = 218
    id_type: int
    reader_id: bytes

    def body(self) -> bytes:
        return pack("B", self.id_type) + u8v(self.reader_id)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u8(), r.u8v())


@tlv
@dataclass(frozen=True)
class KeepaliveSpec:
    """§16.2.6.4: trigger 1 = periodic KEEPALIVE every interval_ms."""

    TYPE: ClassVar[int] = 220
    trigger: int = 0
    interval_ms: int = 0

    def body(self) -> bytes:
        return pack("BI", self.trigger, self.interval_ms)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u8(), r.u32())


@tlv
@dataclass(frozen=True)
class AntennaProperties:
    """§16.2.6.5: whether an antenna is connected, and its gain (hundredths of dBi)."""

    TYPE: ClassVar[int] = 221
    antenna_id: int
    connected: bool = True
    gain: int = 0

    def body(self) -> bytes:
        return pack("BHh", flag(self.connected, 7), self.antenna_id, self.gain)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        connected = has(r.u8(), 7)
        return cls(r.u16(), connected, r.i16())


@tlv
@dataclass(frozen=True)
class EventsAndReports:
    """§16.2.6.10: hold events and reports while the client is away."""

    TYPE: ClassVar[int] = 226
    hold_upon_reconnect: bool = False

    def body(self) -> bytes:
        return pack("B", flag(self.hold_upon_reconnect, 7))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(has(r.u8(), 7))


@tlv
@dataclass(frozen=True)
class EventNotificationState:
    """§16.2.7.5.1: switch one reader event type on or off."""

    TYPE: ClassVar[int] = 245
    event_type: int
    enabled: bool

    def body(self) -> bytes:
        return pack("HB", self.event_type, flag(self.enabled, 7))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(r.u16(), has(r.u8(), 7))


@tlv
@dataclass(frozen=True)
class ReaderEventNotificationSpec:
    """§16.2.7.5: which reader events the client wants notified."""

    TYPE: ClassVar[int] = 244
    states: tuple[EventNotificationState, ...] = ()
    extra: tuple[Parameter, ...] = ()

    def body(self) -> bytes:
        return encode_params((*self.states, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(kids.many(EventNotificationState), kids.rest())



