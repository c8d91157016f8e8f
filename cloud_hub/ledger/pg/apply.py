"""The one apply path: MQTT ingest, REST and task confirmations all come through here.

Rule kept here: a batch is applied in one ledger transaction; only after it committed are
its moves and new balances published to the live feed and counted in the metrics.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from cloud_hub.catalog.pg.tree import ANCESTORS_SQL
from cloud_hub.catalog.pg.unknown_items import UnknownItems, item_keys
from cloud_hub.ledger import MoveStatus
from cloud_hub.ledger.pg.pipeline import Done, LedgerPipeline
from cloud_hub.ledger.pg.store import BatchResult
from cloud_hub.live.messages import Message, Sink
from cloud_hub.ops.metrics import Metrics
from protocol.events import StockMoved

log = logging.getLogger("stockpulse.apply")

ZONES_SQL = f"SELECT start, code FROM ({ANCESTORS_SQL}) a WHERE kind = 'zone'"


class LiveFeed(Sink, Protocol):
    """The live feed as the ledger sees it (cloud_hub.live.api.hub.LiveHub): a sink that says
    whether anyone listens, so no message is built for nobody."""

    @property
    def clients(self) -> Collection[object]: ...


class ApplyService:
    """Every apply of this process goes through one LedgerPipeline (its own two
    connections), so the next batch is decided while this one is written."""

    def __init__(self, pool: ConnectionPool, live: LiveFeed | None = None,
                 metrics: Metrics | None = None) -> None:
        self.pool = pool
        self.live = live
        self.metrics = metrics or Metrics()
        self.zone_cache: dict[str, tuple[str, ...]] = {}
        conninfo = pool.conninfo if isinstance(pool.conninfo, str) else pool.conninfo()
        self.pipeline = LedgerPipeline(lambda: psycopg.connect(conninfo, autocommit=True))
        self.cache = self.pipeline.cache
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
                try:
                    self._after_commit(moves, result, started)
                except Exception:  # the ledger committed: never report it as failed
                    log.exception("publishing a committed batch failed")
            done(result)

        self.pipeline.submit(moves, applied_by, committed)

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None) -> BatchResult:
        """Submit and wait for the commit (REST and other callers that answer at once)."""
        box: list[BatchResult | BaseException] = []
        ready = threading.Event()

        def done(result: BatchResult | BaseException) -> None:
            box.append(result)
            ready.set()

        self.submit(moves, applied_by, done)
        ready.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

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

    def close(self) -> None:
        self.pipeline.close()

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

    def announce(self, moves: Sequence[StockMoved]) -> None:
        """For moves applied in a caller's own transaction (task confirmations), after its
        commit: send them and the balances now at their locations to the live feed, and tell
        the listeners which SKUs changed."""
        if not moves:
            return
        codes = {c for m in moves for c in (m.from_location, m.to_location) if c}
        with self.pool.connection() as conn:
            zones = self._zones(conn, codes)
            rows = conn.execute(
                "SELECT warehouse, location, sku, lot, status, quantity FROM balances "
                "WHERE location = ANY(%s)", (list(codes),)).fetchall()
        messages = [move_message(m, "applied", m.from_location, zones) for m in moves]
        seen = {(loc, sku, lot) for _, loc, sku, lot, _, _ in rows}
        for m in moves:  # stock that left a location entirely: say it is now zero
            if m.item is not None and m.from_location is not None:
                key = (m.from_location, m.item.sku_key, m.item.lot or "")
                if key not in seen:
                    rows.append((m.warehouse, *key, m.item.status.value, 0))
        messages += [{"type": "balance", "warehouse": wh, "location": loc, "sku": sku,
                      "lot": lot, "status": st, "quantity": float(q),
                      "zones": list(zones.get(loc, ()))} for wh, loc, sku, lot, st, q in rows]
        if self.live is not None:
            self.live.publish(messages)
        touched = {(m.warehouse, m.item.sku_key) for m in moves if m.item is not None}
        touched |= {(wh, sku) for wh, _, sku, _, _, _ in rows}
        for listener in self.listeners:
            listener(touched)

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
