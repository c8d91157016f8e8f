"""Rebuilding balances and unit locations from the move history, and checking they agree.

Rule kept here: the state tables are a cache of the fold of `moves` in apply order (seq);
`check_consistency` compares the two, `rebuild` replaces the cache with the fold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import psycopg

from cloud_hub.ledger import ContentKey, LedgerState, StockKey, UnitState, apply
from cloud_hub.ledger.pg.rows import EVENT_COLUMNS, event_from_row
from cloud_hub.ledger.pg.store import GLOBAL_LOCK, write_balances, write_units
from protocol.events import StockMoved, StockStatus


@dataclass(frozen=True)
class ConsistencyReport:
    ok: bool
    moves_folded: int
    balance_differences: list[tuple[StockKey, Decimal, Decimal]] = field(default_factory=list)
    unit_differences: list[tuple[str, str]] = field(default_factory=list)


def fold_history(conn: psycopg.Connection) -> tuple[LedgerState, dict[str, StockMoved], int]:
    """Fold every recorded move in apply order into a fresh, complete state."""
    state = LedgerState(locations=None, complete=True)
    last_move: dict[str, StockMoved] = {}
    count = 0
    with conn.cursor(name="fold_history") as cur:
        cur.itersize = 5000
        cur.execute(f"SELECT {EVENT_COLUMNS} FROM moves ORDER BY seq")
        for row in cur:
            move = event_from_row(row)
            apply(state, move)
            if move.unit is not None:
                last_move[move.unit.key] = move
            count += 1
    return state, last_move, count


def _stored_balances(conn: psycopg.Connection) -> dict[StockKey, Decimal]:
    return {StockKey(loc, sku, lot, StockStatus(st)): q for loc, sku, lot, st, q in conn.execute(
        "SELECT location, sku, lot, status, quantity FROM balances WHERE quantity <> 0")}


def _stored_units(conn: psycopg.Connection) -> dict[str, tuple[str | None, tuple[object, ...]]]:
    contents: dict[str, list[tuple[ContentKey, Decimal]]] = {}
    for key, sku, lot, st, q in conn.execute(
            "SELECT unit_key, sku, lot, status, quantity FROM unit_contents"):
        contents.setdefault(key, []).append((ContentKey(sku, lot, StockStatus(st)), q))
    return {key: (loc, tuple(sorted(contents.get(key, []))))
            for key, loc in conn.execute("SELECT unit_key, location FROM units")}


UnitView = dict[str, tuple[str | None, tuple[object, ...]]]


def _unit_view(units: dict[str, UnitState | None]) -> UnitView:
    return {k: (u.location, tuple(sorted(u.contents))) for k, u in units.items() if u is not None}


def check_consistency(conn: psycopg.Connection) -> ConsistencyReport:
    """Do the stored balances and units equal a full rebuild from the moves?"""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (GLOBAL_LOCK,))
        state, _, count = fold_history(conn)
        stored = _stored_balances(conn)
        units = _stored_units(conn)
    folded = state.on_hand()
    diffs = [(k, stored.get(k, Decimal(0)), folded.get(k, Decimal(0)))
             for k in sorted(set(stored) | set(folded))
             if stored.get(k, Decimal(0)) != folded.get(k, Decimal(0))]
    expected_units = _unit_view(state.units)
    unit_diffs = [(k, f"stored {units.get(k)} != rebuilt {expected_units.get(k)}")
                  for k in sorted(set(units) | set(expected_units))
                  if units.get(k) != expected_units.get(k)]
    return ConsistencyReport(not diffs and not unit_diffs, count, diffs, unit_diffs)


def rebuild(conn: psycopg.Connection) -> ConsistencyReport:
    """Replace balances, units and unit contents with the fold of the move history."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (GLOBAL_LOCK,))
        state, last_move, _ = fold_history(conn)
        conn.execute("UPDATE ledger_versions SET version = version + 1")
        conn.execute("DELETE FROM unit_contents")
        conn.execute("DELETE FROM units")
        conn.execute("DELETE FROM balances")
        state.locations = {}
        write_balances(conn, state, [k for k, v in state.balances.items() if v != 0])
        write_units(conn, state, [k for k, u in state.units.items() if u is not None], last_move)
    return check_consistency(conn)
