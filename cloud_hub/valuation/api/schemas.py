"""The valuation routes' answers. Cost fields are optional here because they are absent for
callers who may not see costs (cloud_hub/auth/costs.py); routes leave unset fields out."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class Position(BaseModel):
    warehouse: str
    sku: str
    lot: str | None = Field(None, description="only when the answer is by lot")
    quantity: float = Field(description="negative while issues exceed the valued quantity")
    value: float | None = Field(None, description="base currency, 2 decimals; cost roles only")


class StockValue(BaseModel):
    as_of: datetime | None = Field(description="null: now")
    base_currency: str | None = Field(None, description="cost roles only")
    method: str | None = None
    valued_through_seq: int = Field(description="every move up to this seq is valued")
    lag_moves: int = Field(description="moves committed but not yet valued")
    positions: list[Position]
    value: float | None = Field(None, description="the positions' total; cost roles only")


class ReportRow(BaseModel):
    warehouse: str
    sku: str
    opening_quantity: float
    opening_value: float | None = None
    receipts_quantity: float
    receipts_value: float | None = None
    issues_quantity: float
    issues_value: float | None = None
    closing_quantity: float
    closing_value: float | None = None
    cogs: float | None = Field(None, description="value of the period's issues to customers")
    revalued: bool = Field(description="a back-dated move changed its values from a date "
                                       "before the period's end, after they were first valued")


class PeriodReport(BaseModel):
    start: date = Field(description="first day (UTC)")
    end: date = Field(description="first day after the period")
    base_currency: str | None = None
    valued_through_seq: int
    lag_moves: int
    rows: list[ReportRow]


class ReviewItem(BaseModel):
    move_seq: int = Field(description="the ledger move it is about")
    warehouse: str
    sku: str
    quantity: float
    unit_cost: float | None = Field(None, description="what it was valued at; cost roles only")
    reason: str
    created_at: datetime


class Reviews(BaseModel):
    reviews: list[ReviewItem]


class ReportMove(BaseModel):
    occurred_at: datetime
    move_seq: int = Field(description="the ledger move (moves.seq)")
    event_id: str | None = Field(description="the move's event id; null if the move is gone")
    warehouse: str
    sku: str
    lot: str = Field(description="empty: no lot")
    kind: str = Field(description="receipt, issue, transfer, adjust_in, adjust_out, "
                                  "landed_cost")
    reason: str | None = Field(description="the move's reason (receive, ship, count, …)")
    task_id: str | None
    quantity: float = Field(description="in (+) or out (−) of the warehouse/SKU")
    value: float | None = Field(None, description="in (+) or out (−); cost roles only")
    cogs: float | None = Field(None, description="what went to COGS; cost roles only")
    adjustments: float | None = Field(None, description="what went to adjustments; cost roles "
                                                        "only")


class ReportMoves(BaseModel):
    start: date
    end: date
    sku: str
    valued_through_seq: int
    lag_moves: int
    moves: list[ReportMove] = Field(description="in date order, then seq")
    next: str | None = Field(description="pass as `cursor` for the next page; null: the last")


class Shipment(BaseModel):
    occurred_at: datetime
    move_seq: int
    event_id: str
    warehouse: str
    sku: str
    lot: str
    order_id: str | None = Field(description="the order it shipped; null: an issue no order "
                                             "shipped (e.g. a gate's ship event)")
    quantity: float = Field(description="issued, positive")
    cogs: float | None = Field(None, description="base currency; cost roles only")


class OrderCogs(BaseModel):
    order_id: str
    warehouse: str
    shipments: int = Field(description="shipment moves")
    quantity: float
    cogs: float | None = Field(None, description="cost roles only")
    first_shipped_at: datetime
    last_shipped_at: datetime


class Cogs(BaseModel):
    start: date | None = Field(description="null: from the first issue")
    end: date | None = Field(description="exclusive; null: up to now")
    order_id: str | None
    base_currency: str | None = Field(None, description="cost roles only")
    valued_through_seq: int
    lag_moves: int
    shipments_count: int = Field(description="issue moves in the window (all pages)")
    quantity: float = Field(description="issued in the window (all pages)")
    cogs: float | None = Field(None, description="the window's COGS (all pages); cost roles "
                                                 "only")
    orders: list[OrderCogs] = Field(description="per order, every order in the window")
    shipments: list[Shipment] = Field(description="a page of the shipment moves, in date order")
    next: str | None = Field(description="pass as `cursor` for the next page; null: the last")
