"""A hub process's memory of ledger rows, so steady ingest does not re-read what it wrote.

Rule kept here: a warehouse's cached rows are used only when the ledger version read under
that warehouse's apply lock is exactly one past the version this process last committed;
any other writer (another replica, a rebuild, a location change) makes a gap and the cache
for that warehouse is dropped. A failed transaction drops it too.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from cloud_hub.ledger import LocationInfo, StockKey, UnitState


@dataclass
class WarehouseCache:
    version: int | None = None
    balances: dict[StockKey, Decimal] = field(default_factory=dict)
    units: dict[str, UnitState | None] = field(default_factory=dict)
    locations: dict[str, LocationInfo | None] = field(default_factory=dict)
    stock_complete: bool = False  # all of the warehouse's balances were loaded

    def size(self) -> int:
        return len(self.balances) + len(self.units) + len(self.locations)


@dataclass
class LedgerCache:
    max_rows: int = 2_000_000
    max_recent: int = 200_000
    warehouses: dict[str, WarehouseCache] = field(default_factory=dict)
    # Event ids this process committed lately (oldest first): a redelivery of one of them
    # is known to be a duplicate without asking the database.
    recent: dict[UUID, None] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def checkout(self, warehouse: str, new_version: int) -> WarehouseCache:
        """The cache to use for a batch that just bumped `warehouse` to `new_version`."""
        cached = self.warehouses.get(warehouse)
        if cached is not None and cached.version == new_version - 1 \
                and cached.size() <= self.max_rows:
            self.hits += 1
            return cached
        self.misses += 1
        fresh = WarehouseCache()
        self.warehouses[warehouse] = fresh
        return fresh

    def committed(self, warehouse: str, version: int, event_ids: Iterable[UUID] = ()) -> None:
        self.warehouses[warehouse].version = version
        self.remember(event_ids)

    def remember(self, event_ids: Iterable[UUID]) -> None:
        recent = self.recent
        for event_id in event_ids:
            recent[event_id] = None
        excess = len(recent) - self.max_recent
        if excess > 0:
            for event_id in list(itertools.islice(recent, excess)):
                del recent[event_id]

    def forget(self, event_ids: Iterable[UUID]) -> None:
        for event_id in event_ids:
            self.recent.pop(event_id, None)

    def drop(self, warehouse: str) -> None:
        self.warehouses.pop(warehouse, None)
