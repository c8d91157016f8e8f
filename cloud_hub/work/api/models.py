"""Request bodies of the work routes other than the PDA's (those are protocol.tasks)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cloud_hub.work.picking import LotPolicy, WaveBy
from cloud_hub.work.receiving import DEFAULT_OVER_TOLERANCE_PCT
from protocol.events import SourceKind, UnitRef

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Qty = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ExpectedUnitIn(_In):
    unit: UnitRef
    quantity: Qty


class ReceiptLineIn(_In):
    line_id: Code
    sku: Code
    quantity: Qty
    lot: Annotated[str, StringConstraints(max_length=128)] = ""
    expiry: date | None = None
    units: list[ExpectedUnitIn] = Field(default_factory=list, max_length=1000)
    unit_cost: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=6,
                                      description="one unit's cost in `currency`")
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = Field(
        None, description="ISO 4217; absent: the base currency (HUB_BASE_CURRENCY)")
    rate: Decimal | None = Field(None, gt=0, max_digits=18, decimal_places=8,
                                 description="base-currency units per one `currency` unit")


class ReceiptIn(_In):
    receipt_id: Code
    warehouse: Code
    dock: Code
    supplier: Annotated[str, StringConstraints(max_length=200)] = ""
    quarantine: bool = False
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=5000)
    # Beyond this share over a line, a receipt needs a supervisor (receiving.py).
    over_tolerance_pct: Decimal = Field(DEFAULT_OVER_TOLERANCE_PCT, ge=0, le=1000,
                                        max_digits=8, decimal_places=3)


class ArrivalIn(_In):
    """A pallet seen at the inbound portal / scanned at the dock, or loose items counted in."""

    event_id: UUID
    unit: UnitRef | None = None
    sku: Code | None = None
    lot: Code | None = None
    quantity: Qty | None = None
    location: Code | None = None
    occurred_at: AwareDatetime
    device_id: Code
    source_kind: SourceKind = SourceKind.BARCODE


class OrderLineIn(_In):
    line_no: Annotated[int, Field(ge=1)]
    sku: Code
    quantity: Qty


class OrderIn(_In):
    order_id: Code
    warehouse: Code
    lines: list[OrderLineIn] = Field(min_length=1, max_length=1000)
    carrier: Annotated[str, StringConstraints(max_length=100)] = ""
    cutoff: AwareDatetime | None = None
    priority: int = 0
    kind: Literal["sales", "transfer"] = "sales"
    allow_partial: bool = True
    customer_id: Code | None = None
    ship_to_id: Code | None = None  # one of the customer's ship-tos; none: its own address

    @model_validator(mode="after")
    def _ship_to_needs_customer(self) -> OrderIn:
        if self.ship_to_id is not None and self.customer_id is None:
            raise ValueError("ship_to_id names one of a customer's ship-tos: give customer_id")
        return self


class WaveIn(_In):
    warehouse: Code
    wave_id: Code | None = None
    by: WaveBy = WaveBy.COUNT
    max_orders: Annotated[int, Field(ge=1, le=10_000)] = 100
    cutoff_before: AwareDatetime | None = None
    zone: Code | None = None
    lot_policy: LotPolicy = LotPolicy.FEFO
    staging: Code | None = None
    lines_per_task: Annotated[int, Field(ge=1, le=1000)] = 40
    today: date | None = None  # for the expiry check; default: the date of the request


class ShipIn(_In):
    occurred_at: AwareDatetime
    device_id: Code
    source_kind: SourceKind = SourceKind.SYSTEM
    read_point: Code | None = None  # the outbound portal that saw it leave


class ActIn(_In):
    occurred_at: AwareDatetime
    device_id: Code = "hub"


class CountIn(_In):
    warehouse: Code
    locations: list[Code] = Field(min_length=1, max_length=500)
    sku: Code | None = None
    blind: bool = True


class CountPlanIn(_In):
    warehouse: Code
    classes: dict[str, Literal["A", "B", "C"]] = Field(max_length=200_000)
    today: date
    blind: bool = True


class Created(BaseModel):
    ids: list[str]
    detail: dict[str, object] = Field(default_factory=dict)
    at: datetime | None = None


class ResolveIn(_In):
    """Closing a lot exception; an expiry conflict names the expiry that holds."""

    expiry: date | None = Field(None, description="the expiry that holds (expiry conflicts)")
    note: str = Field("", max_length=500)
