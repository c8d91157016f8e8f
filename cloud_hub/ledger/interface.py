"""What the ledger offers its writers and readers, whatever stores it: the result of applying a
batch.

Rule kept here: a batch's result names each new event's outcome in batch order and every id
that was already known (exactly-once: a redelivery changes nothing and is reported as such).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from cloud_hub.ledger.decide import Outcome
from cloud_hub.ledger.state import MoveStatus, StockKey


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

