"""What a gateway says about itself: its status (…/status, retained, the MQTT last will says
"offline") and its heartbeat (…/heartbeat: queue depth, read rates, per-source and per-reader
health).

Rule kept here: every field the hub reads or stores is bounded — text length, number range,
nesting — and fields this version does not name are kept only while they are small, finite
JSON (protocol/bounds.py). A newer gateway's extra health is shown; nothing a gateway sends
can be what the hub's database refuses. The edge builds its messages from these models too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from protocol.bounds import MAX_DEPTH, Limits, check_value, loads_bounded
from protocol.codec import MAX_PAYLOAD_BYTES, describe
from protocol.errors import ContractError

MAX_COUNT = 2**53  # exact in every JSON reader, far inside PostgreSQL's bigint
MAX_ENTRIES = 256  # sources per gateway, readers per source (the 64 KiB payload binds first)
MAX_EXTRA_FIELDS = 64
EXTRA_LIMITS = Limits(depth=5, text=1024, items=128, values=2048)


def _clean_text(value: str) -> str:
    check_value(value, EXTRA_LIMITS, "text")  # no NUL, no lone surrogate
    return value


Text = Annotated[str, StringConstraints(max_length=1024), AfterValidator(_clean_text)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=128),
                AfterValidator(_clean_text)]
State = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$")]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Rate = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


class _Tolerant(BaseModel):
    """Unknown fields allowed, but bounded: a few, small, finite."""

    model_config = ConfigDict(frozen=True, extra="allow", allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded_extras(self) -> _Tolerant:
        extra = self.__pydantic_extra__
        if extra:
            if len(extra) > MAX_EXTRA_FIELDS:
                raise ValueError(f"more than {MAX_EXTRA_FIELDS} fields this version does not know")
            check_value(extra, EXTRA_LIMITS, "extra fields")
        return self

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def stored(self) -> dict[str, object]:
        """The JSON the hub keeps (gateways.info)."""
        return self.model_dump(mode="json", exclude_none=True)


class GatewayStatus(_Tolerant):
    """Retained on …/status: "online" on connect, "offline" as the will or on a clean stop."""

    state: State = "unknown"
    queue_depth: Count | None = None  # gateways send it in heartbeats; a count wherever it is
    warehouse: Id | None = None
    gateway: Id | None = None
    at: AwareDatetime | None = None


class ReaderHealth(_Tolerant):
    """One reader of a source (sources.<source>.readers.<reader>); readers that know more
    (clock offset, state) add fields, bounded like every extra."""

    connected: bool | None = None
    reads_per_s: Rate | None = None
    reads: Count | None = None
    connects: Count | None = None
    failures: Count | None = None
    last_error: Text | None = None


class SourceHealth(_Tolerant):
    """One event source of the gateway (an RFID source, a scanner, a camera)."""

    readers: dict[Key, ReaderHealth] = Field(default_factory=dict, max_length=MAX_ENTRIES)


class GatewayHeartbeat(_Tolerant):
    """Sent every heartbeat_s on …/heartbeat (QoS 0). `outbox`, `publisher` and the like are
    kept as extra fields."""

    at: AwareDatetime | None = None
    queue_depth: Count | None = None
    read_rates: dict[Key, Rate] = Field(default_factory=dict, max_length=MAX_ENTRIES)
    reader_health: dict[Key, Key] = Field(default_factory=dict, max_length=MAX_ENTRIES)
    sources: dict[Key, SourceHealth] = Field(default_factory=dict, max_length=MAX_ENTRIES)
    heartbeat_error: Text | None = None


def status_message(state: str, warehouse: str, gateway: str, at: datetime) -> bytes:
    return GatewayStatus(state=state, warehouse=warehouse, gateway=gateway, at=at).encode()


def decode_status(payload: bytes) -> GatewayStatus:
    """A status payload, read within the contract's bounds; ContractError otherwise."""
    return _decode(GatewayStatus, payload, "status")


def decode_heartbeat(payload: bytes) -> GatewayHeartbeat:
    """A heartbeat payload, read within the contract's bounds; ContractError otherwise."""
    return _decode(GatewayHeartbeat, payload, "heartbeat")


_M = TypeVar("_M", bound=_Tolerant)


def _decode(model: type[_M], payload: bytes, what: str) -> _M:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(f"{what} payload is {len(payload)} bytes, over the "
                            f"{MAX_PAYLOAD_BYTES // 1024} KiB limit")
    body = loads_bounded(payload, MAX_DEPTH)
    if not isinstance(body, dict):
        raise ContractError(f"{what} payload is not a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ContractError(describe(exc, what)) from None
    except (ValueError, TypeError, RecursionError) as exc:  # pydantic internals on odd input
        raise ContractError(f"invalid {what}: {exc}") from None
