"""A purchase order's life: draft → sent → confirmed → (partly) received → closed, or
cancelled; what each step allows.

Rule kept here: the stored state is what people decided (draft, sent, confirmed, closed,
cancelled); "partly received" and "received" follow from the quantities received, so they can
never disagree with the receipts. A supplier's confirmation may change quantities and dates
(never below what arrived); goods are received only on a sent or confirmed PO; a PO that
received anything is closed, not cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class PoState(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    CONFIRMED = "confirmed"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class PoAction(StrEnum):
    SEND = "send"
    CONFIRM = "confirm"
    CLOSE = "close"
    CANCEL = "cancel"


class PoRefused(ValueError):
    """A step the PO's state does not allow, or a change that makes no sense."""


# What each action leads to, from which stored states.
_STEPS: dict[PoAction, tuple[frozenset[PoState], PoState]] = {
    PoAction.SEND: (frozenset({PoState.DRAFT}), PoState.SENT),
    PoAction.CONFIRM: (frozenset({PoState.SENT, PoState.CONFIRMED}), PoState.CONFIRMED),
    PoAction.CLOSE: (frozenset({PoState.SENT, PoState.CONFIRMED}), PoState.CLOSED),
    PoAction.CANCEL: (frozenset({PoState.DRAFT, PoState.SENT, PoState.CONFIRMED}),
                      PoState.CANCELLED),
}
RECEIVING = frozenset({PoState.SENT, PoState.CONFIRMED})  # stored states that take goods
OPEN = frozenset({PoState.DRAFT, PoState.SENT, PoState.CONFIRMED})  # stock on order


@dataclass(frozen=True, slots=True)
class PoLine:
    line_no: int
    sku: str
    quantity: Decimal
    received: Decimal = Decimal(0)
    unit_price: Decimal = Decimal(0)
    expected_on: date | None = None

    @property
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received, Decimal(0))


def shown_state(stored: PoState, lines: Sequence[PoLine]) -> PoState:
    """What a planner sees: a sent or confirmed PO that received something is partly
    received, one whose every line is complete is received."""
    if stored not in RECEIVING or not any(ln.received > 0 for ln in lines):
        return stored
    done = all(ln.received >= ln.quantity for ln in lines)
    return PoState.RECEIVED if done else PoState.PARTLY_RECEIVED


def step(stored: PoState, action: PoAction, lines: Sequence[PoLine]) -> PoState:
    """The stored state after `action`, or PoRefused saying why not."""
    allowed, after = _STEPS[action]
    shown = shown_state(stored, lines)
    if stored not in allowed:
        raise PoRefused(f"a {shown.replace('_', ' ')} purchase order cannot be {_past(action)}"
                        f" (allowed from: {', '.join(sorted(s.value for s in allowed))})")
    if action is PoAction.CANCEL and any(ln.received > 0 for ln in lines):
        raise PoRefused("goods were received on this purchase order: close it instead of "
                        "cancelling")
    if action is PoAction.SEND and not any(ln.quantity > 0 for ln in lines):
        raise PoRefused("a purchase order without a line to order cannot be sent")
    return after


def _past(action: PoAction) -> str:
    return {PoAction.SEND: "sent", PoAction.CONFIRM: "confirmed", PoAction.CLOSE: "closed",
            PoAction.CANCEL: "cancelled"}[action]


@dataclass(frozen=True, slots=True)
class LineChange:
    """A supplier's confirmation of one line: the quantity it will deliver, and when."""

    line_no: int
    quantity: Decimal | None = None
    expected_on: date | None = None


def confirm_lines(lines: Sequence[PoLine], changes: Sequence[LineChange]) -> list[PoLine]:
    """Lines as the supplier confirmed them; a line no change names stays as ordered. A line
    may not be confirmed below what was already received on it."""
    by_no = {ln.line_no: ln for ln in lines}
    out = dict(by_no)
    for ch in changes:
        line = by_no.get(ch.line_no)
        if line is None:
            raise PoRefused(f"the purchase order has no line {ch.line_no}")
        qty = line.quantity if ch.quantity is None else ch.quantity
        if qty < 0:
            raise PoRefused(f"line {ch.line_no}: a quantity cannot be negative")
        if qty < line.received:
            raise PoRefused(f"line {ch.line_no}: {line.received} were already received, "
                            f"more than the {qty} confirmed")
        out[ch.line_no] = PoLine(line.line_no, line.sku, qty, line.received, line.unit_price,
                                 ch.expected_on or line.expected_on)
    return [out[n] for n in sorted(out)]
