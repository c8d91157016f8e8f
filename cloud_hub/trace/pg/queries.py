"""The trace's reads: a lot's moves, the units that carried it, where it is now, its receipts,
picks and orders. Every statement is bounded (LIMIT bound + 1, so a cut is seen) and served by an
index (migrations 001, 017, 106): moves by (lot, sku), by unit, declared contents by a GIN index;
balances by lot; unit contents by (sku, lot); picks by (sku, lot).

Why no recursive walk: lots and units form a two-layer graph (a lot was in units; a unit held
lots), and the ledger never nests units. A lot's trace reads its units once; a unit's trace reads
its lots, then their units once. Following a carrier's *other* lots would trace stock that never
touched the subject, so the walk stops there by design (docs/trace.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

import psycopg
from psycopg.rows import RowMaker
from psycopg.types.numeric import Int8BinaryLoader

from cloud_hub.trace.model import (
    Holding,
    LotKey,
    MoveRow,
    OrderRef,
    Pick,
    ReceiptRef,
    Step,
)
from cloud_hub.trace.timeline import declared

# What ordering, direction, the unit fold, receipts and orders need, for every move read; the
# event id, statuses and user (DETAIL_COLUMNS) only for the page answered (`with_details`): a hot
# lot's 10,000 rows then skip a uuid-to-text each and a parse of their JSON payload (which holds
# `to_status`), and only unit moves' payloads are read for their declared contents. Times are
# read as the integer PostgreSQL sends (binary timestamptz: µs since 2000-01-01 UTC, loaded by
# psycopg's int8 loader): making datetimes of them cost psycopg more than the rest of the row,
# and only the page's Steps need one.
# Quantities come as text for the same reason (binary numeric into Decimal is the next cost).
MOVE_COLUMNS = """seq, NULL::text, occurred_at, reason, unit_key, sku, lot, quantity::text,
    NULL::text, NULL::text, from_location, to_location, task_id, NULL::text,
    CASE WHEN sku IS NULL AND payload IS NOT NULL THEN (payload->'contents')::text END"""
# Thousands of unit keys go to PostgreSQL as one text split there: psycopg checks each element
# of a list for quoting, which cost more than the query's own planning. A unit key never holds
# a control character (the event contract refuses them), so US (0x1f) cannot occur inside one.
KEY_SEPARATOR = "\x1f"
DETAIL_COLUMNS = "seq, event_id::text, stock_status, payload->>'to_status', user_id"
# Repeats migration 017's index expression and predicate, so the planner can use it.
_DECLARED = ("unit_key IS NOT NULL AND sku IS NULL AND payload IS NOT NULL "
             "AND (payload->'contents')::jsonb @> %s::jsonb")


def _move_rows(cursor: psycopg.Cursor[Any]) -> RowMaker[MoveRow]:
    return MoveRow._make


def _read_moves(conn: psycopg.Connection, sql: str, params: Sequence[Any]) -> list[MoveRow]:
    """Rows of MOVE_COLUMNS as MoveRows, made as they are fetched; binary, as timestamps and
    numerics decode faster so (a hot lot's trace reads tens of thousands)."""
    with conn.cursor(row_factory=_move_rows, binary=True) as cur:
        cur.adapters.register_loader("timestamptz", Int8BinaryLoader)  # this cursor's only
        return cur.execute(sql, params).fetchall()


def with_details(conn: psycopg.Connection, steps: Sequence[Step]) -> tuple[Step, ...]:
    """The page's steps with their moves' event id, statuses and user (one read by seq)."""
    if not steps:
        return ()
    found = {r[0]: r[1:] for r in conn.execute(
        f"SELECT {DETAIL_COLUMNS} FROM moves WHERE seq = ANY(%s)",
        (sorted({s.seq for s in steps}),), binary=True)}
    out = []
    for step in steps:
        event_id, status, to_status, user = found.get(step.seq, (None, None, None, None))
        out.append(step._replace(event_id=event_id, status=status, to_status=to_status,
                                 user=user))
    return tuple(out)


def lots_named(conn: psycopg.Connection, warehouse: str, lot: str, sku: str | None,
               bound: int) -> list[LotKey]:
    """The SKUs a lot code names in the warehouse (one, when `sku` is given): from its item
    moves — a skip scan over the (lot, sku) index, one step per SKU, at most `bound` steps —
    and from the contents units declared."""
    if sku is not None:
        found = {r[0] for r in conn.execute(
            "SELECT sku FROM moves WHERE lot = %s AND sku = %s AND lot <> '' AND warehouse = %s "
            "LIMIT 1", (lot, sku, warehouse))}
    else:
        found = {r[0] for r in conn.execute(
            """WITH RECURSIVE s(sku, n) AS (
                 SELECT min(sku), 1 FROM moves WHERE lot = %(lot)s AND lot <> ''
               UNION ALL
                 SELECT (SELECT min(m.sku) FROM moves m
                          WHERE m.lot = %(lot)s AND m.lot <> '' AND m.sku > s.sku), s.n + 1
                   FROM s WHERE s.sku IS NOT NULL AND s.n <= %(bound)s)
               SELECT s.sku FROM s WHERE s.sku IS NOT NULL AND EXISTS (
                 SELECT 1 FROM moves m WHERE m.lot = %(lot)s AND m.lot <> ''
                    AND m.sku = s.sku AND m.warehouse = %(wh)s)""",
            {"lot": lot, "bound": bound, "wh": warehouse})}
    pattern = json.dumps([{"lot": lot} | ({"sku": sku} if sku else {})])
    for row in conn.execute(
            f"SELECT (payload->'contents')::text FROM moves WHERE {_DECLARED} AND warehouse = %s "
            "LIMIT %s", (pattern, warehouse, bound)):
        found |= {ln.sku for ln in declared(row[0]) if ln.lot == lot and sku in (None, ln.sku)}
    return [LotKey(s, lot) for s in sorted(found)][:bound + 1]


def warehouses_of(conn: psycopg.Connection, lot: str | None, unit: str | None) -> list[str]:
    """The warehouses (at most two) whose ledger names the lot or the unit: the CLI's default."""
    if unit is not None:
        sql, value = "SELECT DISTINCT warehouse FROM units WHERE unit_key = %s", unit
    else:
        sql = ("SELECT DISTINCT warehouse FROM (SELECT warehouse FROM moves WHERE lot = %s "
               "AND lot <> '' LIMIT 100000) m")
        value = lot or ""
    return sorted(r[0] for r in conn.execute(sql + " LIMIT 2", (value,)))


def unit_known(conn: psycopg.Connection, warehouse: str, unit: str) -> bool:
    return conn.execute("SELECT 1 FROM units WHERE unit_key = %s AND warehouse = %s "
                        "UNION ALL (SELECT 1 FROM moves WHERE unit_key = %s AND warehouse = %s "
                        "LIMIT 1) LIMIT 1", (unit, warehouse, unit, warehouse)).fetchone() \
        is not None


def lots_of_unit(conn: psycopg.Connection, warehouse: str, unit: str,
                 bound: int) -> list[LotKey]:
    """Every lot the unit ever held: put into it, declared with it, in it now."""
    found: set[LotKey] = set()
    for sku, lot in conn.execute(
            "SELECT DISTINCT sku, coalesce(lot, '') FROM (SELECT sku, lot FROM moves "
            "WHERE unit_key = %s AND sku IS NOT NULL AND warehouse = %s LIMIT %s) m "
            "UNION SELECT sku, lot FROM unit_contents WHERE unit_key = %s",
            (unit, warehouse, bound * 100, unit)):
        found.add(LotKey(sku, lot))
    for (text,) in conn.execute(
            "SELECT (payload->'contents')::text FROM moves WHERE unit_key = %s AND sku IS NULL "
            "AND payload IS NOT NULL AND warehouse = %s LIMIT %s", (unit, warehouse, bound)):
        found |= {LotKey(ln.sku, ln.lot) for ln in declared(text)}
    return sorted(found)[:bound + 1]


def lot_moves(conn: psycopg.Connection, warehouse: str, lots: Iterable[LotKey],
              bound: int) -> tuple[list[MoveRow], bool]:
    """The item moves of the (lotted) lots, at most `bound` in all; True when cut."""
    rows: list[MoveRow] = []
    for key in lots:
        if not key.lot:  # unlotted stock is traced through its unit only (docs/trace.md)
            continue
        left = bound - len(rows)
        got = _read_moves(
            conn,
            f"SELECT {MOVE_COLUMNS} FROM moves WHERE lot = %s AND sku = %s AND lot <> '' "
            "AND warehouse = %s AND outcome = 'applied' ORDER BY occurred_at, seq LIMIT %s",
            (key.lot, key.sku, warehouse, left + 1))
        rows.extend(got[:left])
        if len(got) > left:
            return rows, True
    return rows, False


def carriers(conn: psycopg.Connection, warehouse: str, lots: Iterable[LotKey],
             moves: Iterable[MoveRow], bound: int) -> tuple[list[str], bool]:
    """Every unit that held one of the lots: packed with it, declared it, holds it now."""
    found = {m.unit_key for m in moves if m.unit_key is not None}
    for key in lots:
        if not key.lot:
            continue
        pattern = json.dumps([{"sku": key.sku, "lot": key.lot}])
        found |= {r[0] for r in conn.execute(
            f"SELECT DISTINCT unit_key FROM (SELECT unit_key FROM moves WHERE {_DECLARED} "
            "AND warehouse = %s LIMIT %s) d UNION SELECT c.unit_key FROM unit_contents c "
            "JOIN units u USING (unit_key) WHERE c.sku = %s AND c.lot = %s AND u.warehouse = %s",
            (pattern, warehouse, bound + 1, key.sku, key.lot, warehouse))}
        if len(found) > bound:
            return sorted(found)[:bound], True
    return sorted(found), False


def unit_moves(conn: psycopg.Connection, warehouse: str, units: Sequence[str],
               lots: Sequence[LotKey], read: Sequence[MoveRow],
               bound: int) -> tuple[dict[str, list[MoveRow]], bool]:
    """Every applied move of the units (their own and items into and out of them), each unit's
    in seq order. The item moves of the lotted `lots` were `read` already (lot_moves): they are
    merged in rather than read twice."""
    lotted = [key for key in lots if key.lot]
    got = _read_moves(
        conn,
        f"SELECT {MOVE_COLUMNS} FROM moves WHERE unit_key = ANY(string_to_array(%s, %s)) "
        "AND warehouse = %s "
        "AND outcome = 'applied' AND (sku IS NULL OR coalesce(lot, '') = '' OR (sku, lot) NOT IN "
        "(SELECT * FROM unnest(%s::text[], %s::text[]))) ORDER BY seq LIMIT %s",
        (KEY_SEPARATOR.join(units), KEY_SEPARATOR, warehouse, [k.sku for k in lotted],
         [k.lot for k in lotted], bound + 1))
    out: dict[str, list[MoveRow]] = {u: [] for u in units}
    for move in got[:bound]:
        out[move.unit_key or ""].append(move)
    merged = set()
    for move in read:
        if move.unit_key is not None and move.unit_key in out:
            out[move.unit_key].append(move)
            merged.add(move.unit_key)
    for unit in merged:
        out[unit].sort(key=attrgetter("seq"))
    return out, len(got) > bound


def holdings(conn: psycopg.Connection, warehouse: str, lots: Sequence[LotKey],
             bound: int) -> tuple[list[Holding], list[Holding], bool]:
    """Where the lots are now: balances at locations, and contents of units (with the unit's
    location, None once shipped). Unlotted keys only in units."""
    on_hand: list[Holding] = []
    in_units: list[Holding] = []
    cut = False
    for key in lots:
        if key.lot:
            rows = conn.execute(
                "SELECT sku, lot, status, quantity, location FROM balances WHERE lot = %s "
                "AND sku = %s AND lot <> '' AND warehouse = %s AND quantity > 0 "
                "ORDER BY location, status LIMIT %s",
                (key.lot, key.sku, warehouse, bound + 1)).fetchall()
            cut |= len(rows) > bound
            on_hand.extend(Holding(*r) for r in rows[:bound])
        rows = conn.execute(
            "SELECT c.sku, c.lot, c.status, c.quantity, u.location, c.unit_key "
            "FROM unit_contents c JOIN units u USING (unit_key) "
            "WHERE c.sku = %s AND c.lot = %s AND u.warehouse = %s "
            "ORDER BY c.unit_key, c.status LIMIT %s",
            (key.sku, key.lot, warehouse, bound + 1)).fetchall()
        cut |= len(rows) > bound
        in_units.extend(Holding(*r) for r in rows[:bound])
    return on_hand, in_units, cut


def receipts(conn: psycopg.Connection, warehouse: str, ids: Sequence[str],
             lots: Sequence[LotKey]) -> list[ReceiptRef]:
    traced = set(lots)
    out = []
    for rid, supplier, dock, state, lines in conn.execute(
            "SELECT receipt_id, supplier, dock, state, lines FROM work_receipts "
            "WHERE receipt_id = ANY(%s) AND warehouse = %s ORDER BY receipt_id",
            (list(ids), warehouse)):
        expected = tuple((LotKey(ln["sku"], ln.get("lot") or ""), Decimal(ln["quantity"]))
                         for ln in lines
                         if LotKey(ln["sku"], ln.get("lot") or "") in traced)
        out.append(ReceiptRef(rid, supplier, dock, state, expected))
    return out


def picks(conn: psycopg.Connection, warehouse: str, lots: Sequence[LotKey],
          bound: int) -> tuple[list[Pick], bool]:
    """What was picked of the lots for which order line, from where (work_picks)."""
    out: list[Pick] = []
    for key in lots:
        if not key.lot:
            continue
        left = bound - len(out)
        rows = conn.execute(
            "SELECT p.order_id, p.line_no, p.sku, p.lot, p.location, p.quantity, p.shipped, "
            "p.task_id FROM work_picks p JOIN work_orders o USING (order_id) "
            "WHERE p.sku = %s AND p.lot = %s AND o.warehouse = %s ORDER BY p.id LIMIT %s",
            (key.sku, key.lot, warehouse, left + 1)).fetchall()
        out.extend(Pick(*r) for r in rows[:left])
        if len(rows) > left:
            return out, True
    return out, False


def orders(conn: psycopg.Connection, warehouse: str, ids: Iterable[str]) -> list[OrderRef]:
    return [OrderRef(*r) for r in conn.execute(
        "SELECT order_id, kind, state, carrier FROM work_orders "
        "WHERE order_id = ANY(%s) AND warehouse = %s ORDER BY order_id",
        (sorted(set(ids)), warehouse))]
