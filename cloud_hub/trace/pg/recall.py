"""Recalls through the ledger's one apply entry point: hold a lot's (or a list of serials')
available stock as `recalled`, later release it back to available or scrap it out of stock —
each in one transaction with the recall's row (`recalls`, migration 020) and, for a hold, the
cancelled pick steps of the lot. trace/recall.py plans the moves; reports are built after.

Rules kept here: a recall id names one subject (a lot, or serials of one SKU) for ever; at most
one open recall per lot and warehouse; a recall that is released or scrapped is closed and
holds nothing again. At most MAX_PLACES balances, units or serials in one step.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.trace.model import LotKey
from cloud_hub.trace.pg.queries import lots_named
from cloud_hub.trace.recall import (
    Phase,
    SerialAt,
    Stamp,
    StatusPlan,
    UnitShare,
    plan_lot,
    plan_serials,
)
from cloud_hub.work.pg import serials as serial_reads
from cloud_hub.work.pg.apply import apply_moves
from cloud_hub.work.pg.recalls import cancel_lot_picks

_UNITS = """
SELECT c.unit_key, u.location, c.quantity, NOT EXISTS (
         SELECT 1 FROM unit_contents o WHERE o.unit_key = c.unit_key
            AND (o.sku, o.lot, o.status) <> (c.sku, c.lot, c.status))
  FROM unit_contents c JOIN units u USING (unit_key)
 WHERE c.sku = %s AND c.lot = %s AND c.status = %s AND u.warehouse = %s
   AND u.location IS NOT NULL
 ORDER BY c.unit_key LIMIT %s"""
_BALANCES = """
SELECT location, quantity FROM balances WHERE lot = %s AND sku = %s AND lot <> ''
   AND warehouse = %s AND status = %s AND quantity > 0 LIMIT %s"""
# A serial where it lies now, and whether its lot's stock there is in the status wanted.
_SERIALS = """
SELECT s.serial, s.lot, coalesce(u.location, s.location), s.unit_key
  FROM serials s LEFT JOIN units u ON u.unit_key = s.unit_key
 WHERE s.sku = %s AND s.serial = ANY(%s) AND s.warehouse = %s"""
MAX_PLACES = 20_000  # balances, units or serials one recall step changes in one transaction


class RecallTooLarge(ValueError):
    pass


class RecallConflict(RuntimeError):
    """The recall id names another subject, is closed, or another recall holds the lot."""


@dataclass(frozen=True, slots=True)
class Subject:
    """What a recall recalls: a lot (sku + lot) or serials of one SKU."""

    warehouse: str
    sku: str
    lot: str = ""
    serials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Done:
    plan: StatusPlan
    subject: Subject
    cancelled_picks: list[dict[str, Any]] = field(default_factory=list)
    missing_serials: tuple[str, ...] = ()  # named but not in stock in the status changed


def known(pool: Any, subject: Subject) -> bool:
    """Whether the warehouse's ledger ever saw the lot, or every serial named."""
    with pool.connection() as conn:
        if subject.lot:
            return bool(lots_named(conn, subject.warehouse, subject.lot, subject.sku, 1))
        serial_reads.current(conn)
        seen = conn.execute("SELECT count(DISTINCT serial) FROM serial_sightings WHERE sku = %s "
                            "AND serial = ANY(%s) AND warehouse = %s",
                            (subject.sku, list(subject.serials), subject.warehouse)).fetchone()
        return bool(seen) and seen[0] == len(set(subject.serials))


def hold(pool: Any, ledger: ApplyService, subject: Subject, stamp: Stamp) -> Done:
    """Record the recall (or find it again) and hold its subject's available stock."""
    with pool.connection() as conn:
        if subject.serials:
            serial_reads.current(conn)
        with ledger.transaction(conn) as posting:
            stamp = replace(stamp, round=_record(conn, subject, stamp))
            plan, missing = _plan(conn, subject, stamp, Phase.HOLD)
            apply_moves(posting, plan.moves, f"recall:{stamp.user}")
            picks = cancel_lot_picks(conn, subject.warehouse, subject.sku, subject.lot,
                                     stamp.recall_id) if subject.lot else []
            if subject.lot:
                _lot_status(conn, subject, "recalled", stamp.occurred_at)
    return Done(plan, subject, picks, missing)


def close(pool: Any, ledger: ApplyService, recall_id: str, phase: Phase, stamp: Stamp) -> Done:
    """Release (back to available) or scrap (out of stock) what the recall holds, and close
    it. Closing a closed recall again the same way changes nothing."""
    assert phase is not Phase.HOLD
    state = "released" if phase is Phase.RELEASE else "scrapped"
    with pool.connection() as conn:
        serial_reads.current(conn)
        with ledger.transaction(conn) as posting:
            subject, was = _load(conn, recall_id)
            if was == state:
                return Done(StatusPlan((), (), (), Decimal(0)), subject)
            if was != "open":
                raise RecallConflict(f"recall {recall_id} is already {was}")
            stamp = replace(stamp, warehouse=subject.warehouse)
            plan, missing = _plan(conn, subject, stamp, phase)
            apply_moves(posting, plan.moves, f"recall:{stamp.user}")
            conn.execute("UPDATE recalls SET state = %s, closed_by = %s, closed_at = %s, "
                         "close_reason = %s WHERE recall_id = %s",
                         (state, stamp.user, stamp.occurred_at, stamp.note, recall_id))
            if subject.lot:
                _lot_status(conn, subject, "active" if phase is Phase.RELEASE else "scrapped",
                            stamp.occurred_at)
    return Done(plan, subject, [], missing)


def _lot_status(conn: psycopg.Connection, subject: Subject, status: str,
                at: datetime) -> None:
    """The lot master's summary of the recall. An upsert: the master is a projection that may
    not have folded the lot's moves yet (it keeps the earliest first_seen_at when it does)."""
    conn.execute("INSERT INTO lots (sku, lot, first_seen_at, status) VALUES (%s, %s, %s, %s) "
                 "ON CONFLICT (sku, lot) DO UPDATE SET status = excluded.status, "
                 "updated_at = now()", (subject.sku, subject.lot, at, status))


def _load(conn: psycopg.Connection, recall_id: str) -> tuple[Subject, str]:
    row = conn.execute("SELECT warehouse, sku, lot, serials, state FROM recalls "
                       "WHERE recall_id = %s FOR UPDATE", (recall_id,)).fetchone()
    if row is None:
        raise LookupError(f"no recall {recall_id}")
    return Subject(row[0], row[1], row[2], tuple(row[3])), row[4]


def _record(conn: psycopg.Connection, subject: Subject, stamp: Stamp) -> int:
    """Record the recall, or find it again (open, same subject); the hold's round."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:recall:' || %s))",
                 (f"{subject.warehouse}:{subject.sku}:{subject.lot}",))
    row = conn.execute("SELECT warehouse, sku, lot, serials, state FROM recalls "
                       "WHERE recall_id = %s FOR UPDATE", (stamp.recall_id,)).fetchone()
    if row is not None:
        if Subject(row[0], row[1], row[2], tuple(row[3])) != subject:
            raise RecallConflict(f"recall {stamp.recall_id} recalls something else "
                                 f"({row[1]} {row[2] or 'serials'})")
        if row[4] != "open":
            raise RecallConflict(f"recall {stamp.recall_id} is {row[4]}: start a new one")
        return _next_round(conn, stamp.recall_id)
    _overlap(conn, subject)
    conn.execute("INSERT INTO recalls (recall_id, warehouse, sku, lot, serials, reason, "
                 "created_by, created_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                 (stamp.recall_id, subject.warehouse, subject.sku, subject.lot,
                  list(subject.serials), stamp.note, stamp.user, stamp.occurred_at))
    return _next_round(conn, stamp.recall_id)


# An open recall of the same stock: a lot recall, or a serial recall holding items of that lot.
# Two would make release ambiguous (one would give back what the other holds).
_OVERLAP = """
SELECT r.recall_id, r.lot FROM recalls r WHERE r.warehouse = %(wh)s AND r.sku = %(sku)s
   AND r.state = 'open' AND (
       (r.lot <> '' AND r.lot = ANY(%(lots)s))
    OR (cardinality(r.serials) > 0 AND EXISTS (
          SELECT 1 FROM serials s WHERE s.sku = r.sku AND s.serial = ANY(r.serials)
             AND s.lot = ANY(%(lots)s))))
 LIMIT 1"""


def _overlap(conn: psycopg.Connection, subject: Subject) -> None:
    lots = [subject.lot] if subject.lot else [r[0] for r in conn.execute(
        "SELECT DISTINCT lot FROM serials WHERE sku = %s AND serial = ANY(%s)",
        (subject.sku, list(subject.serials)))]
    found = conn.execute(_OVERLAP, {"wh": subject.warehouse, "sku": subject.sku,
                                    "lots": lots}).fetchone()
    if found is not None:
        what = f"lot {found[1]} of {subject.sku} is" if found[1] else \
            f"serials of this lot of {subject.sku} are"
        raise RecallConflict(f"{what} already recalled by {found[0]}: release or scrap that "
                             "recall first, or repeat it")


def _next_round(conn: psycopg.Connection, recall_id: str) -> int:
    row = conn.execute("UPDATE recalls SET holds = holds + 1 WHERE recall_id = %s "
                       "RETURNING holds", (recall_id,)).fetchone()
    assert row is not None
    return int(row[0])


def _plan(conn: psycopg.Connection, subject: Subject, stamp: Stamp,
          phase: Phase) -> tuple[StatusPlan, tuple[str, ...]]:
    status = str(phase.from_status)
    if subject.lot:
        balances = {loc: qty for loc, qty in conn.execute(
            _BALANCES, (subject.lot, subject.sku, subject.warehouse, status, MAX_PLACES + 1))}
        units = [UnitShare(u, loc, qty, only) for u, loc, qty, only in conn.execute(
            _UNITS, (subject.sku, subject.lot, status, subject.warehouse, MAX_PLACES + 1))]
        if len(balances) > MAX_PLACES or len(units) > MAX_PLACES:
            raise RecallTooLarge(f"lot {subject.lot} of {subject.sku} lies in more than "
                                 f"{MAX_PLACES} places or units: recall it per SKU and "
                                 "location range")
        return plan_lot(stamp, phase, LotKey(subject.sku, subject.lot), balances, units), ()
    if len(subject.serials) > MAX_PLACES:
        raise RecallTooLarge(f"more than {MAX_PLACES} serials in one recall")
    found = [SerialAt(subject.sku, serial, lot, loc, unit) for serial, lot, loc, unit in
             conn.execute(_SERIALS, (subject.sku, list(subject.serials), subject.warehouse))
             if loc is not None and _in_status(conn, subject.sku, lot, loc, unit, status)]
    missing = tuple(sorted(set(subject.serials) - {s.serial for s in found}))
    return plan_serials(stamp, phase, found), missing


def _in_status(conn: psycopg.Connection, sku: str, lot: str, location: str, unit: str | None,
               status: str) -> bool:
    """Whether the serial's lot has stock in `status` where the serial lies (in its unit)."""
    if unit is not None:
        sql, args = ("SELECT 1 FROM unit_contents WHERE unit_key = %s AND sku = %s AND lot = %s "
                     "AND status = %s AND quantity >= 1", (unit, sku, lot, status))
    else:
        sql, args = ("SELECT 1 FROM balances WHERE location = %s AND sku = %s AND lot = %s "
                     "AND status = %s AND quantity >= 1", (location, sku, lot, status))
    return conn.execute(sql, args).fetchone() is not None
