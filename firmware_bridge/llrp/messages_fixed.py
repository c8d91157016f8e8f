"""LLRP 1.0.1 messages whose layout is shared: status-only responses, spec-id requests, empty ones.

Only the type number (§16.1) differs between the classes of one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from firmware_bridge.llrp.messages import (
    EmptyMessage,
    SpecIdMessage,
    StatusResponse,
    register_message,
)

# Fixed-shape messages: the layout is the base class's, only the type number differs.


@register_message
@dataclass(frozen=True)
class SetReaderConfigResponse(StatusResponse):
    """SET_READER_CONFIG_RESPONSE (LLRP 1.0.1 §16.1, type 13)."""

    TYPE: ClassVar[int] = 13


@register_message
@dataclass(frozen=True)
class CloseConnection(EmptyMessage):
    """CLOSE_CONNECTION (LLRP 1.0.1 §16.1, type 14)."""

    TYPE: ClassVar[int] = 14


@register_message
@dataclass(frozen=True)
class CloseConnectionResponse(StatusResponse):
    """CLOSE_CONNECTION_RESPONSE (LLRP 1.0.1 §16.1, type 4)."""

    TYPE: ClassVar[int] = 4


@register_message
@dataclass(frozen=True)
class AddROSpecResponse(StatusResponse):
    """ADD_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 30)."""

    TYPE: ClassVar[int] = 30


@register_message
@dataclass(frozen=True)
class DeleteROSpec(SpecIdMessage):
    """DELETE_ROSPEC (LLRP 1.0.1 §16.1, type 21): spec_id 0 deletes all ROSpecs."""

    TYPE: ClassVar[int] = 21


@register_message
@dataclass(frozen=True)
class DeleteROSpecResponse(StatusResponse):
    """DELETE_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 31)."""

    TYPE: ClassVar[int] = 31


@register_message
@dataclass(frozen=True)
class StartROSpec(SpecIdMessage):
    """START_ROSPEC (LLRP 1.0.1 §16.1, type 22)."""

    TYPE: ClassVar[int] = 22


@register_message
@dataclass(frozen=True)
class StartROSpecResponse(StatusResponse):
    """START_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 32)."""

    TYPE: ClassVar[int] = 32


@register_message
@dataclass(frozen=True)
class StopROSpec(SpecIdMessage):
    """STOP_ROSPEC (LLRP 1.0.1 §16.1, type 23)."""

    TYPE: ClassVar[int] = 23


@register_message
@dataclass(frozen=True)
class StopROSpecResponse(StatusResponse):
    """STOP_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 33)."""

    TYPE: ClassVar[int] = 33


@register_message
@dataclass(frozen=True)
class EnableROSpec(SpecIdMessage):
    """ENABLE_ROSPEC (LLRP 1.0.1 §16.1, type 24): spec_id 0 enables all ROSpecs."""

    TYPE: ClassVar[int] = 24


@register_message
@dataclass(frozen=True)
class EnableROSpecResponse(StatusResponse):
    """ENABLE_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 34)."""

    TYPE: ClassVar[int] = 34


@register_message
@dataclass(frozen=True)
class DisableROSpec(SpecIdMessage):
    """DISABLE_ROSPEC (LLRP 1.0.1 §16.1, type 25)."""

    TYPE: ClassVar[int] = 25


@register_message
@dataclass(frozen=True)
class DisableROSpecResponse(StatusResponse):
    """DISABLE_ROSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 35)."""

    TYPE: ClassVar[int] = 35


@register_message
@dataclass(frozen=True)
class DeleteAccessSpec(SpecIdMessage):
    """DELETE_ACCESSSPEC (LLRP 1.0.1 §16.1, type 41): spec_id 0 deletes all."""

    TYPE: ClassVar[int] = 41


@register_message
@dataclass(frozen=True)
class DeleteAccessSpecResponse(StatusResponse):
    """DELETE_ACCESSSPEC_RESPONSE (LLRP 1.0.1 §16.1, type 51)."""

    TYPE: ClassVar[int] = 51


@register_message
@dataclass(frozen=True)
class Keepalive(EmptyMessage):
    """KEEPALIVE (LLRP 1.0.1 §16.1, type 62)."""

    TYPE: ClassVar[int] = 62


@register_message
@dataclass(frozen=True)
class KeepaliveAck(EmptyMessage):
    """KEEPALIVE_ACK (LLRP 1.0.1 §16.1, type 72)."""

    TYPE: ClassVar[int] = 72


@register_message
@dataclass(frozen=True)
class EnableEventsAndReports(EmptyMessage):
    """ENABLE_EVENTS_AND_REPORTS (LLRP 1.0.1 §16.1, type 64)."""

    TYPE: ClassVar[int] = 64


@register_message
@dataclass(frozen=True)
class ErrorMessage(StatusResponse):
    """ERROR_MESSAGE (LLRP 1.0.1 §16.1, type 100): the reader could not handle a message."""

    TYPE: ClassVar[int] = 100
