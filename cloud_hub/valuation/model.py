"""What the valuation core folds and what it answers: movements in, entries and reviews out.

Rule kept here: every value the core posts is a whole number of cents (ROUND_HALF_UP), so the
stock value, COGS and adjustments always add up to what came in, to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")
ZERO = Decimal(0)


class Method(StrEnum):
    FIFO = "fifo"
    AVCO = "avco"  # moving (weighted) average cost


class Kind(StrEnum):
    RECEIPT = "receipt"
    ISSUE = "issue"
    TRANSFER = "transfer"
    ADJUST_IN = "adjust_in"
    ADJUST_OUT = "adjust_out"
    LANDED_COST = "landed_cost"


class Bucket(StrEnum):
    """Where value that leaves stock goes."""

    COGS = "cogs"
    ADJUSTMENTS = "adjustments"


class ValuationError(ValueError):
    """A movement the core refuses; `key` names it (a CSV line, a move seq)."""

    def __init__(self, key: int, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def an(kind: Kind) -> str:
    """'an issue', 'a receipt': for messages."""
    return f"{'an' if kind.value[0] in 'aeiou' else 'a'} {kind.value}"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def share(total: Decimal, part: Decimal, whole: Decimal) -> Decimal:
    """`part/whole` of `total` in cents; all of it when part is the whole (no cent is lost)."""
    if part == whole:
        return total
    return cents(total * part / whole)


@dataclass(frozen=True, slots=True)
class Movement:
    """One dated stock movement. Money is in base currency once `base_value` has converted it:
    `unit_cost` is in `currency` (None: base) at `rate` base units per currency unit."""

    key: int  # the caller's name for it: a CSV line number, a ledger seq
    at: datetime
    warehouse: str
    sku: str
    kind: Kind
    quantity: Decimal = ZERO  # > 0, except a landed cost's (unused)
    unit_cost: Decimal | None = None  # receipt, adjust_in
    currency: str | None = None
    rate: Decimal | None = None
    to_warehouse: str | None = None  # transfer
    ref: str | None = None  # a receipt's reference; the receipt a landed cost adds to
    amount: Decimal | None = None  # landed cost, in base currency
    lot: str = ""  # carried into entries (reports by lot); holdings are per warehouse/SKU


@dataclass(frozen=True, slots=True)
class Entry:
    """What one movement did to one warehouse/SKU: stock quantity and value deltas (signed), and
    the value that left stock for COGS or adjustments (corrections of estimates included)."""

    key: int
    at: datetime
    warehouse: str
    sku: str
    kind: Kind
    quantity: Decimal
    value: Decimal
    cogs: Decimal = ZERO
    adjustments: Decimal = ZERO
    inbound: bool = False  # the destination side of a transfer
    lot: str = ""


@dataclass(frozen=True, slots=True)
class Review:
    """Something a person should look at: stock issued beyond its valued quantity (valued at
    an estimate), or the estimate settled when goods arrived later."""

    key: int
    warehouse: str
    sku: str
    quantity: Decimal
    unit_cost: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class Position:
    warehouse: str
    sku: str
    quantity: Decimal  # negative while issues exceed what was valued (see Review)
    value: Decimal
