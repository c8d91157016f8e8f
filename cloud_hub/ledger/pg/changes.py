"""The change feed an ERP pulls: the ledger's moves in seq order after a cursor, with the
balances and units they touched as they are now.

Rule kept here: a page never reaches past `settled_seq` (no transaction that may still commit
a move at or below it is open), so a consumer that always passes back `next` sees every move
exactly once, in seq order, even while several writers commit out of order; a page that
could not settle in time is empty and says so, it never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg

from cloud_hub.ledger.pg.watermark import settled_seq

SETTLE_WAIT_S = 1.0
MAX_PAGE = 5000


@dataclass(frozen=True, slots=True)
class ChangedMove:
    seq: int
    event_id: str
    occurred_at: datetime
    recorded_at: datetime
    warehouse: str
    reason: str
    outcome: str
    source_kind: str
    device_id: str
    user: str | None
    unit: str | None
    sku: str | None
    lot: str | None
    quantity: Decimal | None
    status: str | None
    from_location: str | None
    to_location: str | None


@dataclass(frozen=True, slots=True)
class BalanceNow:
    location: str
    sku: str
    lot: str | None
    status: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class UnitNow:
    unit: str
    location: str | None  # None: the unit has left the ledger (shipped out, unpacked)
    since: datetime | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    moves: list[ChangedMove]
    balances: list[BalanceNow]
    units: list[UnitNow]
    next_cursor: int
    more: bool  # a full page: ask again at once
    settled: bool  # False: an open writer kept the feed from moving on; ask again shortly


_MOVES = """
SELECT seq, event_id::text, occurred_at, received_at, warehouse, reason, outcome, source_kind,
       device_id, user_id, unit_key, sku, nullif(lot, ''), quantity, stock_status,
       from_location, to_location
  FROM moves
 WHERE seq > %(after)s AND seq <= %(upto)s AND (%(wh)s::text IS NULL OR warehouse = %(wh)s)
 ORDER BY seq LIMIT %(limit)s
"""
# The balances of (location, sku, lot) keys, every status; a key with none left reads as 0.
_BALANCES = """
SELECT k.location, k.sku, k.lot, coalesce(b.status, k.status), coalesce(b.quantity, 0)
  FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[]) AS k(location, sku, lot, status)
  LEFT JOIN balances b ON (b.location, b.sku, b.lot) = (k.location, k.sku, k.lot)
 ORDER BY 1, 2, 3, 4
"""
_CONTENTS = "SELECT unit_key, sku, lot FROM unit_contents WHERE unit_key = ANY(%s)"
_UNITS = """
SELECT k.unit_key, u.location, u.since
  FROM unnest(%s::text[]) AS k(unit_key) LEFT JOIN units u USING (unit_key) ORDER BY 1
"""


class CursorAhead(ValueError):
    """The cursor is past every seq this ledger has handed out (another hub's, or a restored
    backup's): resuming from it would silently skip moves."""


def read_changes(conn: psycopg.Connection, after: int, *, warehouse: str | None,
                 limit: int = 1000, wait_s: float = SETTLE_WAIT_S) -> ChangePage:
    """The moves after cursor `after` (a seq) up to the settled bound, at most `limit`."""
    upto = settled_seq(conn, wait_s)
    if upto is not None and after > upto:
        raise CursorAhead(f"cursor {after} is past this ledger's last move ({upto}): it is "
                          "not a cursor of this hub, or the database was restored from a "
                          "backup; start again from 0 or from a cursor this hub gave")
    if upto is None or upto == after:
        return ChangePage([], [], [], after, False, upto is not None)
    rows = conn.execute(_MOVES, {"after": after, "upto": upto, "wh": warehouse,
                                 "limit": min(limit, MAX_PAGE)}).fetchall()
    moves = [ChangedMove(*r) for r in rows]
    full = len(moves) == limit
    next_cursor = moves[-1].seq if full else upto
    return ChangePage(moves, _balances(conn, moves), _units(conn, moves), next_cursor, full,
                      True)


def _balances(conn: psycopg.Connection, moves: list[ChangedMove]) -> list[BalanceNow]:
    keys: dict[tuple[str, str, str], str] = {}
    unit_places: dict[str, list[str]] = {}
    for m in moves:
        places = [p for p in (m.from_location, m.to_location) if p is not None]
        if m.sku is not None:
            for place in places:
                keys.setdefault((place, m.sku, m.lot or ""), m.status or "available")
        elif m.unit is not None:
            unit_places.setdefault(m.unit, []).extend(places)
    if unit_places:  # a unit's move changed the balances of what it holds now
        for unit, sku, lot in conn.execute(_CONTENTS, (list(unit_places),)):
            for place in unit_places[unit]:
                keys.setdefault((place, sku, lot), "available")
    if not keys:
        return []
    cols = list(zip(*((*k, status) for k, status in keys.items()), strict=True))
    return [BalanceNow(loc, sku, lot or None, status, qty)
            for loc, sku, lot, status, qty in conn.execute(_BALANCES, [list(c) for c in cols])]


def _units(conn: psycopg.Connection, moves: list[ChangedMove]) -> list[UnitNow]:
    touched = sorted({m.unit for m in moves if m.unit is not None})
    if not touched:
        return []
    return [UnitNow(*r) for r in conn.execute(_UNITS, (touched,))]
