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
