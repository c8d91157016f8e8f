"""Receiving: matching what arrives at a dock (a pallet seen by a portal or scanned, or loose
items) to its expected receipt, and reconciling over-, under- and unexpected deliveries.

Rule kept here: an arrival is matched to at most one receipt line; a unit seen twice counts
once; nothing arriving is ever dropped (what matches nothing is reported as unexpected).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from cloud_hub.work.model import ZERO

# How far over a line's quantity a receipt may go before a supervisor must accept the excess:
# enough for a supplier rounding up to full cases, not for the same goods booked twice.
DEFAULT_OVER_TOLERANCE_PCT = Decimal(10)


@dataclass(frozen=True, slots=True)
class ExpectedUnit:
    """A pallet/case announced on the ASN, by its ledger key ("sscc:..." or "epc:...")."""

    unit_key: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    line_id: str
    sku: str
    quantity: Decimal
    lot: str = ""
    expiry: date | None = None
    units: tuple[ExpectedUnit, ...] = ()
    # what one unit cost, in `currency` (None: the base currency) at `rate` base units per
    # currency unit; None: the valuation uses the last or standard cost and flags it
    unit_cost: Decimal | None = None
    currency: str | None = None
    rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ExpectedReceipt:
    """An ASN / purchase-order receipt: what a supplier said is coming to which dock."""

    receipt_id: str
    warehouse: str
    dock: str
    lines: tuple[ReceiptLine, ...]
    quarantine: bool = False  # received stock waits for quality release
    supplier: str = ""
    over_tolerance_pct: Decimal = DEFAULT_OVER_TOLERANCE_PCT
    closed: bool = False  # closed receipts receive nothing more

    def line(self, line_id: str) -> ReceiptLine | None:
        return next((ln for ln in self.lines if ln.line_id == line_id), None)


@dataclass(frozen=True, slots=True)
class Arrival:
    """Something seen at the dock: a unit (by key) and/or an item quantity."""

    unit_key: str | None = None
    sku: str | None = None
    lot: str | None = None
    quantity: Decimal | None = None


class MatchKind(StrEnum):
    MATCHED = "matched"
    OVER = "over"  # matches a line but exceeds what it expects (within the tolerance)
    OVER_LIMIT = "over_limit"  # would exceed the line by more than the receipt's tolerance
    DUPLICATE = "duplicate"  # this unit was already received
    UNEXPECTED = "unexpected"  # matches no line


@dataclass(frozen=True, slots=True)
class ArrivalMatch:
    kind: MatchKind
    line_id: str | None
    sku: str | None
    lot: str
    quantity: Decimal
    unit_key: str | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class ReceivedSoFar:
    """Progress on a receipt: quantity per line and the unit keys already received."""

    by_line: Mapping[str, Decimal]
    units: frozenset[str] = frozenset()

    def line_qty(self, line_id: str) -> Decimal:
        return self.by_line.get(line_id, ZERO)


def match_arrival(receipt: ExpectedReceipt, so_far: ReceivedSoFar,
                  arrival: Arrival) -> ArrivalMatch:
    """Which receipt line this arrival belongs to, and whether it is over or unexpected."""
    if arrival.unit_key is not None:
        if arrival.unit_key in so_far.units:
            return ArrivalMatch(MatchKind.DUPLICATE, None, None, "", ZERO, arrival.unit_key,
                                f"{arrival.unit_key} was already received")
        for line in receipt.lines:
            for unit in line.units:
                if unit.unit_key == arrival.unit_key:
                    qty = arrival.quantity if arrival.quantity is not None else unit.quantity
                    return _against_line(receipt, line, so_far, qty, arrival.unit_key)
    if arrival.sku is not None:
        # A line that names no lot (a purchase order's) takes whatever lot arrives.
        def same_lot(line: ReceiptLine) -> bool:
            return arrival.lot is None or not line.lot or arrival.lot == line.lot
        for line in receipt.lines:
            if line.sku == arrival.sku and same_lot(line) and not line.units:
                return _against_line(receipt, line, so_far, arrival.quantity or ZERO,
                                     arrival.unit_key, arrival.lot)
        for line in receipt.lines:  # a SKU on the ASN but not this lot, or announced on pallets
            if line.sku == arrival.sku and same_lot(line):
                return _against_line(receipt, line, so_far, arrival.quantity or ZERO,
                                     arrival.unit_key, arrival.lot)
    return ArrivalMatch(MatchKind.UNEXPECTED, None, arrival.sku, arrival.lot or "",
                        arrival.quantity or ZERO, arrival.unit_key,
                        f"not on receipt {receipt.receipt_id}")


def _against_line(receipt: ExpectedReceipt, line: ReceiptLine, so_far: ReceivedSoFar,
                  qty: Decimal, unit_key: str | None, lot: str | None = None) -> ArrivalMatch:
    after = so_far.line_qty(line.line_id) + qty
    limit = line.quantity * (1 + receipt.over_tolerance_pct / 100)
    if after > limit:
        return ArrivalMatch(MatchKind.OVER_LIMIT, line.line_id, line.sku, line.lot or lot or "",
                            qty, unit_key,
                            f"line {line.line_id}: {after} of {line.quantity} would be received, "
                            f"more than the {receipt.over_tolerance_pct}% over the receipt "
                            f"{receipt.receipt_id} allows")
    kind = MatchKind.OVER if after > line.quantity else MatchKind.MATCHED
    message = (f"line {line.line_id}: {after} of {line.quantity} received"
               + (" (over)" if kind is MatchKind.OVER else ""))
    return ArrivalMatch(kind, line.line_id, line.sku, line.lot or lot or "", qty, unit_key,
                        message)


class DiscrepancyKind(StrEnum):
    OVER = "over"
    UNDER = "under"
    UNEXPECTED = "unexpected"


@dataclass(frozen=True, slots=True)
class Discrepancy:
    kind: DiscrepancyKind
    sku: str | None
    lot: str
    expected: Decimal
    received: Decimal
    line_id: str | None = None
    unit_key: str | None = None


def reconcile(receipt: ExpectedReceipt, so_far: ReceivedSoFar,
              unexpected: Iterable[ArrivalMatch] = ()) -> list[Discrepancy]:
    """What differs from the ASN when the receipt is closed: each line over or under, and every
    unexpected arrival."""
    found: list[Discrepancy] = []
    for line in receipt.lines:
        got = so_far.line_qty(line.line_id)
        if got != line.quantity:
            kind = DiscrepancyKind.OVER if got > line.quantity else DiscrepancyKind.UNDER
            found.append(Discrepancy(kind, line.sku, line.lot, line.quantity, got, line.line_id))
    for extra in unexpected:
        found.append(Discrepancy(DiscrepancyKind.UNEXPECTED, extra.sku, extra.lot, ZERO,
                                 extra.quantity, None, extra.unit_key))
    return found
