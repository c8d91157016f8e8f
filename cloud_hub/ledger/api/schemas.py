"""What the ledger's routes answer: stock on hand, units and where they are, the move history,
search, and the queue of rejected moves."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from cloud_hub.http.bodies import Body, Num
from cloud_hub.ledger.state import MoveStatus


class StockOut(Body):
    """A balance: how much of a SKU and lot, in one status, one location holds."""

    warehouse: str = Field(examples=["WH1"])
    location: str = Field(examples=["WH1-A-01-02"])
    sku: str = Field(examples=["SKU-1001"])
    lot: str = Field(description="empty when the stock has no lot")
    status: str = Field(examples=["available", "quarantine", "damaged", "recalled"])
    quantity: float


class SkuOnHand(Body):
    warehouse: str
    sku: str
    on_hand: float = Field(description="every status, every location of the warehouse")


class UnitContent(Body):
    sku: str
    lot: str
    status: str
    quantity: Num


class UnitOut(Body):
    """A handling unit (pallet, case) and what it holds."""

    unit_key: str = Field(examples=["sscc:350123451234567891"])
    epc: str | None = Field(description="its RFID tag's EPC (hex), if tagged")
    sscc: str | None
    warehouse: str
    location: str | None
    since: datetime = Field(description="when it came to its location")
    contents: list[UnitContent]


class MoveOut(Body):
    """A move the ledger recorded (applied, late or rejected), with who or what made it."""

    seq: int = Field(description="the ledger's order; live messages carry it too")
    event_id: UUID
    occurred_at: datetime
    received_at: datetime
    warehouse: str
    source_kind: str = Field(examples=["rfid", "barcode", "vision", "pda", "system"])
    device_id: str
    unit_key: str | None
    sku: str | None
    lot: str | None
    quantity: float | None
    from_location: str | None
    to_location: str | None
    reason: str = Field(examples=["receive", "putaway", "pick", "portal_pass"])
    user_id: str | None
    applied_by: str | None = Field(description="the signed-in user or gateway that sent it")
    outcome: str = Field(examples=["applied", "late", "rejected"])
    note: str | None


class UnitStock(Body):
    warehouse: str
    location: str
    sku: str
    lot: str
    status: str
    quantity: float


class UnitWhere(Body):
    """Where a handling unit is, what it holds and every move it made."""

    unit_key: str
    epc: str | None
    sscc: str | None
    warehouse: str
    location: str | None = Field(description="null once it has left (shipped)")
    since: datetime
    last_event: UUID = Field(description="the move that put it where it is")
    contents: list[UnitStock]
    history: list[MoveOut] = Field(description="oldest first")


class MovePage(Body):
    items: list[MoveOut]
    next_after_seq: int | None = Field(
        description="pass as `after_seq` for the next page; null on the last page")


class SearchHit(Body):
    kind: Literal["sku", "gtin", "lot", "sscc", "epc", "location"] = Field(
        description="what the query matched")
    sku: str | None
    location: str | None
    lot: str | None
    quantity: float | None
    unit_key: str | None


class RejectedMove(Body):
    """A move the ledger refused, kept for a supervisor to correct or dismiss."""

    event_id: UUID
    received_at: datetime
    occurred_at: datetime
    warehouse: str
    code: str = Field(description="why, as a code", examples=["unknown_location"])
    reason: str
    applied_by: str | None
    payload: dict[str, Any] = Field(description="the StockMoved event as it came")
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None = Field(description="`reapply: <note>` or `dismiss: <note>`")
    corrected_by: UUID | None = Field(description="the corrected event that re-applied it")


class RejectedResolved(Body):
    """The resolution: resolved false (with the new rejection's code and reason) when the
    corrected move was refused again; a re-apply names its corrected event and status."""

    resolved: bool
    event_id: str | None = Field(None, description="the corrected event (reapply only)")
    status: MoveStatus | Literal["duplicate"] | None = Field(
        None, description="what the corrected event did (reapply only)")
    code: str | None = Field(None, description="why it was refused again")
    reason: str | None = Field(None, description="why it was refused again")


class ChangedMoveOut(Body):
    seq: int
    event_id: UUID
    occurred_at: datetime
    recorded_at: datetime = Field(description="when the hub recorded it (commit order)")
    warehouse: str
    reason: str
    outcome: Literal["applied", "late"]
    source_kind: str
    device_id: str
    user: str | None
    unit: str | None = Field(description="the handling unit moved, if any")
    sku: str | None
    lot: str | None
    quantity: Num | None
    status: str | None
    from_location: str | None
    to_location: str | None


class BalanceNowOut(Body):
    location: str
    sku: str
    lot: str | None
    status: str
    quantity: Num = Field(description="now (when this page was read); 0: none left")


class UnitNowOut(Body):
    unit: str
    location: str | None = Field(description="now; null: the unit left the ledger")
    since: datetime | None


class ChangePageOut(Body):
    """One page of the change feed: pass `next` back as `after` for the following page."""

    moves: list[ChangedMoveOut]
    balances: list[BalanceNowOut] = Field(
        description="every balance the page's moves touched, as it is now")
    units: list[UnitNowOut] = Field(description="every unit the page's moves touched, now")
    next: str = Field(description="the cursor to resume from (opaque)")
    more: bool = Field(description="true: the page was full, ask again at once")
    settled: bool = Field(description="false: a transaction still open kept the feed from "
                                      "moving on; ask again in a moment")
