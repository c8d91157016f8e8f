"""What GET /api/v1/trace answers (cloud_hub/trace/shape.py builds it; docs/trace.md)."""

from __future__ import annotations

from pydantic import Field

from cloud_hub.http.bodies import Body, Num


class LotRef(Body):
    sku: str
    lot: str = Field(description="empty for unlotted stock (traced through its unit only)")


class TraceStep(Body):
    seq: int = Field(description="the move's place in the ledger")
    event_id: str
    occurred_at: str = Field(examples=["2026-11-01T08:00:00Z"])
    kind: str = Field(description="the move's reason (receive, putaway, transfer, pick, ship, "
                      "adjust, count, portal_pass, sighting), or pack / unpack for stock put "
                      "into / taken out of a unit")
    sku: str
    lot: str
    quantity: Num | None
    unit: str | None
    via_unit: bool = Field(description="the unit holding the stock moved (quantity: what the "
                           "unit held of the lot)")
    from_location: str | None
    to_location: str | None = Field(description="null: it left the warehouse")
    status: str | None
    to_status: str | None
    user: str | None
    receipt: str | None
    order: str | None


class Holding(Body):
    sku: str
    lot: str
    status: str
    quantity: Num
    location: str | None = Field(description="null: the unit left the warehouse")
    unit: str | None


class Now(Body):
    on_hand: Num = Field(description="the traced lots' stock at the warehouse's locations")
    at_locations: list[Holding]
    in_units: list[Holding]


class Expected(Body):
    sku: str
    lot: str
    quantity: Num


class ReceiptRef(Body):
    receipt_id: str
    supplier: str
    dock: str
    state: str
    expected: list[Expected] = Field(description="the ASN lines of the traced lots")


class OrderRef(Body):
    order_id: str
    kind: str
    state: str
    carrier: str
    customer_id: str | None = Field(None, description="who the order is for")
    customer: str | None = Field(None, description="the customer's name")
    ship_to: dict[str, object] | None = Field(
        None, description="where it went: the order's copy of its ship-to")


class PickRef(Body):
    order_id: str
    line_no: int
    sku: str
    lot: str
    location: str
    quantity: Num
    shipped: bool
    task_id: str


class Page(Body):
    total_steps: int
    limit: int
    next_offset: int | None = Field(description="pass as `offset` for the next steps")


class TraceReport(Body):
    """A lot's or a unit's way: its steps, where it is now, receipts, picks and orders."""

    warehouse: str
    subject: str = Field(examples=["lot", "unit", "serial"])
    unit: str | None
    direction: str = Field(examples=["both"])
    lots: list[LotRef]
    steps: list[TraceStep]
    units: list[str] = Field(description="every unit that held the traced stock")
    now: Now
    receipts: list[ReceiptRef]
    orders: list[OrderRef]
    picks: list[PickRef]
    page: Page
    truncated: bool = Field(description="a read hit its bound: the trace may miss steps")
    notes: list[str]
    serial: str | None = Field(None, description="subject serial: the serial traced")
    exceptions: list[dict[str, object]] = Field(
        default_factory=list, description="subject serial: its open exceptions "
        "(serial_two_places: both sightings in detail.sightings)")


class ShipTo(Body):
    ship_to_id: str | None = Field(description="null: the customer's own address")
    name: str
    address: dict[str, object]


class Shipped(Body):
    order_id: str = Field(description="empty: shipped on no order")
    quantity: Num
    carrier: str | None
    customer_id: str | None = Field(description="null: the order names no customer")
    customer: str | None = Field(description="the customer's name")
    ship_to: ShipTo | None


class CancelledPick(Body):
    task_id: str
    step_id: str
    order_id: str | None
    line_no: int | None
    location: str | None
    quantity: Num = Field(description="what the step still had to pick: backordered")


class FlaggedPick(Body):
    order_id: str
    line_no: int
    location: str = Field(description="where the picked stock lies (staging): held there")
    quantity: Num
    task_id: str


class SerialHolding(Body):
    sku: str
    lot: str
    serial: str
    status: str | None
    quantity: Num
    location: str | None
    unit: str | None


class RecallNow(Body):
    on_hand: Num = Field(description="the recalled stock still at the warehouse's locations")
    at_locations: list[Holding | SerialHolding]
    in_units: list[Holding]


class RecallListed(Body):
    recall_id: str
    warehouse: str
    sku: str
    lot: str | None = Field(description="null: a recall by serials")
    serials: list[str]
    state: str = Field(examples=["open", "released", "scrapped"])
    reason: str
    created_by: str
    created_at: str
    closed_by: str | None
    closed_at: str | None
    close_reason: str | None


class RecallReport(Body):
    """A recall and what its last step did: the stock it held (or released, or scrapped), the
    open work it stopped, and the story: received, on hand where, shipped to whom."""

    recall_id: str
    warehouse: str
    sku: str
    lot: str | None = Field(description="null: a recall by serials")
    serials: list[str]
    state: str = Field(examples=["open", "released", "scrapped"])
    reason: str
    created_by: str
    created_at: str
    closed_by: str | None
    closed_at: str | None
    close_reason: str | None
    quantity: Num = Field(description="what this step changed: held as recalled, released to "
                          "available, or scrapped out of stock (0 on a repeat)")
    move_ids: list[str] = Field(description="this step's ledger moves (task recall:<id>)")
    whole_units: list[str] = Field(description="units whose status changed whole")
    taken_out_of_units: list[str] = Field(
        description="units holding other stock too: the recalled share was taken out of them "
                    "and changed loose at their place")
    cancelled_picks: list[CancelledPick] = Field(
        description="open pick steps of the lot, cancelled; their quantity backordered")
    flagged_picks: list[FlaggedPick] = Field(
        description="picked, not yet shipped: held in staging, the order will not ship it")
    missing_serials: list[str] = Field(
        description="serials named but not in stock in the status this step changes")
    received: Num
    receipts: list[ReceiptRef]
    now: RecallNow
    shipped: list[Shipped]
    truncated: bool
