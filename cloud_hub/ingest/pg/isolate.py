"""Failure isolation for the apply path: which failures are worth retrying, and splitting a
batch that failed for any other reason down to the event that fails.

Rule kept here: only a lost connection or an unavailable server is retried (the same work
may succeed later); any other failure — a value the database refuses, an event that cannot be
serialised, a bug — is data-bound, so the batch is halved until the failing event stands
alone; it is reported with its reason, and every other event applies. Nothing is retried
forever for a reason that retrying cannot fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

import psycopg

from cloud_hub.ledger import BatchResult
from cloud_hub.ledger.pg.apply import ApplyService
from protocol.events import StockMoved

log = logging.getLogger("stockpulse.ingest")
MAX_REASON = 500


def is_transient(exc: BaseException) -> bool:
    """A lost connection, a server that is restarting, full or busy, a lock or serialisation
    conflict: the same batch may succeed later. A limit a value broke (SQLSTATE class 54,
    e.g. an index row too large) is the data's fault, though psycopg files it as
    operational."""
    if isinstance(exc, psycopg.errors.ProgramLimitExceeded):
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def failure_reason(exc: BaseException) -> str:
    """One line for a dead letter or a REST report: what refused the event."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        text = f"the database refused it: {exc.diag.message_primary}"
        if exc.sqlstate:
            text += f" (SQLSTATE {exc.sqlstate})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text.replace("\x00", "\\0")[:MAX_REASON]


def halves(events: Sequence[StockMoved]) -> tuple[list[StockMoved], list[StockMoved]]:
    middle = len(events) // 2
    return list(events[:middle]), list(events[middle:])


def merge(results: Sequence[BatchResult]) -> BatchResult:
    """The results of a batch applied in parts, as one."""
    outcomes = tuple(o for r in results for o in r.outcomes)
    duplicates: tuple[UUID, ...] = tuple(d for r in results for d in r.duplicates)
    balances = {k: v for r in results for k, v in r.balances.items()}
    where = {k: v for r in results for k, v in r.warehouse_of.items()}
    return BatchResult(outcomes, duplicates, balances, where)


async def apply_isolated(service: ApplyService, events: Sequence[StockMoved], applied_by: str
                         ) -> tuple[BatchResult, list[tuple[StockMoved, str]]]:
    """Apply `events` (REST): every event that can be applied is; each one that fails for a
    data-bound reason comes back with that reason. A transient failure is raised."""
    results: list[BatchResult] = []
    failed: list[tuple[StockMoved, str]] = []
    todo: list[list[StockMoved]] = [list(events)] if events else []
    while todo:
        part = todo.pop(0)
        try:
            results.append(await service.apply_async(part, applied_by))
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(part) == 1:
                log.warning("event %s refused while applying: %s", part[0].event_id, exc)
                failed.append((part[0], failure_reason(exc)))
            else:
                todo[:0] = halves(part)  # in order: earlier events apply first
    return merge(results), failed
