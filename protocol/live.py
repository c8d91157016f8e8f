"""What the hub's live feed (WebSocket /api/v1/live) sends: one JSON object a message, told
apart by `type` — a move the ledger recorded, a balance it left, a gateway's news, or a notice
that messages were dropped for a client too slow to read them.

Rule kept here: a model's `as_json()` is byte for byte the object the hub sends (instants are
ISO 8601 with their offset, `+00:00` for UTC; quantities JSON floats), so a writer may build
its messages from these models without a client seeing a change; `read_live` takes the feed's
text back into them, or raises ContractError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
)

from protocol.codec import describe
from protocol.errors import ContractError
from protocol.events import Reason, SourceKind, StockStatus

MAX_MESSAGE_BYTES = 64 * 1024


def _isoformat(value: datetime) -> str:
    return value.isoformat()


Instant = Annotated[AwareDatetime, PlainSerializer(_isoformat, return_type=str)]
Code = Annotated[str, Field(min_length=1, max_length=128)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def as_json(self) -> dict[str, object]:
        """The object the feed carries (json.dumps of it is the text a client reads)."""
        return self.model_dump(mode="json")


class MoveMessage(_Message):
    """A move the ledger recorded (applied, or late: older than what it knew of the unit)."""

    type: Literal["move"] = "move"
    event_id: UUID
    warehouse: Code
    occurred_at: Instant
    outcome: Literal["applied", "late"]
    unit_key: str | None
    sku: str | None
    lot: str | None
    quantity: float | None
    from_location: str | None
    to_location: str | None
    origin: str | None = Field(description="where the unit really was, if not from_location")
    to_status: StockStatus | None
    reason: Reason
    source_kind: SourceKind
    device_id: str
    user_id: str | None
    zones: list[str] = Field(description="the zones of the locations it left and reached")


class BalanceMessage(_Message):
    """How much a location now holds of a SKU, lot and status (0: none left)."""

    type: Literal["balance"] = "balance"
    warehouse: str | None
    location: Code
    sku: str
    lot: str
    status: StockStatus
    quantity: float
    zones: list[str]


class GatewayMessage(_Message):
    """A gateway's status or heartbeat reached the hub."""

    type: Literal["gateway"] = "gateway"
    warehouse: Code
    gateway: Code
    state: str
    last_heartbeat: Instant
    queue_depth: int | None


class DroppedNotice(_Message):
    """Messages this client was too slow to read were dropped: reload state, then go on."""

    type: Literal["dropped"] = "dropped"
    count: int = Field(ge=1, description="how many were dropped so far")


LiveMessage = Annotated[MoveMessage | BalanceMessage | GatewayMessage | DroppedNotice,
                        Field(discriminator="type")]
_READER: TypeAdapter[LiveMessage] = TypeAdapter(LiveMessage)


def read_live(text: str | bytes) -> LiveMessage:
    """One message of the feed, as a client receives it."""
    if len(text) > MAX_MESSAGE_BYTES:
        raise ContractError(f"live message over {MAX_MESSAGE_BYTES} bytes")
    try:
        return _READER.validate_json(text)
    except ValidationError as exc:
        raise ContractError(describe(exc, "live message")) from None
