"""PostgresLedger: applies StockMoved batches exactly once, in one transaction each.

Rule kept here: the pure core (cloud_hub.ledger.decide) makes every decision; this adapter
only loads the rows a batch needs, locks its warehouses, and writes the outcome back. An
event id already in event_ids is a no-op, so at-least-once delivery becomes exactly-once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

import psycopg

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
from cloud_hub.storage.ledger_cache import LedgerCache, WarehouseCache
from protocol.events import StockMoved, StockStatus

GLOBAL_LOCK = 0x5350_4C47  # "SPLG": applies share it, rebuild takes it alone


# One round trip: the shared global lock (rebuild takes it exclusively) and one exclusive
# lock per warehouse in the batch, so applies of one warehouse are serialised.
LOCK_SQL = ("SELECT pg_advisory_xact_lock_shared(%s), (SELECT count(*) FROM ("
            "SELECT pg_advisory_xact_lock(hashtext('stockpulse:wh:' || w)) "
            "FROM unnest(%s::text[]) w ORDER BY w) locked)")


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
            binary=True)
        for code, warehouse in rows:
            self.state.locations[code] = LocationInfo(code, warehouse)

    def units(self, keys: Iterable[str]) -> None:
        want = [k for k in set(keys) if k not in self.state.units]
        if not want:
            return
        found: dict[str, tuple[str | None, object, UUID]] = {}
        for key, loc, since, last in self.conn.execute(
                "SELECT unit_key, location, since, last_event FROM units "
                "WHERE unit_key = ANY(%s)", (want,)):
            found[key] = (loc, since, last)
        contents: dict[str, list[tuple[ContentKey, Decimal]]] = {k: [] for k in found}
        if found:
            for key, sku, lot, status, qty in self.conn.execute(
                    "SELECT unit_key, sku, lot, status, quantity FROM unit_contents "
                    "WHERE unit_key = ANY(%s)", (list(found),)):
                contents[key].append((ContentKey(sku, lot, StockStatus(status)), qty))
        for key in want:
            if key in found:
                loc, since, last = found[key]
                self.state.units[key] = UnitState(key, loc, since, last,  # type: ignore[arg-type]
                                                  tuple(sorted(contents[key])))
            else:
                self.state.units[key] = None
        self.locations(u.location for u in self.state.units.values()
                       if u is not None and u.location is not None)

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
             [str(k.status) for k in want]), binary=True)
        for loc, sku, lot, status, qty in rows:
            self.state.balances[StockKey(loc, sku, lot, StockStatus(status))] = qty

    def missing(self, signal: NotLoaded) -> None:
        self.locations(signal.locations)
        self.units(signal.units)
        self.balances(signal.stock)


def _preload(loader: _Loader, moves: Sequence[StockMoved]) -> None:
    loader.locations(c for m in moves for c in (m.from_location, m.to_location) if c)
    loader.units(m.unit.key for m in moves if m.unit is not None)
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


def decide_batch(loader: _Loader, moves: Sequence[StockMoved]) -> list[Outcome]:
    """Run the pure core over the batch, loading rows on demand (rare after _preload)."""
    _preload(loader, moves)
    outcomes = []
    for move in moves:
        while True:
            try:
                outcome = decide(loader.state, move)
                break
            except NotLoaded as signal:
                loader.missing(signal)
        absorb(loader.state, outcome)
        outcomes.append(outcome)
    return outcomes


BUMP_SQL = ("INSERT INTO ledger_versions (warehouse, version) "
            "SELECT w, 1 FROM unnest(%s::text[]) w ON CONFLICT (warehouse) "
            "DO UPDATE SET version = ledger_versions.version + 1 RETURNING warehouse, version")


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
            conn.execute(LOCK_SQL, (GLOBAL_LOCK, warehouses))
            versions = dict(conn.execute(BUMP_SQL, (warehouses,)).fetchall())
            known = {r[0] for r in conn.execute(
                "SELECT event_id FROM event_ids WHERE event_id = ANY(%s)",
                ([m.event_id for m in unique],), binary=True)}
            fresh = [m for m in unique if m.event_id not in known]
            repeats += [m.event_id for m in unique if m.event_id in known]
            state = _state_for(conn, cache, versions)
            loader = _Loader(conn, state)
            outcomes = decide_batch(loader, fresh)
            _write(conn, state, fresh, outcomes, applied_by)
    except BaseException:
        if cache is not None:
            for wh in warehouses:
                cache.drop(wh)
        raise
    if cache is not None and len(versions) == 1:
        cache.committed(*next(iter(versions.items())))
    touched = {k for o in outcomes for k, _ in o.deltas}
    return BatchResult(tuple(outcomes), tuple(repeats),
                       {k: state.balances[k] for k in touched},
                       _warehouse_of(state, {k.location for k in touched}))


def _warehouse_of(state: LedgerState, codes: Iterable[str]) -> dict[str, str]:
    known = state.locations or {}
    return {c: info.warehouse for c in codes if (info := known.get(c)) is not None}


def _move_row(move: StockMoved, outcome: Outcome, applied_by: str | None) -> tuple[object, ...]:
    item = move.item
    return (move.event_id, move.occurred_at, move.warehouse, str(move.source.kind),
            move.source.device_id, move.source.read_point,
            move.unit.key if move.unit else None,
            item.sku_key if item else None, (item.lot or "") if item else None,
            item.quantity if item else None, str(item.status) if item else None,
            move.from_location, move.to_location, str(move.reason), move.task_id, move.user,
            applied_by, str(outcome.status), outcome.note, payload_json(move))


def payload_json(move: StockMoved) -> str:
    """The event as stored in moves.payload: the same JSON the wire carries (text COPY)."""
    return move.model_dump_json(by_alias=True, exclude_none=True)


MOVE_COLUMNS = ("event_id, occurred_at, warehouse, source_kind, device_id, read_point, unit_key, "
                "sku, lot, quantity, stock_status, from_location, to_location, reason, task_id, "
                "user_id, applied_by, outcome, note, payload")


def _write(conn: psycopg.Connection, state: LedgerState, moves: Sequence[StockMoved],
           outcomes: Sequence[Outcome], applied_by: str | None) -> None:
    with conn.cursor() as cur:
        with cur.copy("COPY event_ids (event_id, outcome) FROM STDIN") as copy:
            for o in outcomes:
                copy.write_row((o.event_id, str(o.status)))
        with cur.copy(f"COPY moves ({MOVE_COLUMNS}) FROM STDIN") as copy:
            for m, o in zip(moves, outcomes, strict=True):
                if o.status is not MoveStatus.REJECTED:
                    copy.write_row(_move_row(m, o, applied_by))
        rejected = [(m, o) for m, o in zip(moves, outcomes, strict=True)
                    if o.status is MoveStatus.REJECTED]
        if rejected:
            with cur.copy("COPY rejected_moves (event_id, occurred_at, warehouse, code, reason, "
                          "applied_by, payload) FROM STDIN") as copy:
                for m, o in rejected:
                    copy.write_row((m.event_id, m.occurred_at, m.warehouse, o.code, o.reason,
                                    applied_by, payload_json(m)))
    touched_stock = {k for o in outcomes for k, _ in o.deltas}
    touched_units = {o.unit.key: o.unit for o in outcomes if o.unit is not None}
    unit_moves = {m.unit.key: m for m in moves if m.unit is not None}
    write_balances(conn, state, touched_stock)
    write_units(conn, state, list(touched_units), unit_moves)


def write_balances(conn: psycopg.Connection, state: LedgerState,
                   keys: Iterable[StockKey]) -> None:
    keys = list(keys)
    if not keys:
        return
    warehouse_of = _warehouse_of(state, {k.location for k in keys})
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS balance_stage (location text, sku text, "
                 "lot text, status text, warehouse text, quantity numeric) "
                 "ON COMMIT DELETE ROWS")
    with conn.cursor() as cur, cur.copy("COPY balance_stage FROM STDIN") as copy:
        for k in keys:
            # "" when a rebuild did not load the location table: SQL looks it up then
            copy.write_row((k.location, k.sku, k.lot, k.status.value,
                            warehouse_of.get(k.location, ""), state.balances[k]))
    known = all(k.location in warehouse_of for k in keys)
    conn.execute(UPSERT_KNOWN if known else UPSERT_LOOKUP)
    if any(state.balances[k] == 0 for k in keys):
        conn.execute("""
            DELETE FROM balances b USING balance_stage s
            WHERE s.quantity = 0 AND b.location = s.location AND b.sku = s.sku
              AND b.lot = s.lot AND b.status = s.status""")


_UPSERT_TAIL = """ WHERE s.quantity <> 0 ON CONFLICT (location, sku, lot, status)
    DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()"""
UPSERT_KNOWN = ("INSERT INTO balances (location, sku, lot, status, warehouse, quantity) "
                "SELECT location, sku, lot, status, warehouse, quantity FROM balance_stage s"
                + _UPSERT_TAIL)
UPSERT_LOOKUP = ("INSERT INTO balances (location, sku, lot, status, warehouse, quantity) "
                 "SELECT s.location, s.sku, s.lot, s.status, "
                 "COALESCE(NULLIF(s.warehouse, ''), l.warehouse), s.quantity "
                 "FROM balance_stage s JOIN locations l ON l.code = s.location" + _UPSERT_TAIL)


def write_units(conn: psycopg.Connection, state: LedgerState, keys: Sequence[str],
                moves: dict[str, StockMoved]) -> None:
    units = [state.units[k] for k in sorted(keys)]
    if not units:
        return
    rows = []
    for u in units:
        assert u is not None
        ref = moves[u.key].unit
        assert ref is not None
        rows.append((u.key, ref.epc, ref.sscc, moves[u.key].warehouse, u.location, u.since,
                     u.last_event))
    with conn.cursor() as cur:
        cur.executemany("""
            INSERT INTO units (unit_key, epc, sscc, warehouse, location, since, last_event)
            VALUES (%s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (unit_key) DO UPDATE SET
              epc = COALESCE(EXCLUDED.epc, units.epc), sscc = COALESCE(EXCLUDED.sscc, units.sscc),
              warehouse = EXCLUDED.warehouse, location = EXCLUDED.location,
              since = EXCLUDED.since, last_event = EXCLUDED.last_event""", rows)
        cur.execute("DELETE FROM unit_contents WHERE unit_key = ANY(%s)", ([u.key for u in units],))
        with cur.copy("COPY unit_contents (unit_key, sku, lot, status, quantity) "
                      "FROM STDIN") as copy:
            for u in units:
                assert u is not None
                for ck, qty in u.contents:
                    copy.write_row((u.key, ck.sku, ck.lot, str(ck.status), qty))


class PostgresLedger:
    """The ledger over a connection pool (psycopg_pool.ConnectionPool or compatible)."""

    def __init__(self, pool: object) -> None:
        self.pool = pool
        self.cache = LedgerCache()

    def apply_batch(self, moves: Iterable[StockMoved],
                    applied_by: str | None = None) -> BatchResult:
        with self.pool.connection() as conn:  # type: ignore[attr-defined]
            return apply_batch(conn, moves, applied_by, self.cache)
