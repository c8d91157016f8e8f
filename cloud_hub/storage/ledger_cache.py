"""A hub process's memory of ledger rows, so steady ingest does not re-read what it wrote.

Rule kept here: a warehouse's cached rows are used only when the ledger version read under
that warehouse's apply lock is exactly one past the version this process last committed;
any other writer (another replica, a rebuild, a location change) makes a gap and the cache
for that warehouse is dropped. A failed transaction drops it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

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
    warehouses: dict[str, WarehouseCache] = field(default_factory=dict)
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

    def committed(self, warehouse: str, version: int) -> None:
        self.warehouses[warehouse].version = version

    def drop(self, warehouse: str) -> None:
        self.warehouses.pop(warehouse, None)
