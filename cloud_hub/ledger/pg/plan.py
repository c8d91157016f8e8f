"""WritePlan: every row one decided batch writes, formatted before the transaction needs it.

Rule kept here: a plan is built from the batch's outcomes and the state *after* absorbing
them, and carries values, not references — the apply pipeline builds the plan of batch N+1
while batch N is still being written, and the state moves on underneath.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import psycopg

from cloud_hub.ledger import LedgerState, MoveStatus, Outcome, StockKey
from cloud_hub.ledger.pg.copy_text import array_literal, lines, text
from cloud_hub.ledger.pg.rows import rest_json
from protocol.events import StockMoved

MOVE_COLUMNS = ("event_id, occurred_at, warehouse, source_kind, device_id, read_point, unit_key, "
                "sku, lot, quantity, stock_status, from_location, to_location, reason, task_id, "
                "user_id, applied_by, outcome, note, payload")
REJECTED_COLUMNS = "event_id, occurred_at, warehouse, code, reason, applied_by, payload"

UnitRow = tuple[str, str | None, str | None, str, str | None, datetime, UUID]
ContentRow = tuple[str, str, str, str, Decimal]


@dataclass(slots=True)
class WritePlan:
    moves: Sequence[StockMoved]  # the batch's new events, in order
    outcomes: Sequence[Outcome]
    ids_copy: bytes = b""  # every event id of `moves`, for the event_ids gate
    moves_copy: bytes = b""
    rejected_copy: bytes = b""
    balances_copy: bytes = b""  # the balance stage's rows
    balances_located: bool = True  # every staged row's warehouse is known
    balances_zero: bool = False  # some staged row became zero (its row is deleted)
    balances: list[tuple[StockKey, Decimal]] = field(default_factory=list)  # values after
    warehouse_of: dict[str, str] = field(default_factory=dict)  # location -> warehouse
    units: list[UnitRow] = field(default_factory=list)
    contents: list[ContentRow] = field(default_factory=list)  # of units whose contents changed
    cleared: list[str] = field(default_factory=list)  # ... and whose stored rows go first


def payload_json(move: StockMoved) -> str:
    """The event as stored in rejected_moves.payload: the same JSON the wire carries (a
    moves row keeps only what its columns lack: rows.rest_json)."""
    return move.model_dump_json(by_alias=True, exclude_none=True)


def _n(value: str | None) -> str:
    return "\\N" if value is None else text(value)


def _move_fields(move: StockMoved, outcome: Outcome, applied_by: str | None,
                 event_id: str | None = None) -> tuple[str | None, ...]:
    item, src, unit = move.item, move.source, move.unit
    return (event_id or str(move.event_id), move.occurred_at.isoformat(), move.warehouse, src.kind,
            src.device_id, src.read_point, unit.key if unit else None,
            item.sku_key if item else None, (item.lot or "") if item else None,
            str(item.quantity) if item else None, item.status if item else None,
            move.from_location, move.to_location, move.reason, move.task_id, move.user,
            applied_by, outcome.status, outcome.note)


def move_line(move: StockMoved, outcome: Outcome, applied_by: str | None) -> str:
    """One moves row in COPY text format, every field escaped (the careful path)."""
    return "\t".join([_n(f) for f in (*_move_fields(move, outcome, applied_by),
                                       rest_json(move))]) + "\n"


_NULL = "\x00"  # stands for NULL until the end: no field can hold it (the protocol refuses it)


def move_lines(rows: Sequence[tuple[StockMoved, Outcome]], applied_by: str | None,
               ids: Sequence[str] | None = None) -> str:
    """Many moves rows at once. The hot path: fields are joined raw and the whole text is
    checked once; only if some field holds a special character is each one escaped.
    `ids`, when given, are the rows' event ids as text."""
    texts = ids or [str(m.event_id) for m, _ in rows]
    heads = ["\t".join([_NULL if f is None else f
                         for f in _move_fields(m, o, applied_by, event_id)])
             for (m, o), event_id in zip(rows, texts, strict=True)]
    joined = "\n".join(heads)
    if joined.count("\t") != 18 * len(heads) or joined.count("\n") != len(heads) - 1 \
            or _SPECIAL.search(joined):
        return "".join([move_line(m, o, applied_by) for m, o in rows])
    rests = [rest_json(m) for m, _ in rows]  # None for most: the columns hold the event
    body = "".join([f"{h}\t{_NULL if r is None else r.replace(BACKSLASH, BACKSLASH * 2)}\n"
                    for h, r in zip(heads, rests, strict=True)])
    return body.replace(_NULL, "\\N")


BACKSLASH = "\\"
_SPECIAL = re.compile(r"[\\\r]")  # with the tab and line counts: nothing to escape


def build_plan(state: LedgerState, moves: Sequence[StockMoved], outcomes: Sequence[Outcome],
               applied_by: str | None, after: dict[StockKey, Decimal]) -> WritePlan:
    """The rows for `moves` decided as `outcomes`; `state` has absorbed them already.
    `after` (collected by decide_batch) holds the touched balances' new values: looking each
    one up again in a large state costs a cache miss or more per key."""
    plan = WritePlan(moves, outcomes)
    ids = [str(m.event_id) for m in moves]
    kept_ids: list[str] = []
    kept: list[tuple[StockMoved, Outcome]] = []
    rejected: list[tuple[object, ...]] = []
    unit_moves: dict[str, StockMoved] = {}
    restocked: set[str] = set()
    cleared: set[str] = set()
    for move, outcome, event_id in zip(moves, outcomes, ids, strict=True):
        if outcome.status is MoveStatus.REJECTED:
            rejected.append((move.event_id, move.occurred_at, move.warehouse, outcome.code,
                             outcome.reason, applied_by, payload_json(move)))
            continue
        kept.append((move, outcome))
        kept_ids.append(event_id)
        if outcome.unit is not None and move.unit is not None:
            unit_moves[outcome.unit.key] = move
            if outcome.contents_changed:
                restocked.add(outcome.unit.key)
            if outcome.replaced_contents:
                cleared.add(outcome.unit.key)
    plan.moves_copy = move_lines(kept, applied_by, kept_ids).encode()
    plan.rejected_copy = lines(rejected) if rejected else b""
    plan.ids_copy = ("\n".join(ids) + "\n").encode() if ids else b""
    plan.balances = list(after.items())
    places = {k.location for k, _ in plan.balances}
    plan.warehouse_of = warehouse_of(state, places)
    plan.balances_located = len(plan.warehouse_of) == len(places)
    plan.balances_zero = not all([q for _, q in plan.balances])
    plan.balances_copy = balance_lines(
        [(k, plan.warehouse_of.get(k.location, ""), q) for k, q in plan.balances])
    for key in sorted(unit_moves):
        unit = state.units[key]
        ref = unit_moves[key].unit
        assert unit is not None and ref is not None
        plan.units.append((key, ref.epc, ref.sscc, unit_moves[key].warehouse, unit.location,
                           unit.since, unit.last_event))
        if key in restocked:  # a pallet moved whole keeps its contents rows as they are
            if key in cleared:  # a unit that held nothing before has no rows to delete
                plan.cleared.append(key)
            plan.contents += [(key, ck.sku, ck.lot, ck.status.value, qty)
                              for ck, qty in unit.contents]
    return plan


def warehouse_of(state: LedgerState, codes: Iterable[str]) -> dict[str, str]:
    known = state.locations or {}
    return {c: info.warehouse for c in codes if (info := known.get(c)) is not None}


def write_plan(conn: psycopg.Connection, plan: WritePlan, gated: bool = True) -> None:
    """Write a plan inside the caller's transaction. Unless `gated` (the caller already
    recorded the ids), its event ids go into event_ids first: a unique violation there
    means one of them was applied before, and the transaction must not go on."""
    write_history(conn, plan, gated)
    write_state(conn, plan)


def write_history(conn: psycopg.Connection, plan: WritePlan, gated: bool = True) -> None:
    """The append-only part of a plan: the exactly-once gate (unless `gated`), the moves and
    the rejected moves. It reads no ledger state, so it may be written before the
    warehouse's apply lock is taken (the pipeline does, while the batch before commits)."""
    with conn.cursor() as cur:
        if not gated and plan.ids_copy:
            with cur.copy("COPY event_ids (event_id) FROM STDIN") as copy:
                copy.write(plan.ids_copy)
        if plan.moves_copy:
            with cur.copy(f"COPY moves ({MOVE_COLUMNS}) FROM STDIN") as copy:
                copy.write(plan.moves_copy)
        if plan.rejected_copy:
            with cur.copy(f"COPY rejected_moves ({REJECTED_COLUMNS}) FROM STDIN") as copy:
                copy.write(plan.rejected_copy)


def write_state(conn: psycopg.Connection, plan: WritePlan) -> None:
    """The derived part of a plan: balances and units, under the warehouse's apply lock."""
    write_balance_copy(conn, plan.balances_copy, plan.balances_located, plan.balances_zero)
    write_unit_rows(conn, plan.units, plan.contents, plan.cleared)


def balance_lines(rows: Sequence[tuple[StockKey, str, Decimal]]) -> bytes:
    """The balance stage's rows; like move_lines, checked once and escaped only if needed."""
    raw = "\n".join(["\t".join((k.location, k.sku, k.lot, k.status, warehouse, str(qty)))
                     for k, warehouse, qty in rows])
    if raw.count("\t") == 5 * len(rows) and raw.count("\n") == len(rows) - 1 \
            and "\x00" not in raw and not _SPECIAL.search(raw):
        return (raw + "\n").encode() if rows else b""
    return lines([(k.location, k.sku, k.lot, k.status, warehouse, qty)
                  for k, warehouse, qty in rows])


STAGE_SQL = ("CREATE TEMP TABLE IF NOT EXISTS balance_stage (location text, sku text, "
             "lot text, status text, warehouse text, quantity numeric) ON COMMIT DELETE ROWS")
# Connections whose balance stage was created outside any transaction (so no rollback can
# take it away): the apply pipeline prepares its writer connection once.
_STAGED: weakref.WeakSet[psycopg.Connection] = weakref.WeakSet()


def clear_stage(conn: psycopg.Connection) -> None:
    """Empty the balance stage within a transaction: ON COMMIT DELETE ROWS empties it only at
    commit, so a second batch in one caller's transaction would upsert the first batch's rows
    again (CardinalityViolation when both touch one balance)."""
    conn.execute(STAGE_SQL)
    conn.execute("DELETE FROM balance_stage")


def prepare_stage(conn: psycopg.Connection) -> None:
    """Create the session's balance stage now, on an idle autocommit connection."""
    conn.execute(STAGE_SQL)
    if conn.autocommit and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
        _STAGED.add(conn)


_UPSERT = """
INSERT INTO balances (location, sku, lot, status, warehouse, quantity)
SELECT s.location, s.sku, s.lot, s.status, {warehouse}, s.quantity
FROM balance_stage s {join}
WHERE s.quantity <> 0
ON CONFLICT (location, sku, lot, status)
DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = now()"""
UPSERT_KNOWN = _UPSERT.format(warehouse="s.warehouse", join="")
# "" warehouse: the caller (a rebuild) did not load the locations; look it up
UPSERT_LOOKUP = _UPSERT.format(warehouse="COALESCE(NULLIF(s.warehouse, ''), l.warehouse)",
                               join="JOIN locations l ON l.code = s.location")
DELETE_ZEROS = """
DELETE FROM balances b USING balance_stage s
WHERE s.quantity = 0 AND b.location = s.location AND b.sku = s.sku AND b.lot = s.lot
  AND b.status = s.status"""


def write_balance_copy(conn: psycopg.Connection, rows: bytes, warehouses_known: bool,
                       has_zero: bool) -> None:
    """Set each staged balance to its new value; a zero removes the row."""
    if not rows:
        return
    if conn not in _STAGED:
        conn.execute(STAGE_SQL)
    with conn.cursor() as cur, cur.copy("COPY balance_stage FROM STDIN") as copy:
        copy.write(rows)
    conn.execute(UPSERT_KNOWN if warehouses_known else UPSERT_LOOKUP)
    if has_zero:
        conn.execute(DELETE_ZEROS)


def write_balance_rows(conn: psycopg.Connection,
                       rows: Sequence[tuple[StockKey, str, Decimal]]) -> None:
    write_balance_copy(conn, balance_lines(rows), all(wh for _, wh, _ in rows),
                       any(q == 0 for _, _, q in rows))


def write_unit_rows(conn: psycopg.Connection, units: Sequence[UnitRow],
                    contents: Sequence[ContentRow],
                    cleared: Sequence[str] | None = None) -> None:
    """Replace each unit's row; delete the stored contents rows of the units in `cleared`
    (default: all of them), then add `contents`."""
    if not units:
        return
    keys = [u[0] for u in units] if cleared is None else list(cleared)
    conn.execute("""
        INSERT INTO units (unit_key, epc, sscc, warehouse, location, since, last_event)
        SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                             %s::timestamptz[], %s::uuid[])
        ON CONFLICT (unit_key) DO UPDATE SET
          epc = COALESCE(EXCLUDED.epc, units.epc), sscc = COALESCE(EXCLUDED.sscc, units.sscc),
          warehouse = EXCLUDED.warehouse, location = EXCLUDED.location,
          since = EXCLUDED.since, last_event = EXCLUDED.last_event""",
                 [array_literal(col) for col in zip(*units, strict=True)])
    if keys:
        # planned for these keys each time: a plan cached while the table was small would
        # scan all of it (see KEY_LOOKUP_PREPARE in store.py)
        conn.execute("DELETE FROM unit_contents WHERE unit_key = ANY(%s)", (keys,),
                     prepare=False)
    if contents:
        conn.execute("""
            INSERT INTO unit_contents (unit_key, sku, lot, status, quantity)
            SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::numeric[])""",
                     [array_literal(col) for col in zip(*contents, strict=True)])
