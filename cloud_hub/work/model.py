"""The warehouse as the work rules see it: bins with coordinates, SKU profiles, stock lines.

Rule kept here: these are plain frozen values; nothing here reads a clock or a database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from protocol.events import StockStatus

ZERO = Decimal(0)
RESTRICTED_TAGS = frozenset({"cold", "hazardous", "high_value"})
"""Bins with one of these tags hold only goods that need it (a cold room is not overflow)."""


class BinKind(StrEnum):
    STORAGE = "storage"
    DOCK = "dock"
    STAGING = "staging"
    QUARANTINE = "quarantine"


@dataclass(frozen=True, slots=True)
class Bin:
    """A location with where it is (x/y in metres, aisle and bay for the walking path)."""

    code: str
    warehouse: str
    zone: str = ""
    x: float = 0.0
    y: float = 0.0
    aisle: int = 0
    bay: int = 0
    level: int = 0
    capacity: Decimal | None = None  # volume units; None: unlimited
    kind: BinKind = BinKind.STORAGE
    tags: frozenset[str] = frozenset()

    def distance_to(self, other: Bin) -> float:
        return math.hypot(self.x - other.x, self.y - other.y)

    def accepts(self, needs: frozenset[str]) -> bool:
        """A SKU fits when the bin has every tag it needs and no restricted tag it does not."""
        return needs <= self.tags and (self.tags & RESTRICTED_TAGS) <= needs


@dataclass(frozen=True, slots=True)
class SkuProfile:
    """What putaway and picking need to know of a SKU."""

    sku: str
    category: str = ""
    unit_volume: Decimal = Decimal(1)
    needs: frozenset[str] = frozenset()  # e.g. {"cold"}, {"hazardous"}
    home_bin: str | None = None
    gtins: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StockLine:
    """A quantity of one SKU and lot at one location (optionally inside a handling unit)."""

    location: str
    sku: str
    lot: str
    quantity: Decimal
    status: StockStatus = StockStatus.AVAILABLE
    expiry: date | None = None
    received_at: datetime | None = None
    unit_key: str | None = None


@dataclass(frozen=True, slots=True)
class BinLoad:
    """How full a bin is and with what (sku, lot) pairs."""

    used: Decimal = ZERO
    contents: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return self.used <= ZERO and not self.contents


def free_space(bin_: Bin, load: BinLoad) -> Decimal | None:
    """Remaining capacity, or None when the bin is unlimited."""
    return None if bin_.capacity is None else bin_.capacity - load.used
