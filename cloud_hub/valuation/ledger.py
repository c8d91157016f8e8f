"""What a ledger move means for valuation: the hub's moves as the core's movements.

Rule kept here: only goods crossing a warehouse's edge change its value. Arriving from outside
is a receipt (reason `receive`) or a gain (anything else: counts, adjustments); leaving is an
issue (`pick`, `ship`) or a loss; going to another warehouse's location is a transfer; moves
inside a warehouse (putaway, status changes) change no value. A receipt without a cost on its
receipt line is valued at the last unit cost (else the SKU's standard `unit_value`, else 0)
and flagged for review, never at zero silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from cloud_hub.valuation.book import Book
from cloud_hub.valuation.model import Kind, Movement, Review

ISSUE_REASONS = frozenset({"pick", "ship"})
RECEIPT_REASONS = frozenset({"receive"})


@dataclass(frozen=True, slots=True)
class LedgerMove:
    """An item quantity's move as stored (a unit's declared contents count as item lines)."""

    seq: int
    occurred_at: datetime
    sku: str
    lot: str
    quantity: Decimal
    reason: str
    from_warehouse: str | None  # the from location's warehouse; None: from outside
    to_warehouse: str | None  # None: it left
    unit_cost: Decimal | None = None  # its receipt line's, in `currency` at `rate`
    currency: str | None = None
    rate: Decimal | None = None
    standard_cost: Decimal | None = None  # the SKU's unit_value
    task: str | None = None  # the move's task id ("receipt:R1", "transfer:T1", ...)


def paired_transfers(moves: list[LedgerMove]) -> list[LedgerMove]:
    """A transfer between warehouses posted as two legs (cloud_hub/supply: the goods leave the
    source, then arrive in the destination's transit location, in one transaction, one after
    the other) as one move from warehouse to warehouse, so the goods keep their cost. Legs
    that do not pair stay as they are (a loss and a gain)."""
    out: list[LedgerMove] = []
    i = 0
    while i < len(moves):
        leg, nxt = moves[i], moves[i + 1] if i + 1 < len(moves) else None
        if (nxt is not None and leg.reason == "transfer" and nxt.reason == "transfer"
                and leg.task is not None and leg.task == nxt.task
                and (leg.sku, leg.lot, leg.quantity) == (nxt.sku, nxt.lot, nxt.quantity)
                and leg.from_warehouse is not None and leg.to_warehouse is None
                and nxt.from_warehouse is None and nxt.to_warehouse is not None
                and nxt.to_warehouse != leg.from_warehouse):
            out.append(replace(leg, to_warehouse=nxt.to_warehouse))
            i += 2
            continue
        out.append(leg)
        i += 1
    return out


def kind_of(move: LedgerMove) -> Kind | None:
    """The valuation kind of a move; None: it changes no warehouse's value."""
    if move.quantity <= 0:
        return None
    if move.from_warehouse is None and move.to_warehouse is not None:
        return Kind.RECEIPT if move.reason in RECEIPT_REASONS else Kind.ADJUST_IN
    if move.from_warehouse is not None and move.to_warehouse is None:
        return Kind.ISSUE if move.reason in ISSUE_REASONS else Kind.ADJUST_OUT
    if move.from_warehouse is not None and move.to_warehouse not in (None, move.from_warehouse):
        return Kind.TRANSFER
    return None


def movement_of(move: LedgerMove, book: Book) -> Movement | None:
    """The movement to fold (costs resolved against `book`); None: nothing to value."""
    kind = kind_of(move)
    if kind is None:
        return None
    warehouse = move.from_warehouse or move.to_warehouse or ""
    unit_cost, currency, rate = move.unit_cost, move.currency, move.rate
    if kind in (Kind.RECEIPT, Kind.ADJUST_IN) and unit_cost is None:
        currency = rate = None
        unit_cost = book.estimate(warehouse, move.sku)
        source = "the last unit cost"
        if unit_cost is None:
            unit_cost, source = move.standard_cost, "the SKU's standard cost (unit_value)"
        if unit_cost is None:
            unit_cost, source = Decimal(0), "0: no cost is known"
        if kind is Kind.RECEIPT or source.startswith("0"):
            book.flag(Review(move.seq, warehouse, move.sku, move.quantity, unit_cost,
                             f"{kind} without a cost: valued at {source}"))
    elif kind not in (Kind.RECEIPT, Kind.ADJUST_IN):
        unit_cost = currency = rate = None
    return Movement(move.seq, move.occurred_at, warehouse, move.sku, kind, move.quantity,
                    unit_cost, currency, rate,
                    move.to_warehouse if kind is Kind.TRANSFER else None, lot=move.lot)


def holding_of(move: LedgerMove) -> tuple[str, str] | None:
    """The one warehouse/SKU a move values (None: a transfer, which values two, or nothing)."""
    kind = kind_of(move)
    if kind is None or kind is Kind.TRANSFER:
        return None
    return (move.from_warehouse or move.to_warehouse or "", move.sku)


def late_holdings(moves: Iterable[LedgerMove], last_at: Mapping[tuple[str, str], datetime]
                  ) -> dict[tuple[str, str], LedgerMove]:
    """The warehouse/SKUs that receive a move dated before one they have already valued (in
    `last_at`, or earlier in `moves`, which come in seq order), with their earliest-dated such
    move: from its date on, their values must be folded again in date order."""
    latest = dict(last_at)
    late: dict[tuple[str, str], LedgerMove] = {}
    for move in moves:
        pair = holding_of(move)
        if pair is None:
            continue
        seen = latest.get(pair)
        if seen is not None and move.occurred_at < seen:
            if pair not in late or move.occurred_at < late[pair].occurred_at:
                late[pair] = move
        else:
            latest[pair] = move.occurred_at
    return late
