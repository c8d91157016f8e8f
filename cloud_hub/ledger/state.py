"""The ledger's state: balances (location × SKU × lot × status → quantity) and handling units.

Rule kept here: a LedgerState may be partial (only the rows a batch needs were loaded);
reading a row that was not loaded raises NotLoaded instead of guessing zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from protocol.events import StockStatus

ZERO = Decimal(0)


class StockKey(NamedTuple):
    """A balance row's key. A NamedTuple, not a dataclass: it is hashed millions of times."""

    location: str
    sku: str
    lot: str  # "" when the stock has no lot
    status: StockStatus


class ContentKey(NamedTuple):
    sku: str
    lot: str
    status: StockStatus

    def at(self, location: str) -> StockKey:
        return StockKey(location, self.sku, self.lot, self.status)

    def with_status(self, status: StockStatus | None) -> ContentKey:
        return self if status is None else ContentKey(self.sku, self.lot, status)


@dataclass(frozen=True, slots=True)
class UnitState:
    """Where a handling unit is (None: outside the warehouse), since when, and what it holds."""

    key: str
    location: str | None
    since: datetime
    last_event: UUID
    contents: tuple[tuple[ContentKey, Decimal], ...] = ()

    def content_map(self) -> dict[ContentKey, Decimal]:
        return dict(self.contents)


@dataclass(frozen=True, slots=True)
class LocationInfo:
    code: str
    warehouse: str


class MoveStatus(StrEnum):
    APPLIED = "applied"
    LATE = "late"  # recorded; older than what the ledger already knows of the unit
    REJECTED = "rejected"


class NotLoaded(LookupError):
    """The state is partial and the decision needs rows that were not loaded."""

    def __init__(self, stock: Iterable[StockKey] = (), units: Iterable[str] = (),
                 locations: Iterable[str] = ()) -> None:
        self.stock = frozenset(stock)
        self.units = frozenset(units)
        self.locations = frozenset(locations)
        super().__init__(f"not loaded: {len(self.stock)} balances, {len(self.units)} units, "
                         f"{len(self.locations)} locations")


@dataclass
class LedgerState:
    """The working set a fold runs over. `complete=True` means absent rows are zero/unknown;
    `complete=False` (a batch's partial view) means absent rows were simply not loaded."""

    balances: dict[StockKey, Decimal] = field(default_factory=dict)
    units: dict[str, UnitState | None] = field(default_factory=dict)
    locations: Mapping[str, LocationInfo | None] | None = None  # None: do not check locations
    complete: bool = True
    stock_complete: bool = False  # every non-zero balance is loaded, even when partial

    def balance(self, key: StockKey) -> Decimal:
        value = self.balances.get(key)
        if value is not None:
            return value
        if not (self.complete or self.stock_complete):
            raise NotLoaded(stock=[key])
        return ZERO

    def unit(self, key: str) -> UnitState | None:
        if key in self.units:
            return self.units[key]
        if not self.complete:
            raise NotLoaded(units=[key])
        return None

    def location(self, code: str) -> LocationInfo | None:
        assert self.locations is not None
        if code in self.locations:
            return self.locations[code]
        if not self.complete:
            raise NotLoaded(locations=[code])
        return None

    def on_hand(self) -> dict[StockKey, Decimal]:
        """Non-zero balances only: a rebuilt ledger and an incremental one compare equal."""
        return {k: v for k, v in self.balances.items() if v != ZERO}
