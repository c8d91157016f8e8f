"""Work's moves go through the ledger's one apply entry point (cloud_hub.ledger.pg.apply), in
the transaction of the work they belong to.

Rule kept here: work moves are applied inside the caller's ledger transaction (a Posting), so
a task change and its moves commit together and are announced once, after that commit; a move
the ledger refuses undoes the whole step.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloud_hub.ledger import BatchResult, MoveStatus
from cloud_hub.ledger.pg.apply import Posting
from protocol.events import StockMoved


class LedgerRefused(RuntimeError):
    """The ledger would not apply a work move (unknown location, negative stock, ...)."""

    def __init__(self, code: str, reason: str) -> None:
        self.code, self.reason = code, reason
        super().__init__(f"{code}: {reason}")


def apply_moves(posting: Posting, moves: Sequence[StockMoved], applied_by: str) -> BatchResult:
    """Apply in the posting's transaction; raise LedgerRefused if any move is rejected."""
    result = posting.apply(moves, applied_by)
    for outcome in result.outcomes:
        if outcome.status is MoveStatus.REJECTED:
            raise LedgerRefused(outcome.code or "rejected", outcome.reason or "")
    return result
