"""Request bodies of supply's routes: validated here (bounds, codes), so bad input is a 422
that names the field before anything is read or written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from cloud_hub.supply.transfer import check_route

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Qty = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)]
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=6)]
Days = Annotated[float, Field(ge=0, le=3650, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class SupplierIn(_In):
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    currency: Currency = "EUR"
    active: bool = True


class NewSupplierIn(SupplierIn):
    code: Code


class TermsIn(_In):
    lead_time_days: Days = Field(description="days from order to arrival")
    lead_time_sd_days: Days = Field(0.0, description="standard deviation of the lead time")
    moq: Money = Field(Decimal(0), description="minimum order quantity")
    pack_multiple: Qty = Field(Decimal(1), description="order in whole multiples of this")
    price: Money | None = Field(None, description="unit price in `currency`")
    currency: Currency = "EUR"
    preferred: bool = Field(False, description="the supplier planning orders this SKU from")


class ParametersIn(_In):
    """Overrides for one SKU in one warehouse; a field sent as null clears it (back to the
    preferred supplier's term, then planning's default); a field not sent is left alone."""

    supplier: Code | None = None
    lead_time_days: Days | None = None
    lead_time_sd_days: Days | None = None
    service_level: Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)] | None = None
    review_days: Days | None = None
    unit_cost: Money | None = None
    order_cost: Money | None = None
    holding_rate: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = None
    pack_size: Qty | None = None
    min_order: Money | None = None
    min_qty: Money | None = Field(None, description="reorder at or below this (own min)")
    max_qty: Qty | None = Field(None, description="order up to this (own max)")

    @model_validator(mode="after")
    def _min_below_max(self) -> ParametersIn:
        if self.min_qty is not None and self.max_qty is not None and self.min_qty >= self.max_qty:
            raise ValueError("min_qty must be below max_qty")
        return self


class PoLineIn(_In):
    sku: Code
    quantity: Qty
    unit_price: Money | None = Field(None, description="default: the supplier's price")
    expected_on: date | None = None


class PurchaseOrderIn(_In):
    po_id: Code | None = Field(None, description="default: a new id")
    supplier: Code
    warehouse: Code
    expected_on: date | None = None
    lines: list[PoLineIn] = Field(min_length=1, max_length=5000)


class LineChangeIn(_In):
    line_no: Annotated[int, Field(gt=0)]
    quantity: Money | None = Field(None, description="what the supplier will deliver")
    expected_on: date | None = None


class PoActionIn(_In):
    note: Annotated[str, StringConstraints(max_length=1000)] = ""
    lines: list[LineChangeIn] = Field(default_factory=list, max_length=5000,
                                      description="confirm only: the supplier's changes")


class PoReceiptIn(_In):
    dock: Code
    receipt_id: Code | None = None
    quarantine: bool = False
    over_tolerance_pct: Annotated[Decimal, Field(ge=0, le=1000)] | None = None


class FromSuggestionsIn(_In):
    warehouse: Code | None = None
    expected_on: date | None = None


class TransferLineIn(_In):
    sku: Code
    quantity: Qty
    from_location: Code = Field(description="where it leaves the source warehouse")
    lot: Annotated[str, StringConstraints(max_length=128)] = ""


class TransferIn(_In):
    transfer_id: Code | None = Field(None, description="default: a new id")
    warehouse: Code = Field(description="the source warehouse, which ships")
    to_warehouse: Code = Field(description="the destination, which receives")
    lines: list[TransferLineIn] = Field(min_length=1, max_length=5000)

    @model_validator(mode="after")
    def _two_warehouses(self) -> TransferIn:
        check_route(self.warehouse, self.to_warehouse)  # TransferRefused is a ValueError
        return self


class ScanIn(_In):
    occurred_at: AwareDatetime | None = Field(None, description="default: now")
    device_id: Code = "hub"


class TransferArrivalIn(_In):
    line_no: Annotated[int, Field(gt=0)]
    good: Money = Decimal(0)
    damaged: Money = Decimal(0)


class TransferReceiveIn(ScanIn):
    key: UUID = Field(description="idempotency key: the same key again books nothing twice")
    location: Code = Field(description="where the goods are put down in the destination")
    lines: list[TransferArrivalIn] = Field(default_factory=list, max_length=5000)
    close: bool = Field(False, description="write off what is still in transit as short")


class ScheduleIn(_In):
    every_minutes: Annotated[int, Field(ge=5, le=10080, description="how often planning runs")]
    days: Annotated[int, Field(ge=7, le=1095, description="days of demand history")] = 365
    enabled: bool = True
    first_run_at: AwareDatetime | None = Field(None, description="default: now")
