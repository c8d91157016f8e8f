"""What supply's routes answer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from cloud_hub.http.bodies import Body, Num

Source = Literal["setting", "supplier", "default"]


class SupplierOut(Body):
    code: str
    name: str
    currency: str
    active: bool


class TermsOut(Body):
    supplier: str
    sku: str
    lead_time_days: float
    lead_time_sd_days: float
    moq: Num
    pack_multiple: Num
    price: Num | None
    currency: str
    preferred: bool


class ParameterSources(Body):
    supplier: Source
    lead_time_days: Source
    lead_time_sd_days: Source
    service_level: Source
    review_days: Source
    unit_cost: Source
    order_cost: Source
    holding_rate: Source
    pack_size: Source
    min_order: Source
    min_qty: Source
    max_qty: Source


class ParametersOut(Body):
    """A SKU's planning parameters in a warehouse as the next planning run uses them."""

    warehouse: str
    sku: str
    supplier: str = Field(description="'' when the SKU has no supplier")
    lead_time_days: float
    lead_time_sd_days: float
    service_level: float
    review_days: float
    unit_cost: float
    order_cost: float
    holding_rate: float
    pack_size: float
    min_order: float
    min_qty: float | None
    max_qty: float | None
    sources: ParameterSources = Field(description="where each value comes from")


class PoLineOut(Body):
    line_no: int
    sku: str
    quantity: Num = Field(description="to be delivered (as confirmed)")
    received: Num
    open_quantity: Num = Field(description="still on order")
    unit_price: Num
    expected_on: date | None


class PurchaseOrderOut(Body):
    po_id: str
    supplier: str
    warehouse: str
    state: Literal["draft", "sent", "confirmed", "partly_received", "received", "closed",
                   "cancelled"]
    currency: str
    expected_on: date | None
    note: str
    created_at: datetime
    sent_at: datetime | None
    confirmed_at: datetime | None
    ended_at: datetime | None
    total: Num
    receipts: list[str]
    lines: list[PoLineOut]


class SkippedSuggestion(Body):
    suggestion_id: str
    sku: str
    reason: str


class PurchaseOrdersMade(Body):
    purchase_orders: list[PurchaseOrderOut]
    skipped: list[SkippedSuggestion] = Field(description="accepted suggestions left unordered")


class PoReceiptOut(Body):
    po_id: str
    receipt_id: str
    task_id: str = Field(description="the PDA's receive task")


class TransferLineOut(Body):
    line_no: int
    sku: str
    lot: str
    quantity: Num
    from_location: str
    shipped: Num
    in_transit: Num
    received: Num = Field(description="good, into the destination's stock")
    damaged: Num = Field(description="into the destination's stock with status damaged")
    over: Num = Field(description="arrived beyond what was shipped")
    short: Num = Field(description="written off when the transfer was closed")


class TransferOut(Body):
    transfer_id: str
    from_warehouse: str
    to_warehouse: str
    state: Literal["draft", "shipped", "received", "cancelled"]
    note: str
    created_at: datetime
    shipped_at: datetime | None
    ended_at: datetime | None
    transit_location: str = Field(description="the destination's transit location")
    lines: list[TransferLineOut]


class TransferBooked(Body):
    transfer: TransferOut
    move_ids: list[str] = Field(description="the ledger moves this step applied")


class TransfersMade(Body):
    transfers: list[TransferOut]
    skipped: list[SkippedSuggestion] = Field(description="accepted suggestions left unordered")


class ScheduleOut(Body):
    """A warehouse's planning schedule: when planning last ran, how it went, and when it runs
    next."""

    warehouse: str
    every_minutes: int
    days: int
    enabled: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_seconds: float | None
    last_series: int | None
    last_suggestions: int | None
    last_error: str | None
