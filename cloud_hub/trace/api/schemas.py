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
    subject: str = Field(examples=["lot", "unit"])
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


class Shipped(Body):
    order_id: str = Field(description="empty: shipped on no order")
    quantity: Num
    carrier: str | None


class RecallReport(Body):
    """What a recall held, what it found open, and the lot's story: received, on hand, shipped."""

    recall_id: str
    warehouse: str
    sku: str
    lot: str
    held: Num = Field(description="quantity put on hold (status quarantine) now")
    move_ids: list[str] = Field(description="the hold moves, applied through the ledger")
    held_whole_units: list[str]
    taken_out_of_units: list[str] = Field(
        description="mixed units whose share of the lot was held loose at their place")
    open_picks: list[PickRef] = Field(description="open picks of the lot: stop them")
    received: Num
    receipts: list[ReceiptRef]
    now: Now
    shipped: list[Shipped]
    truncated: bool
