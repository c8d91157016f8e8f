"""What the work routes other than the PDA's answer (those answer protocol.tasks models):
receipts, orders and ATP, waves, counts, putaway rules, SKU profiles, replenishments.

Quantities here are JSON numbers, whole ones without a fraction (`Num`), as the routes have
always sent them; discrepancies keep the decimal strings they were stored with.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from cloud_hub.http.bodies import Body, Num
from cloud_hub.work.orders import OrderState
from cloud_hub.work.putaway import Strategy
from cloud_hub.work.receiving import DiscrepancyKind, MatchKind

MOVE_IDS = "the event ids of the stock moves this applied to the ledger"

# --- receipts ---------------------------------------------------------------------------------


class ReceiptCreated(Body):
    receipt_id: str = Field(examples=["R-1001"])
    task_id: str = Field(description="the receive task made for the dock")


class Discrepancy(Body):
    """An over, under or unexpected delivery found when the receipt closed."""

    kind: DiscrepancyKind
    sku: str | None
    lot: str
    line_id: str | None = Field(description="null for a delivery no line expected")
    expected: str = Field(description="decimal string", examples=["10"])
    received: str = Field(description="decimal string", examples=["12"])
    unit_key: str | None


class ReceiptArrival(Body):
    line_id: str | None = Field(description="null: it matched no line")
    unit_key: str | None
    sku: str | None
    lot: str
    quantity: Num
    match: MatchKind
    seen_by: str = Field(description="`<source kind>:<device id>`", examples=["rfid:portal-1"])
    occurred_at: datetime


class ReceiptView(Body):
    receipt_id: str
    warehouse: str
    dock: str
    quarantine: bool = Field(description="received stock is quarantined until released")
    state: str | None = Field(examples=["open", "closed"])
    discrepancies: list[Discrepancy] | None = Field(description="null until the receipt closes")
    arrivals: list[ReceiptArrival] = Field(description="in the order they came")


class ArrivalResult(Body):
    match: MatchKind
    line_id: str | None
    message: str = Field(description="why it did not match, when it did not")
    putaway_task_id: str | None = Field(description="the putaway task planned for it, if any")
    move_ids: list[str] = Field(description=MOVE_IDS)


class ReceiptClosed(Body):
    receipt_id: str
    discrepancies: list[Discrepancy]


class ReceiptReleased(Body):
    receipt_id: str
    move_ids: list[str] = Field(description=MOVE_IDS + " (quarantine → available)")


# --- orders, ATP, waves -----------------------------------------------------------------------


class OrderLineView(Body):
    line_no: int
    sku: str
    quantity: Num
    reserved: Num
    picked: Num
    shipped: Num
    backordered: Num


class Address(Body):
    lines: list[str] = Field(min_length=1, max_length=4, examples=[["1 Quay Street"]])
    city: str = Field(min_length=1, max_length=100)
    postcode: str = Field("", max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2",
                         examples=["NL"])


class ShipToCopy(Body):
    ship_to_id: str | None = Field(description="null: the customer's own address")
    name: str
    address: Address


class OrderView(Body):
    order_id: str = Field(examples=["SO-1001"])
    warehouse: str
    state: OrderState
    wave_id: str | None = Field(description="the wave it was released in")
    carrier: str
    cutoff: datetime | None
    customer_id: str | None = Field(description="who the order is for")
    ship_to: ShipToCopy | None = Field(description="where it goes: the order's copy of the "
                                       "customer's ship-to (or address) when it was made")
    lines: list[OrderLineView]


class OrderShipped(Body):
    order_id: str
    move_ids: list[str] = Field(description=MOVE_IDS)


class Atp(Body):
    warehouse: str
    atp: dict[str, Num] = Field(description="available to promise per SKU asked for",
                                examples=[{"SKU-1": 40}])


class WaveShortfall(Body):
    order_id: str
    line_no: int
    sku: str
    quantity: float = Field(description="what could not be allocated")


class WaveBuilt(Body):
    wave_id: str
    orders: list[str] = Field(description="the orders released into the wave")
    task_ids: list[str] = Field(description="its pick tasks, in walking order")
    lines: int = Field(description="how many pick lines were allocated")
    shortfalls: list[WaveShortfall]
    staging: str = Field(description="where the picks are dropped")


# --- counts -----------------------------------------------------------------------------------


class CountsCreated(Body):
    task_ids: list[str] = Field(description="the count tasks made (one already open is reused)")


class CountsPlanned(CountsCreated):
    due: int = Field(description="how many counts were due as of `today`")


class CountForReview(Body):
    task_id: str
    step_id: str
    location: str
    sku: str
    lot: str
    expected: Num | None
    counted: Num | None
    variance: Num | None
    counted_by: str | None
    counted_at: datetime | None


class CountApproved(Body):
    move_ids: list[str] = Field(description=MOVE_IDS + " (the adjustment to the count)")


class RecountCreated(Body):
    task_id: str | None = Field(description="the recount task; null if one was already open")


class LocationAccuracy(Body):
    location: str
    counts: int
    exact: int = Field(description="counts that found no variance")
    accuracy: float = Field(description="exact / counts", examples=[0.97])
    abs_variance: Num = Field(description="the sum of the absolute variances")
    last_counted_at: datetime


# --- setup ------------------------------------------------------------------------------------


class RuleView(Body):
    strategies: list[Strategy]
    zones: list[str] | None = Field(description="the zones it may use; null: any")


class RuleSaved(RuleView):
    scope: str = Field(examples=["sku", "category", "zone", "default"])
    key: str


class PutawayRules(Body):
    default: RuleView
    sku: dict[str, RuleView] = Field(description="rules by SKU")
    category: dict[str, RuleView] = Field(description="rules by SKU category")
    zone: dict[str, RuleView] = Field(description="rules by dock zone")


class ProfileSaved(Body):
    """The profile as sent (keys sent as null are left out)."""

    sku: str
    needs: list[str] | None = None
    home_bin: str | None = None
    unit_volume: str | None = Field(None, description="decimal string")


class ReplenishmentCreated(Body):
    task_id: str


# --- the lot master ---------------------------------------------------------------------------


class ExpiryReport(Body):
    """One expiry someone reported for a lot: an event, an import, a resolution."""

    expiry: date
    source: str = Field(examples=["event"], description="event | import | resolved")
    event_id: str | None = Field(description="the event that first said so (events only)")
    occurred_at: datetime


class LotView(Body):
    """A lot in the master: warehouse-independent, SKU + lot."""

    sku: str
    lot: str
    expiry: date | None = Field(description="the first expiry reported, or the resolved one")
    expiry_source: str | None = Field(description="event | import | resolved")
    production_date: date | None
    best_before: date | None
    supplier: str | None
    origin: str | None
    status: str = Field(examples=["active"])
    first_seen_at: datetime
    received_at: datetime | None
    open_exceptions: int


class LotOnHand(Body):
    warehouse: str
    location: str
    unit_key: str | None = Field(description="null: loose stock")
    status: str
    quantity: Num


class LotDetail(LotView):
    expiry_reports: list[ExpiryReport]
    on_hand: list[LotOnHand] = Field(
        description="where it is now, in the warehouses the caller may see (at most 500)")


class LotList(Body):
    lots: list[LotView]


class LotException(Body):
    """Something about a lot a supervisor must decide: expiry_conflict (the master keeps its
    expiry until resolved), expired_on_receipt (accepted, flagged), serial_two_places."""

    exception_id: int
    kind: str
    sku: str
    lot: str
    serial: str
    warehouses: list[str] = Field(description="warehouses it names (empty: none, a lot's)")
    detail: dict[str, Any]
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: dict[str, Any] | None
    master_expiry: date | None
    reported_expiries: list[date]


class LotExceptionList(Body):
    exceptions: list[LotException]


class LotExceptionResolved(Body):
    exception_id: int
    kind: str
    sku: str
    lot: str
    resolved_by: str
    resolved_at: datetime
    expiry: date | None


class ImportedRow(Body):
    row: int = Field(description="1-based row number in the file")
    sku: str | None
    lot: str | None
    outcome: str = Field(description="created | updated | unchanged | conflict | rejected")
    detail: str


class LotImport(Body):
    rows: int
    created: int
    updated: int
    unchanged: int
    conflicts: int
    rejected: int
    report: list[ImportedRow]


class SerialSighting(Body):
    event_id: str
    occurred_at: datetime
    warehouse: str
    from_location: str | None
    to_location: str | None
    unit_key: str | None
    reason: str
    lot: str


class SerialNow(Body):
    """A serialised item (GS1 AI 21) now."""

    sku: str
    serial: str
    lot: str
    warehouse: str = Field(description="where it was last seen")
    location: str | None = Field(description="its unit's location when packed; null: gone out")
    unit_key: str | None
    in_stock: bool
    first_seen_at: datetime
    last_seen_at: datetime


class SerialList(Body):
    serials: list[SerialNow]


class SerialView(SerialNow):
    """A serialised item now, and every time a move named it."""

    history: list[SerialSighting] = Field(description="newest first, at most 1,000")
    open_exceptions: list[int] = Field(description="ids in /api/v1/lots/exceptions")
