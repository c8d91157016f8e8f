"""LLRP 1.0.1 messages (§16.1) as frozen dataclasses: the reader side and the client side.

Each message class has a TYPE (§16.1 message type number), `body()` and `parse(reader)`;
unknown trailing parameters are kept in `extra` so a round trip never drops bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from firmware_bridge.llrp.params import (
    Children,
    LLRPStatus,
    Parameter,
    ReaderEventNotificationData,
    encode_params,
    optional,
)
from firmware_bridge.llrp.params_config import (
    AntennaProperties,
    C1G2LLRPCapabilities,
    EventsAndReports,
    GeneralDeviceCapabilities,
    Identification,
    KeepaliveSpec,
    LLRPCapabilities,
    ReaderEventNotificationSpec,
    RegulatoryCapabilities,
)
from firmware_bridge.llrp.params_report import TagReportData
from firmware_bridge.llrp.params_rospec import ROReportSpec, ROSpec
from firmware_bridge.llrp.wire import Reader, flag, has, pack

MESSAGE_TYPES: dict[int, Any] = {}


def register_message(cls: Any) -> Any:
    MESSAGE_TYPES[cls.TYPE] = cls
    return cls


@dataclass(frozen=True)
class EmptyMessage:
    """A message with no fields of its own."""

    TYPE: ClassVar[int] = -1
    message_id: int = 0
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        return cls(0, extra=Children.of(r).rest())


@dataclass(frozen=True)
class StatusResponse:
    """A response that carries only an LLRPStatus (§16.2.8.1)."""

    TYPE: ClassVar[int] = -1
    message_id: int = 0
    status: LLRPStatus = field(default_factory=LLRPStatus)
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((self.status, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(0, kids.required(LLRPStatus), extra=kids.rest())


@dataclass(frozen=True)
class SpecIdMessage:
    """A request naming one ROSpec or AccessSpec by id; 0 means all of them."""

    TYPE: ClassVar[int] = -1
    message_id: int = 0
    spec_id: int = 0
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return pack("I", self.spec_id) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        spec_id = r.u32()
        return cls(0, spec_id, extra=Children.of(r).rest())


@register_message
@dataclass(frozen=True)
class GetReaderCapabilities:
    """LLRP 1.0.1 §16.1, type 1: requested_data 0 = all capabilities."""

    TYPE: ClassVar[int] = 1
    message_id: int = 0
    requested_data: int = 0
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return pack("B", self.requested_data) + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        requested = r.u8()
        return cls(0, requested, extra=Children.of(r).rest())


@register_message
@dataclass(frozen=True)
class GetReaderCapabilitiesResponse:
    """LLRP 1.0.1 §16.1, type 11."""

    TYPE: ClassVar[int] = 11
    message_id: int = 0
    status: LLRPStatus = field(default_factory=LLRPStatus)
    general: GeneralDeviceCapabilities | None = None
    llrp: LLRPCapabilities | None = None
    regulatory: RegulatoryCapabilities | None = None
    c1g2: C1G2LLRPCapabilities | None = None
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((
            self.status, *optional(self.general), *optional(self.llrp),
            *optional(self.regulatory), *optional(self.c1g2), *self.extra,
        ))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(0, kids.required(LLRPStatus), kids.one(GeneralDeviceCapabilities),
                   kids.one(LLRPCapabilities), kids.one(RegulatoryCapabilities),
                   kids.one(C1G2LLRPCapabilities), extra=kids.rest())


@register_message
@dataclass(frozen=True)
class GetReaderConfig:
    """LLRP 1.0.1 §16.1, type 2: antenna 0 = all antennas; requested_data 0 = all configuration."""

    TYPE: ClassVar[int] = 2
    message_id: int = 0
    antenna_id: int = 0
    requested_data: int = 0
    gpi_port: int = 0
    gpo_port: int = 0
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        head = pack("HBHH", self.antenna_id, self.requested_data, self.gpi_port, self.gpo_port)
        return head + encode_params(self.extra)

    @classmethod
    def parse(cls, r: Reader) -> Self:
        antenna, requested, gpi, gpo = r.u16(), r.u8(), r.u16(), r.u16()
        return cls(0, antenna, requested, gpi, gpo, extra=Children.of(r).rest())


@dataclass(frozen=True)
class ReaderConfig:
    """Shared layout of GET_READER_CONFIG_RESPONSE and SET_READER_CONFIG parameters."""

    identification: Identification | None = None
    antenna_properties: tuple[AntennaProperties, ...] = ()
    event_spec: ReaderEventNotificationSpec | None = None
    report_spec: ROReportSpec | None = None
    keepalive: KeepaliveSpec | None = None
    events_and_reports: EventsAndReports | None = None

    def params(self) -> tuple[Parameter, ...]:
        return (*optional(self.identification), *self.antenna_properties,
                *optional(self.event_spec), *optional(self.report_spec),
                *optional(self.keepalive), *optional(self.events_and_reports))

    @staticmethod
    def pick(kids: Children) -> dict[str, Any]:
        return {
            "identification": kids.one(Identification),
            "antenna_properties": kids.many(AntennaProperties),
            "event_spec": kids.one(ReaderEventNotificationSpec),
            "report_spec": kids.one(ROReportSpec),
            "keepalive": kids.one(KeepaliveSpec),
            "events_and_reports": kids.one(EventsAndReports),
        }


@register_message
@dataclass(frozen=True)
class GetReaderConfigResponse:
    """LLRP 1.0.1 §16.1, type 12."""

    TYPE: ClassVar[int] = 12
    message_id: int = 0
    status: LLRPStatus = field(default_factory=LLRPStatus)
    config: ReaderConfig = field(default_factory=ReaderConfig)
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((self.status, *self.config.params(), *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        status = kids.required(LLRPStatus)
        return cls(0, status, ReaderConfig(**ReaderConfig.pick(kids)), extra=kids.rest())




@register_message
@dataclass(frozen=True)
class SetReaderConfig:
    """LLRP 1.0.1 §16.1, type 3: bit 7 of the first byte asks for a factory reset first."""

    TYPE: ClassVar[int] = 3
    message_id: int = 0
    reset_to_factory_defaults: bool = False
    config: ReaderConfig = field(default_factory=ReaderConfig)
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        head = pack("B", flag(self.reset_to_factory_defaults, 7))
        return head + encode_params((*self.config.params(), *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        reset = has(r.u8(), 7)
        kids = Children.of(r)
        return cls(0, reset, ReaderConfig(**ReaderConfig.pick(kids)), extra=kids.rest())


@register_message
@dataclass(frozen=True)
class AddROSpec:
    """LLRP 1.0.1 §16.1, type 20."""

    TYPE: ClassVar[int] = 20
    message_id: int = 0
    rospec: ROSpec = field(default_factory=lambda: ROSpec(1))
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((self.rospec, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(0, kids.required(ROSpec), extra=kids.rest())


@register_message
@dataclass(frozen=True)
class ROAccessReport:
    """LLRP 1.0.1 §16.1, type 61: tag reports (RFSurvey and event data kept as extras)."""

    TYPE: ClassVar[int] = 61
    message_id: int = 0
    tags: tuple[TagReportData, ...] = ()
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((*self.tags, *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(0, kids.many(TagReportData), extra=kids.rest())


@register_message
@dataclass(frozen=True)
class ReaderEventNotification:
    """LLRP 1.0.1 §16.1, type 63."""

    TYPE: ClassVar[int] = 63
    message_id: int = 0
    data: ReaderEventNotificationData | None = None
    extra: tuple[Parameter, ...] = field(default=(), kw_only=True)

    def body(self) -> bytes:
        return encode_params((*optional(self.data), *self.extra))

    @classmethod
    def parse(cls, r: Reader) -> Self:
        kids = Children.of(r)
        return cls(0, kids.required(ReaderEventNotificationData), extra=kids.rest())
