"""The one apply entry point: MQTT ingest, REST, task confirmations and the demo all apply
moves through an ApplyService, and nothing outside the ledger calls its store or pipeline.

Rule kept here: a batch is applied in one ledger transaction — the pipeline's own, or a
caller's (`transaction`: a task change and its moves commit together) — and only after that
transaction committed are its moves and the balances it wrote published to the live feed,
counted in the metrics and told to the listeners, once, from what the commit applied (the
batch's outcomes and new balance values), never by reading the ledger again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from cloud_hub.catalog.pg.tree import ANCESTORS_SQL
from cloud_hub.catalog.pg.unknown_items import UnknownItems, item_keys
from cloud_hub.ledger import BatchResult, MoveStatus
from cloud_hub.ledger.pg.pipeline import Done, LedgerPipeline, wait_for
from cloud_hub.ledger.pg.plan import clear_stage
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.live.messages import Message, Sink
from cloud_hub.ops.metrics import Metrics
from protocol.events import StockMoved

__all__ = ["ApplyService", "Done", "LiveFeed", "Posting"]

log = logging.getLogger("stockpulse.apply")

ZONES_SQL = f"SELECT start, code FROM ({ANCESTORS_SQL}) a WHERE kind = 'zone'"


class LiveFeed(Sink, Protocol):
    """The live feed as the ledger sees it (cloud_hub.live.api.hub.LiveHub): a sink that says
    whether anyone listens, so no message is built for nobody."""

    @property
    def clients(self) -> Collection[object]: ...


@dataclass(eq=False)
class Posting:
    """Moves applied inside the transaction a caller opened with ApplyService.transaction;
    they are announced when, and only if, that transaction commits."""

    conn: psycopg.Connection
    applied: list[tuple[Sequence[StockMoved], BatchResult, float]] = field(default_factory=list)

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None) -> BatchResult:
        """Apply in the caller's transaction (a savepoint: a failure takes back this batch)."""
        if not moves:
            return BatchResult((), ())
        started = time.perf_counter()
        if self.applied:  # an earlier batch of this transaction staged its balances
            clear_stage(self.conn)
        result = apply_batch(self.conn, moves, applied_by)
        self.applied.append((moves, result, started))
        return result


class ApplyService:
    """Every apply of this process: batches of their own go through one LedgerPipeline (its
    own two connections, so the next batch is decided while this one is written); batches in
    a caller's transaction through `transaction`. Both end in `_committed`."""

    def __init__(self, pool: ConnectionPool, live: LiveFeed | None = None,
                 metrics: Metrics | None = None) -> None:
        self.pool = pool
        self.live = live
        self.metrics = metrics or Metrics()
        self.zone_cache: dict[str, tuple[str, ...]] = {}
        conninfo = pool.conninfo if isinstance(pool.conninfo, str) else pool.conninfo()
        self._pipeline = LedgerPipeline(lambda: psycopg.connect(conninfo, autocommit=True))
        # Called after each commit with the (warehouse, sku) pairs whose balances changed;
        # listeners must only hand over (the rules runner queues them).
        self.listeners: list[Callable[[set[tuple[str, str]]], None]] = []
        self.unknown = UnknownItems()

    def submit(self, moves: Sequence[StockMoved], applied_by: str | None, done: Done) -> None:
        """Queue a batch; after its commit the live feed, metrics and listeners hear of it,
        then `done` gets the result (or the error) on the ledger's writer thread."""
        started = time.perf_counter()

        def committed(result: BatchResult | BaseException) -> None:
            if not isinstance(result, BaseException):
                self._committed(moves, result, started)
            done(result)

        self._pipeline.submit(moves, applied_by, committed)

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None) -> BatchResult:
        """Submit and wait for the commit (REST and other callers that answer at once)."""
        return wait_for(lambda done: self.submit(moves, applied_by, done))

    async def apply_async(self, moves: Sequence[StockMoved],
                          applied_by: str | None) -> BatchResult:
        """Submit and await the commit without holding up the event loop (the WebSocket
        feed and every other request go on while the ledger writes)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[BatchResult] = loop.create_future()

        def settle(result: BatchResult | BaseException) -> None:
            if future.done():
                return
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        def done(result: BatchResult | BaseException) -> None:
            loop.call_soon_threadsafe(settle, result)

        self.submit(moves, applied_by, done)
        return await future

    @contextmanager
    def transaction(self, conn: psycopg.Connection) -> Iterator[Posting]:
        """Open the caller's transaction on `conn` for moves that must commit with other
        writes (a task confirmation and its moves); what it applied is announced after its
        commit, nothing if it rolls back. It must be the outermost transaction: only then is
        leaving it a commit."""
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raise RuntimeError("ApplyService.transaction must open the connection's "
                               "transaction: inside another, its end is not the commit")
        posting = Posting(conn)
        with conn.transaction():
            yield posting
        for moves, result, started in posting.applied:
            self._committed(moves, result, started)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every batch submitted so far is committed or failed."""
        return self._pipeline.flush(timeout)

    def close(self) -> None:
        self._pipeline.close()

    def _committed(self, moves: Sequence[StockMoved], result: BatchResult,
                   started: float) -> None:
        try:
            self._after_commit(moves, result, started)
        except Exception:  # the ledger committed: never report it as failed
            log.exception("publishing a committed batch failed")

    def _after_commit(self, moves: Sequence[StockMoved], result: BatchResult,
                      started: float) -> None:
        messages: list[Message] = []
        if self.live is not None and self.live.clients and result.outcomes:
            with self.pool.connection() as conn:
                messages = self._messages(conn, moves, result)
        self.metrics.observe_batch(time.perf_counter() - started)
        self.metrics.inc("stockpulse_events_applied_total", result.applied)
        self.metrics.inc("stockpulse_events_late_total", result.late)
        self.metrics.inc("stockpulse_events_rejected_total", result.rejected)
        self.metrics.inc("stockpulse_events_duplicate_total", len(result.duplicates))
        if self.live is not None and messages:
            self.live.publish(messages)
        if self.listeners and result.balances:
            touched = {(result.warehouse_of.get(k.location, ""), k.sku) for k in result.balances}
            for listener in self.listeners:
                listener(touched)
        self._flag_unknown_items(moves, result)

    def unknown_items(self, moves: Sequence[StockMoved]) -> list[str]:
        """The SKUs (or "gtin:…") of `moves` that the catalog does not hold."""
        return self.unknown.find(self.pool, moves)

    def _flag_unknown_items(self, moves: Sequence[StockMoved], result: BatchResult) -> None:
        """Applied moves of items the catalog does not hold: counted and warned about."""
        kept = {o.event_id for o in result.outcomes
                if o.status in (MoveStatus.APPLIED, MoveStatus.LATE)}
        applied = [m for m in moves if m.event_id in kept]
        try:
            unknown = self.unknown_items(applied) if applied else []
        except psycopg.Error:
            log.exception("could not ask the catalog which items it holds")
            return
        if unknown:
            named = set(unknown)
            self.metrics.inc("stockpulse_unknown_item_events_total",
                             sum(1 for m in applied if item_keys(m) & named))
            self.unknown.warn(unknown, (m.warehouse for m in applied))

    def _zones(self, conn: psycopg.Connection, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
        missing = [c for c in set(codes) if c not in self.zone_cache]
        if missing:
            found: dict[str, list[str]] = {c: [] for c in missing}
            for start, zone in conn.execute(ZONES_SQL, (missing,)):
                found[start].append(zone)
            for code, zones in found.items():
                self.zone_cache[code] = tuple(sorted(zones))
        return self.zone_cache

    def _messages(self, conn: psycopg.Connection, moves: Sequence[StockMoved],
                  result: BatchResult) -> list[Message]:
        by_id = {m.event_id: m for m in moves}
        codes = {c for m in moves for c in (m.from_location, m.to_location) if c}
        codes |= {o.origin for o in result.outcomes if o.origin}
        zones = self._zones(conn, codes)
        out: list[Message] = []
        for outcome in result.outcomes:
            if outcome.status is MoveStatus.REJECTED:
                continue
            move = by_id[outcome.event_id]
            out.append(move_message(move, outcome.status.value, outcome.origin, zones))
        for key, quantity in result.balances.items():
            out.append({"type": "balance", "warehouse": result.warehouse_of.get(key.location),
                        "location": key.location, "sku": key.sku, "lot": key.lot,
                        "status": key.status.value, "quantity": float(quantity),
                        "zones": list(zones.get(key.location, ()))})
        return out


def move_message(move: StockMoved, outcome: str, origin: str | None,
                 zones: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    item = move.item
    places = [c for c in (origin or move.from_location, move.to_location) if c]
    return {
        "type": "move", "event_id": str(move.event_id), "warehouse": move.warehouse,
        "occurred_at": move.occurred_at.isoformat(), "outcome": outcome,
        "unit_key": move.unit.key if move.unit else None,
        "sku": item.sku_key if item else None, "lot": item.lot if item else None,
        "quantity": float(item.quantity) if item else None,
        "from_location": move.from_location, "to_location": move.to_location, "origin": origin,
        "to_status": move.to_status.value if move.to_status else None,
        "reason": move.reason.value, "source_kind": move.source.kind.value,
        "device_id": move.source.device_id, "user_id": move.user,
        "zones": sorted({z for c in places for z in zones.get(c, ())}),
    }
