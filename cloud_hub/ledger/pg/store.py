"""The ledger's store: applies StockMoved batches exactly once, in one transaction each.

Rule kept here: the pure core (cloud_hub.ledger.decide) makes every decision; this adapter
only loads the rows a batch needs, locks its warehouses, and writes the outcome back. An
event id already in event_ids is a no-op, so at-least-once delivery becomes exactly-once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from uuid import UUID

import psycopg

from cloud_hub.catalog.pg.store import GLOBAL_LOCK
from cloud_hub.ledger import (
    ContentKey,
    LedgerState,
    LocationInfo,
    MoveStatus,
    NotLoaded,
    Outcome,
    StockKey,
    UnitState,
    absorb,
    decide,
)
from cloud_hub.ledger.decide import content_key
from cloud_hub.ledger.interface import BatchResult
from cloud_hub.ledger.pg.cache import LedgerCache, WarehouseCache
from cloud_hub.ledger.pg.plan import (
    ContentRow,
    UnitRow,
    WritePlan,
    build_plan,
    warehouse_of,
    write_balance_rows,
    write_plan,
    write_unit_rows,
)
from protocol.events import StockMoved, StockStatus

# One round trip: the shared global lock (rebuild takes it exclusively) and one exclusive
# lock per warehouse in the batch, so applies of one warehouse are serialised.
LOCK_SQL = ("SELECT pg_advisory_xact_lock_shared(%s), (SELECT count(*) FROM ("
            "SELECT pg_advisory_xact_lock(hashtext('stockpulse:wh:' || w)) "
            "FROM unnest(%s::text[]) w ORDER BY w) locked)")


def _unique(moves: Iterable[StockMoved]) -> tuple[list[StockMoved], list[UUID]]:
    seen: set[UUID] = set()
    first: list[StockMoved] = []
    repeats: list[UUID] = []
    for move in moves:
        if move.event_id in seen:
            repeats.append(move.event_id)
        else:
            seen.add(move.event_id)
            first.append(move)
    return first, repeats


# Lookups of a batch's keys (`= ANY(array)`) are planned afresh each time, never prepared:
# psycopg prepares a statement after its fifth run, and PostgreSQL may keep a plan made for
# the table as it was then. In bench/ledger_apply.py, where the planner has no statistics
# (autovacuum is off on the bench machine), the prepared units lookup took about 5 ms a
# batch though it found nothing (pg_stat_statements: 1,047 ms in 200 calls); planned each
# time, 131 ms in all.
KEY_LOOKUP_PREPARE = False


class _Loader:
    """Fills a partial LedgerState from the database, a set of rows at a time."""

    def __init__(self, conn: psycopg.Connection, state: LedgerState) -> None:
        self.conn, self.state = conn, state

    def locations(self, codes: Iterable[str]) -> None:
        assert isinstance(self.state.locations, dict)
        want = [c for c in set(codes) if c not in self.state.locations]
        if not want:
            return
        for code in want:
            self.state.locations[code] = None
        rows = self.conn.execute(
            "SELECT code, warehouse FROM locations WHERE code = ANY(%s) AND active", (want,),
            binary=True, prepare=KEY_LOOKUP_PREPARE)
        for code, warehouse in rows:
            self.state.locations[code] = LocationInfo(code, warehouse)

    def units(self, keys: Iterable[str]) -> None:
        want = [k for k in set(keys) if k not in self.state.units]
        if not want:
            return
        found: dict[str, tuple[str | None, object, UUID]] = {}
        for key, loc, since, last in self.conn.execute(
                "SELECT unit_key, location, since, last_event FROM units "
                "WHERE unit_key = ANY(%s)", (want,), prepare=KEY_LOOKUP_PREPARE):
            found[key] = (loc, since, last)
        contents: dict[str, list[tuple[ContentKey, Decimal]]] = {k: [] for k in found}
        if found:
            for key, sku, lot, status, qty in self.conn.execute(
                    "SELECT unit_key, sku, lot, status, quantity FROM unit_contents "
                    "WHERE unit_key = ANY(%s)", (list(found),), prepare=KEY_LOOKUP_PREPARE):
                contents[key].append((ContentKey(sku, lot, StockStatus(status)), qty))
        for key in want:
            if key in found:
                loc, since, last = found[key]
                self.state.units[key] = UnitState(key, loc, since, last,  # type: ignore[arg-type]
                                                  tuple(sorted(contents[key])))
            else:
                self.state.units[key] = None
        # only the units just read: the state may hold a whole cache of units whose
        # locations were loaded when they were
        self.locations(loc for loc, _since, _last in found.values() if loc is not None)

    def balances(self, keys: Iterable[StockKey]) -> None:
        if self.state.stock_complete:
            return
        want = [k for k in set(keys) if k not in self.state.balances]
        if not want:
            return
        for key in want:
            self.state.balances[key] = Decimal(0)
        rows = self.conn.execute(
            "SELECT b.location, b.sku, b.lot, b.status, b.quantity FROM balances b "
            "JOIN unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS k(l, s, t, st) "
            "ON b.location = k.l AND b.sku = k.s AND b.lot = k.t AND b.status = k.st",
            ([k.location for k in want], [k.sku for k in want], [k.lot for k in want],
             [str(k.status) for k in want]), binary=True, prepare=KEY_LOOKUP_PREPARE)
        for loc, sku, lot, status, qty in rows:
            self.state.balances[StockKey(loc, sku, lot, StockStatus(status))] = qty

    def missing(self, signal: NotLoaded) -> None:
        self.locations(signal.locations)
        self.units(signal.units)
        self.balances(signal.stock)


def _preload(loader: _Loader, moves: Sequence[StockMoved]) -> None:
    loader.locations(c for m in moves for c in (m.from_location, m.to_location) if c)
    loader.units(m.unit.key for m in moves if m.unit is not None)
    if loader.state.stock_complete:
        return  # every balance is in memory already; absent means zero
    keys: list[StockKey] = []
    for m in moves:
        if m.item is not None:
            ck = content_key(m.item)
            if m.from_location:
                keys.append(ck.at(m.from_location))
            if m.to_location:
                keys.append(ck.with_status(m.to_status).at(m.to_location))
        if m.unit is not None:
            unit = loader.state.units.get(m.unit.key)
            lines = [ck for ck, _ in unit.contents] if unit else []
            lines += [content_key(line) for line in m.contents]
            places = {m.from_location, unit.location if unit else None}
            for ck in lines:
                keys += [ck.at(p) for p in places if p]
                if m.to_location:
                    keys.append(ck.with_status(m.to_status).at(m.to_location))
    loader.balances(keys)


Undo = tuple[dict[StockKey, Decimal | None], dict[str, UnitState | object | None]]
_ABSENT = object()


def decide_batch(loader: _Loader, moves: Sequence[StockMoved], after: dict[StockKey, Decimal],
                 undo: Undo | None = None) -> list[Outcome]:
    """Run the pure core over the batch, loading rows on demand (rare after _preload).
    `after` receives the value each touched row has after the batch (in the order first
    touched), for build_plan; with `undo`, the value it had before is recorded there."""
    _preload(loader, moves)
    state = loader.state
    outcomes = []
    for move in moves:
        while True:
            try:
                outcome = decide(state, move)
                break
            except NotLoaded as signal:
                loader.missing(signal)
        if undo is not None and outcome.status is MoveStatus.APPLIED:
            before_stock, before_units = undo
            for key, _ in outcome.deltas:
                if key not in before_stock:
                    before_stock[key] = state.balances.get(key)
            if outcome.unit is not None and outcome.unit.key not in before_units:
                before_units[outcome.unit.key] = state.units.get(outcome.unit.key, _ABSENT)
        absorb(state, outcome)
        for key, _ in outcome.deltas:  # read while the row is still in the CPU's cache
            after[key] = state.balances[key]
        outcomes.append(outcome)
    return outcomes


def revert(state_balances: dict[StockKey, Decimal], state_units: dict[str, UnitState | None],
           undo: Undo) -> None:
    """Put back the rows a decided batch changed in memory (its transaction did not commit)."""
    before_stock, before_units = undo
    for key, value in before_stock.items():
        if value is None:
            state_balances.pop(key, None)
        else:
            state_balances[key] = value
    for unit_key, unit in before_units.items():
        if unit is _ABSENT:
            state_units.pop(unit_key, None)
        else:
            state_units[unit_key] = unit  # type: ignore[assignment]


BUMP_SQL = ("INSERT INTO ledger_versions (warehouse, version) "
            "SELECT w, 1 FROM unnest(%s::text[]) w ON CONFLICT (warehouse) "
            "DO UPDATE SET version = ledger_versions.version + 1 RETURNING warehouse, version")


def lock_and_bump(conn: psycopg.Connection, warehouses: Sequence[str],
                  lock_wait_ms: int | None = None) -> dict[str, int]:
    """Take the shared global lock and each warehouse's apply lock; bump their versions.
    With `lock_wait_ms`, waiting longer for the locks raises LockNotAvailable."""
    with conn.pipeline():  # one round trip for all
        if lock_wait_ms is not None:
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{lock_wait_ms}ms",))
        conn.execute(LOCK_SQL, (GLOBAL_LOCK, list(warehouses)))
        bumped = conn.execute(BUMP_SQL, (list(warehouses),))
    return dict(bumped.fetchall())


def known_ids(conn: psycopg.Connection, ids: Sequence[UUID]) -> set[UUID]:
    """The ids among `ids` that the exactly-once gate (event_ids) has seen before."""
    if not ids:
        return set()
    return {r[0] for r in conn.execute("SELECT event_id FROM event_ids WHERE event_id = ANY(%s)",
                                       (list(ids),), binary=True)}


def _state_for(conn: psycopg.Connection, cache: LedgerCache | None,
               versions: dict[str, int]) -> LedgerState:
    if cache is None or len(versions) != 1:  # a mixed batch reads everything afresh
        if cache is not None:
            for wh in versions:
                cache.drop(wh)
        return LedgerState(locations={}, complete=False)
    (wh, version), = versions.items()
    held = cache.checkout(wh, version)
    if not held.stock_complete and not held.balances:
        _load_warehouse_stock(conn, wh, held, cache.max_rows)
    return LedgerState(held.balances, held.units, held.locations, complete=False,
                       stock_complete=held.stock_complete)


def _load_warehouse_stock(conn: psycopg.Connection, warehouse: str, held: WarehouseCache,
                          max_rows: int) -> None:
    """A fresh cache starts with every balance of the warehouse, so later batches never read
    a balance row again (absent means zero) — unless the warehouse is too big to hold."""
    count = conn.execute("SELECT count(*) FROM balances WHERE warehouse = %s",
                         (warehouse,)).fetchone()
    if count is None or count[0] > max_rows:
        return
    with conn.cursor(binary=True) as cur:
        cur.execute("SELECT location, sku, lot, status, quantity FROM balances "
                    "WHERE warehouse = %s", (warehouse,))
        for loc, sku, lot, status, qty in cur:
            held.balances[StockKey(loc, sku, lot, StockStatus(status))] = qty
    held.stock_complete = True


def apply_batch(conn: psycopg.Connection, moves: Iterable[StockMoved],
                applied_by: str | None = None, cache: LedgerCache | None = None) -> BatchResult:
    """Apply a batch in one transaction; redelivered events are counted, not applied.
    With a `cache` (one per process) rows read or written before are not read again while
    no other writer touched the warehouse."""
    unique, repeats = _unique(moves)
    if not unique:
        return BatchResult((), tuple(repeats))
    warehouses = sorted({m.warehouse for m in unique})
    try:
        with conn.transaction():
            versions = lock_and_bump(conn, warehouses)
            seen = known_ids(conn, [m.event_id for m in unique])
            fresh = [m for m in unique if m.event_id not in seen]
            repeats += [m.event_id for m in unique if m.event_id in seen]
            state = _state_for(conn, cache, versions)
            after: dict[StockKey, Decimal] = {}
            outcomes = decide_batch(_Loader(conn, state), fresh, after)
            plan = build_plan(state, fresh, outcomes, applied_by, after)
            write_plan(conn, plan, gated=False)
    except BaseException:
        if cache is not None:
            for wh in warehouses:
                cache.drop(wh)
        raise
    if cache is not None and len(versions) == 1:
        cache.committed(*next(iter(versions.items())), [m.event_id for m in unique])
    return result_of(plan, repeats)


def result_of(plan: WritePlan, repeats: Sequence[UUID]) -> BatchResult:
    return BatchResult(tuple(plan.outcomes), tuple(repeats), dict(plan.balances),
                       plan.warehouse_of)


def write_balances(conn: psycopg.Connection, state: LedgerState,
                   keys: Iterable[StockKey]) -> None:
    """Write the state's value of each key (a rebuild writes them all)."""
    keys = list(keys)
    where = warehouse_of(state, {k.location for k in keys})
    write_balance_rows(conn, [(k, where.get(k.location, ""), state.balances[k]) for k in keys])


def write_units(conn: psycopg.Connection, state: LedgerState, keys: Sequence[str],
                moves: dict[str, StockMoved]) -> None:
    """Write the state's row and contents of each unit; `moves` holds each one's last move."""
    units: list[UnitRow] = []
    contents: list[ContentRow] = []
    for key in sorted(keys):
        unit, move = state.units[key], moves[key]
        assert unit is not None and move.unit is not None
        units.append((key, move.unit.epc, move.unit.sscc, move.warehouse, unit.location,
                      unit.since, unit.last_event))
        contents += [(key, ck.sku, ck.lot, ck.status.value, q) for ck, q in unit.contents]
    write_unit_rows(conn, units, contents)
