"""InMemoryLedger: the Ledger interface over a LedgerState held in memory — for pure tests of
the features that read and write the ledger, and the reference the PostgreSQL ledger is held to
(tests/ledger/test_ledger_contract.py runs one suite against both).

Rule kept here: it does what the PostgreSQL ledger does, decided by the same pure core: every
event id is a gate, rejected ones included; a batch is decided in order against the state the
moves before it left; only active locations of the right warehouse are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from uuid import UUID

from cloud_hub.ledger.decide import apply
from cloud_hub.ledger.interface import BatchResult, Recorded
from cloud_hub.ledger.state import LedgerState, LocationInfo, MoveStatus, StockKey, UnitState
from protocol.events import StockMoved


class InMemoryLedger:
    def __init__(self, locations: Mapping[str, str]) -> None:
        """`locations`: every known location's code and its warehouse."""
        self._where = dict(locations)
        self._state = LedgerState(
            locations={code: LocationInfo(code, wh) for code, wh in self._where.items()},
            complete=True)
        self._seen: set[UUID] = set()
        self._history: list[tuple[StockMoved, Recorded]] = []  # in the order applied

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None = None) -> BatchResult:
        outcomes = []
        duplicates: list[UUID] = []
        after: dict[StockKey, Decimal] = {}
        for move in moves:
            if move.event_id in self._seen:
                duplicates.append(move.event_id)
                continue
            self._seen.add(move.event_id)
            outcome = apply(self._state, move)
            outcomes.append(outcome)
            if outcome.status is not MoveStatus.REJECTED:
                self._history.append((move, Recorded(
                    move.event_id, move.occurred_at, outcome.status,
                    move.unit.key if move.unit else None, outcome.note)))
            for key, _ in outcome.deltas:
                after[key] = self._state.balances[key]
        where = {k.location: self._where[k.location] for k in after if k.location in self._where}
        return BatchResult(tuple(outcomes), tuple(duplicates), after, where)

    def balances(self, warehouse: str) -> dict[StockKey, Decimal]:
        return {k: q for k, q in self._state.on_hand().items()
                if self._where.get(k.location) == warehouse}

    def unit(self, key: str) -> UnitState | None:
        return self._state.units.get(key)

    def history(self, warehouse: str, unit: str | None = None) -> list[Recorded]:
        mine = [(m, r) for m, r in self._history if m.warehouse == warehouse]
        if unit is None:
            return [r for _, r in mine]
        theirs = [(r.occurred_at, i, r) for i, (_, r) in enumerate(mine) if r.unit_key == unit]
        return [r for _, _, r in sorted(theirs, key=lambda x: (x[0], x[1]))]
