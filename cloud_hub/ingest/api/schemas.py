"""What ingest's routes answer: dead letters, their replay and resolution, gateways, and the
report of POST /moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from cloud_hub.http.bodies import Body
from cloud_hub.ledger.state import MoveStatus


class DeadLetterSummary(Body):
    """A dead letter without its payload: a preview, the payload's size and SHA-256."""

    id: int
    received_at: datetime
    topic: str | None
    warehouse: str | None
    source: str
    reason: str
    raw_size: int = Field(description="bytes that came")
    raw_sha256: str = Field(description="SHA-256 of all that came, hex")
    raw_stored: int = Field(description="bytes kept (a prefix when raw_truncated)")
    raw_truncated: bool
    raw_text: str = Field(description="the first 2,000 characters, as UTF-8 text")
    resolved_at: datetime | None
    resolved_by: str | None
    replayed_at: datetime | None
    replay: dict[str, Any] | None


class DeadLetterPage(Body):
    items: list[DeadLetterSummary]
    next_cursor: int | None = Field(description="pass as `cursor` for the next (older) page; "
                                                "null on the last page")


class DeadLetterDetail(DeadLetterSummary):
    raw_base64: str = Field(description="the bytes kept, base64")


class InvalidEvent(Body):
    index: int
    reason: str


class ReplayResult(Body):
    id: int
    applied: int
    late: int
    rejected: int = Field(description="kept by the ledger with a reason (GET /rejected)")
    duplicates: int
    invalid: list[InvalidEvent] = Field(description="events still not applicable, by index")
    resolved: bool



class DeadLetterResolved(Body):
    id: int
    resolved: Literal[True]


class GatewayOut(Body):
    """A gateway as its last status and heartbeat left it."""

    warehouse: str
    gateway: str = Field(examples=["gw-1"])
    state: str = Field(description="from the gateway's retained status message",
                       examples=["online", "offline", "unknown"])
    last_heartbeat: datetime | None
    last_status_at: datetime | None
    queue_depth: int | None = Field(description="events waiting in the gateway's outbox")
    info: dict[str, Any] = Field(description="the gateway's last heartbeat, as it sent it")
    registered_at: datetime | None = Field(description="null: never registered")


class EventOutcome(Body):
    event_id: str
    status: MoveStatus
    code: str | None = Field(description="why it was rejected, as a code",
                             examples=["unknown_location"])
    reason: str | None


class MovesPosted(Body):
    """What a POST /moves did, event by event."""

    applied: int
    late: int = Field(description="recorded, but older than what the ledger knew of the unit")
    rejected: int = Field(description="kept by the ledger with a reason (GET /rejected)")
    duplicates: list[str] = Field(description="event ids the ledger had already applied")
    invalid: list[InvalidEvent] = Field(description="events that could not apply, by index")
    outcomes: list[EventOutcome]
    unknown_skus: list[str] = Field(description="SKUs (or \"gtin:…\") of applied events that "
                                    "the catalog does not hold: applied all the same, counted "
                                    "and logged; POST /skus adds them")
