"""What the ledger offers its writers and readers, whatever stores it: the result of applying a
batch, and the Ledger interface (apply, balances, unit, history) with an in-memory
implementation (cloud_hub.ledger.memory) and a PostgreSQL one (cloud_hub.ledger.pg.ledger),
both held to one contract (tests/ledger/test_ledger_contract.py).

Rule kept here: a batch's result names each new event's outcome in batch order and every id
that was already known (exactly-once: a redelivery changes nothing and is reported as such).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol
from uuid import UUID

from cloud_hub.ledger.decide import Outcome
from cloud_hub.ledger.state import MoveStatus, StockKey, UnitState
from protocol.events import StockMoved


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The outcome of each new event in batch order, and the ids that were already known."""

    outcomes: tuple[Outcome, ...]
    duplicates: tuple[UUID, ...]
    balances: dict[StockKey, Decimal] = field(default_factory=dict)  # new values of touched rows
    warehouse_of: dict[str, str] = field(default_factory=dict)  # location code -> warehouse

    def count(self, status: MoveStatus) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def applied(self) -> int:
        return self.count(MoveStatus.APPLIED)

    @property
    def rejected(self) -> int:
        return self.count(MoveStatus.REJECTED)

    @property
    def late(self) -> int:
        return self.count(MoveStatus.LATE)


@dataclass(frozen=True, slots=True)
class Recorded:
    """A move in the ledger's history: applied, or late (recorded, changing nothing). A
    rejected move is not history: it waits in the rejected-moves queue."""

    event_id: UUID
    occurred_at: datetime
    status: MoveStatus
    unit_key: str | None
    note: str | None = None


class Ledger(Protocol):
    """Balances and handling units folded from StockMoved events, each applied exactly once."""

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None = None) -> BatchResult:
        """Apply a batch whole, in order; an event id seen before (in this batch or any
        earlier one, rejected or not) is a duplicate and changes nothing."""
        ...

    def balances(self, warehouse: str) -> dict[StockKey, Decimal]:
        """The warehouse's stock on hand: every non-zero balance."""
        ...

    def unit(self, key: str) -> UnitState | None:
        """Where a handling unit is (by its ledger key, "sscc:..." or "epc:...") and what it
        holds; None for a unit the ledger never placed."""
        ...

    def history(self, warehouse: str, unit: str | None = None) -> list[Recorded]:
        """The warehouse's recorded moves in the order they were applied; with `unit`, that
        unit's moves in the order they happened (then as applied)."""
        ...
