"""Suppliers, what they offer per SKU, and a planner's parameters per SKU × warehouse.

Rule kept here: values arrive validated (bounds, currency codes) before anything is written;
a planning parameter left unset (None) falls back to the preferred supplier's term, then to
planning's default — setting it to None clears an override.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class UnknownSupply(LookupError):
    """A supplier, SKU, warehouse or order that does not exist (the path named it: 404)."""


class UnknownReference(UnknownSupply):
    """A request body names a supplier, SKU or warehouse that does not exist (422)."""


@dataclass(frozen=True, slots=True)
class Supplier:
    code: str
    name: str = ""
    currency: str = "EUR"
    active: bool = True


@dataclass(frozen=True, slots=True)
class SupplierTerms:
    supplier: str
    sku: str
    lead_time_days: float
    lead_time_sd_days: float = 0.0
    moq: Decimal = Decimal(0)
    pack_multiple: Decimal = Decimal(1)
    price: Decimal | None = None
    currency: str = "EUR"
    preferred: bool = False


# The planning parameters a planner may set per SKU × warehouse (None: not set).
PARAMETERS = ("supplier", "lead_time_days", "lead_time_sd_days", "service_level",
              "review_days", "unit_cost", "order_cost", "holding_rate", "pack_size",
              "min_order", "min_qty", "max_qty")
