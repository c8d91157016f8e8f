"""Orders and reservations: available-to-promise and how much of a line can be reserved.

Rule kept here: ATP = on hand (available status) − reserved, per warehouse and SKU, never
below zero; quarantined and damaged stock is never promised. The store makes the read and
the reservation atomic; this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from cloud_hub.work.model import ZERO, StockLine
from protocol.events import StockStatus


class OrderState(StrEnum):
    OPEN = "open"  # created, not (fully) reserved
    RESERVED = "reserved"
    RELEASED = "released"  # in a wave, being picked
    PICKED = "picked"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Order:
    """A sales or transfer order to ship from one warehouse."""

    order_id: str
    warehouse: str
    lines: tuple[OrderLine, ...]
    carrier: str = ""
    cutoff: datetime | None = None  # the carrier's collection time
    priority: int = 0
    kind: str = "sales"  # sales / transfer
    customer_id: str | None = None  # who it is for (work/pg/customers.py)
    ship_to_id: str | None = None  # one of the customer's ship-tos; None: its own address


def on_hand_available(stock: Iterable[StockLine]) -> dict[str, Decimal]:
    """Available-status quantity per SKU (quarantined and damaged excluded)."""
    totals: dict[str, Decimal] = {}
    for line in stock:
        if line.status is StockStatus.AVAILABLE:
            totals[line.sku] = totals.get(line.sku, ZERO) + line.quantity
    return totals


def available_to_promise(on_hand: Decimal, reserved: Decimal) -> Decimal:
    return max(ZERO, on_hand - reserved)


@dataclass(frozen=True, slots=True)
class LineReservation:
    line_no: int
    sku: str
    requested: Decimal
    reserved: Decimal

    @property
    def short(self) -> Decimal:
        return self.requested - self.reserved


def reserve_lines(order: Order, atp: Mapping[str, Decimal], *,
                  allow_partial: bool = True) -> tuple[LineReservation, ...]:
    """How much of each line to reserve given ATP per SKU. Lines of the same SKU share its ATP.
    Without `allow_partial` an order that cannot be served whole reserves nothing."""
    left = dict(atp)
    out: list[LineReservation] = []
    for line in order.lines:
        take = min(line.quantity, left.get(line.sku, ZERO))
        left[line.sku] = left.get(line.sku, ZERO) - take
        out.append(LineReservation(line.line_no, line.sku, line.quantity, take))
    if not allow_partial and any(r.short > ZERO for r in out):
        return tuple(LineReservation(r.line_no, r.sku, r.requested, ZERO) for r in out)
    return tuple(out)
