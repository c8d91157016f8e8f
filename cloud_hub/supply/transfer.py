"""Transfer orders between warehouses: shipped from the source into the destination's transit
location, then received at the destination (short, over, damaged).

Rule kept here: a transfer's two ledger steps are each moves within one warehouse — leaving
the source (reason transfer, to nowhere in the source) and arriving in the destination's
transit location (from nowhere in the destination) are applied in one transaction, so stock is
never in both warehouses nor in neither; receiving moves it from transit to a location of the
destination. A transfer to its own warehouse is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal(0)


class TransferRefused(ValueError):
    """A transfer or step that makes no sense (same warehouse, nothing to ship, wrong state)."""


class TransferState(StrEnum):
    DRAFT = "draft"
    SHIPPED = "shipped"  # in transit
    RECEIVED = "received"  # closed: every line received, short or written off
    CANCELLED = "cancelled"


def transit_location(warehouse: str) -> str:
    """The code of a warehouse's transit location (kind 'transit', created on first use)."""
    return f"{warehouse}-TRANSIT"


def check_route(from_warehouse: str, to_warehouse: str) -> None:
    if from_warehouse == to_warehouse:
        raise TransferRefused(f"a transfer needs two warehouses: {from_warehouse} to itself is "
                              "a move within the warehouse (POST /api/v1/moves)")


@dataclass(frozen=True, slots=True)
class TransferLine:
    line_no: int
    sku: str
    quantity: Decimal
    from_location: str
    lot: str = ""
    shipped: Decimal = ZERO
    received: Decimal = ZERO
    damaged: Decimal = ZERO
    short: Decimal = ZERO  # written off when the transfer was closed

    @property
    def in_transit(self) -> Decimal:
        return max(self.shipped - self.received - self.damaged - self.short, ZERO)


@dataclass(frozen=True, slots=True)
class Arrival:
    """What the destination counted for one line: good and damaged quantities."""

    line_no: int
    good: Decimal
    damaged: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Received:
    """How one arrival splits: what comes out of transit, what arrived beyond it (over)."""

    line_no: int
    from_transit_good: Decimal
    from_transit_damaged: Decimal
    over: Decimal


def split_arrival(line: TransferLine, arrival: Arrival) -> Received:
    """Damaged first, then good, out of what is still in transit; the rest is over-delivery
    (it arrives from outside the ledger's transit stock, and is reported)."""
    if arrival.good < 0 or arrival.damaged < 0 or arrival.good + arrival.damaged <= 0:
        raise TransferRefused(f"line {arrival.line_no}: give a positive good and/or damaged "
                              "quantity")
    left = line.in_transit
    damaged = min(arrival.damaged, left)
    good = min(arrival.good, left - damaged)
    over = arrival.good + arrival.damaged - good - damaged
    return Received(line.line_no, good, damaged, over)
