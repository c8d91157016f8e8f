"""Work's moves go through the ledger's one apply path (cloud_hub.ledger.pg.store).

Rule kept here: work moves are applied inside the caller's transaction (a savepoint), so a
task change and its moves commit together; a move the ledger refuses undoes the whole step.
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg

from cloud_hub.ledger import MoveStatus
from cloud_hub.ledger.pg.store import BatchResult, apply_batch
from protocol.events import StockMoved


class LedgerRefused(RuntimeError):
    """The ledger would not apply a work move (unknown location, negative stock, ...)."""

    def __init__(self, code: str, reason: str) -> None:
        self.code, self.reason = code, reason
        super().__init__(f"{code}: {reason}")


def apply_moves(conn: psycopg.Connection, moves: Sequence[StockMoved],
                applied_by: str) -> BatchResult:
    """Apply in the current transaction; raise LedgerRefused if any move is rejected."""
    if not moves:
        return BatchResult((), ())
    result = apply_batch(conn, moves, applied_by)
    for outcome in result.outcomes:
        if outcome.status is MoveStatus.REJECTED:
            raise LedgerRefused(outcome.code or "rejected", outcome.reason or "")
    return result
