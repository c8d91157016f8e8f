"""What a trace is made of: the moves it reads, the steps it tells, where the stock is now.

Rule kept here: a trace is a fold of ledger rows read by trace/pg (nothing here reads a clock or
the database). A lot is a SKU and a lot code (`LotKey`); a unit is its ledger key (`sscc:…`,
`epc:…`). Every read is bounded (`Limits`), and a trace says when a bound cut it short.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL's: its binary timestamps count from it
MICROSECOND = timedelta(microseconds=1)


def instant(micros: int) -> datetime:
    """A MoveRow's time (µs since 2000-01-01 UTC) as the UTC datetime a Step carries."""
    return EPOCH + timedelta(microseconds=micros)


def micros(when: datetime) -> int:
    """A datetime as µs since 2000-01-01 UTC (exact: no float in between)."""
    return (when - EPOCH) // MICROSECOND


class Direction(StrEnum):
    BACKWARD = "backward"  # where it came from: receipts, ASN, supplier, the moves that brought it
    FORWARD = "forward"  # where it went: putaways, transfers, picks, packing, orders, shipments
    BOTH = "both"


class LotKey(NamedTuple):
    sku: str
    lot: str


@dataclass(frozen=True, slots=True)
class ContentLine:
    """One line of the contents a unit move declared (a pallet received with its lots)."""

    sku: str
    lot: str
    quantity: Decimal


class MoveRow(NamedTuple):
    """A `moves` row as the trace reads it (trace/pg/queries.py: MOVE_COLUMNS), a tuple: a hot
    lot is tens of thousands of them. `contents`: what a unit move declared, JSON text."""

    seq: int
    event_id: str | None  # None as read in bulk: trace/pg fills it for the page answered
    occurred_at: int  # µs since 2000-01-01 UTC: a fraction of a datetime's cost to read, compare
    reason: str
    unit_key: str | None
    sku: str | None
    lot: str | None
    quantity: str | None  # numeric as text: a Decimal only where a fold adds it or a Step shows it
    status: str | None
    to_status: str | None
    from_location: str | None
    to_location: str | None
    task_id: str | None
    user_id: str | None
    contents: str | None = None

    @property
    def lot_key(self) -> LotKey | None:
        sku = self.sku
        return None if sku is None else LotKey(sku, self.lot or "")


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one trace may read. Bounds are per query; `steps` is what the answer holds."""

    lots: int = 50  # lots a unit's trace follows
    carriers: int = 5_000  # units that ever held the traced lots
    moves: int = 20_000  # moves read per query (a lot's own, its carriers')
    steps: int = 1_000  # steps answered (the caller's `limit`, at most MAX_STEPS)


DEFAULT_STEPS = 1_000
MAX_STEPS = 10_000


class Step(NamedTuple):
    """One thing that happened to the traced stock. `via_unit`: the stock moved because the unit
    holding it moved (the unit's own move; quantity is what the unit held of the lot)."""

    seq: int
    event_id: str
    occurred_at: datetime
    kind: str  # the move's reason, or pack / unpack for an item put into / taken out of a unit
    sku: str
    lot: str
    quantity: Decimal | None
    unit: str | None
    via_unit: bool
    from_location: str | None
    to_location: str | None
    status: str | None
    to_status: str | None
    user: str | None
    receipt: str | None  # task `receipt:<id>`
    order: str | None  # task `ship:<order>`


@dataclass(frozen=True, slots=True)
class Trace:
    lots: tuple[LotKey, ...]
    steps: tuple[Step, ...]
    units: tuple[str, ...]  # every unit that held the traced stock at some time
    truncated: bool  # a bound cut the reads or the steps: narrow the query (sku) or page on
    total_steps: int = 0  # steps the bounded reads found, before paging
    next_offset: int | None = None  # pass as `offset` for the next page of steps
    receipts: tuple[str, ...] = ()  # receipt ids the chosen steps name (all pages)
    orders: tuple[str, ...] = ()  # order ids the chosen steps ship (all pages)


@dataclass(frozen=True, slots=True)
class Holding:
    """Stock of a traced lot now: at a location (a balance), or in a unit (its contents; the
    unit's location, None once it left the warehouse)."""

    sku: str
    lot: str
    status: str
    quantity: Decimal
    location: str | None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptRef:
    receipt_id: str
    supplier: str
    dock: str
    state: str
    expected: tuple[tuple[LotKey, Decimal], ...]  # the ASN lines of the traced lots


@dataclass(frozen=True, slots=True)
class Pick:
    order_id: str
    line_no: int
    sku: str
    lot: str
    location: str
    quantity: Decimal
    shipped: bool
    task_id: str


@dataclass(frozen=True, slots=True)
class OrderRef:
    order_id: str
    kind: str
    state: str
    carrier: str


@dataclass(frozen=True, slots=True)
class Report:
    """A trace with what the work tables and the current state say about it."""

    warehouse: str
    subject: str  # lot / unit
    unit: str | None
    direction: Direction
    trace: Trace
    on_hand: tuple[Holding, ...]
    in_units: tuple[Holding, ...]
    receipts: tuple[ReceiptRef, ...]
    orders: tuple[OrderRef, ...]
    picks: tuple[Pick, ...]
    cut: bool = False  # a read of the current state or the work tables hit its bound
    notes: tuple[str, ...] = field(default=())
