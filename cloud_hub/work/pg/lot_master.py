"""The lot master (`lots`, migrations 014/018): reading a lot, finding lots, importing lot
data, and the exceptions a supervisor resolves (`lot_exceptions`). The ledger's feed into the
same tables is lots.py; other features (trace, recall) read lots through this module.

Rules kept here: an import or a receipt's declared lot (`declare`) fills what the master lacks
and sets supplier, origin and dates; an expiry that differs from the master's is a report and
an `expiry_conflict`, never an overwrite. Resolving a conflict writes the chosen expiry
(source `resolved`) and closes the exception; the reports stay. Reads first fold in the moves
committed since the last refresh, so what they show includes every applied move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from cloud_hub.work.lot_import import LotRow
from cloud_hub.work.pg import lots, serials

MAX_FOUND = 500
EXCEPTION_KINDS = ("expiry_conflict", "expired_on_receipt", "serial_two_places")
_COLUMNS = ("sku, lot, expiry, expiry_source, production_date, best_before, supplier, origin, "
            "status, first_seen_at, received_at, "
            "(SELECT count(*) FROM lot_exceptions x WHERE x.sku = l.sku AND x.lot = l.lot "
            "AND x.resolved_at IS NULL) AS open_exceptions")


class ExceptionNotFound(LookupError):
    pass


class ResolveRefused(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Imported:
    number: int
    sku: str
    lot: str
    outcome: str  # created | updated | unchanged | conflict
    detail: str = ""


def current(conn: psycopg.Connection) -> None:
    """Fold in the moves committed since the last refresh (lots.refresh_for_read)."""
    lots.refresh_for_read(conn, lots.MARK, lots.refresh)


_ON_HAND = """
SELECT warehouse, location, unit_key, status, sum(quantity) AS quantity FROM (
  SELECT b.warehouse, b.location, NULL::text AS unit_key, b.status, b.quantity
    FROM balances b WHERE b.sku = %(sku)s AND b.lot = %(lot)s AND b.quantity > 0
  UNION ALL
  SELECT u.warehouse, u.location, u.unit_key, c.status, c.quantity
    FROM unit_contents c JOIN units u USING (unit_key)
   WHERE c.sku = %(sku)s AND c.lot = %(lot)s AND c.quantity > 0 AND u.location IS NOT NULL
) h WHERE %(all)s OR warehouse = ANY(%(visible)s)
GROUP BY warehouse, location, unit_key, status
ORDER BY warehouse, location, unit_key NULLS FIRST, status LIMIT %(limit)s"""


def read_lot(conn: psycopg.Connection, sku: str, lot: str,
             visible: frozenset[str] | None = None) -> dict[str, Any] | None:
    """A lot, its expiry reports and where it is on hand (loose and on units) in the
    warehouses `visible` (None: all) — at most MAX_FOUND places."""
    current(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM lots l WHERE sku = %s AND lot = %s",
                          (sku, lot)).fetchone()
        if row is None:
            return None
        row["expiry_reports"] = cur.execute(
            "SELECT expiry, source, first_event::text AS event_id, occurred_at "
            "FROM lot_expiry_reports WHERE sku = %s AND lot = %s ORDER BY first_seq NULLS LAST, "
            "occurred_at", (sku, lot)).fetchall()
        row["on_hand"] = cur.execute(_ON_HAND, {
            "sku": sku, "lot": lot, "all": visible is None, "visible": sorted(visible or ()),
            "limit": MAX_FOUND}).fetchall()
    return row


def find_lots(conn: psycopg.Connection, *, sku: str | None, lot: str | None,
              expiring_before: date | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Lots by SKU and/or lot (exact), soonest expiry first; at most `limit` (≤ MAX_FOUND)."""
    current(conn)
    where: list[str] = ["true"]
    params: list[object] = []
    for column, value in (("sku", sku), ("lot", lot)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if expiring_before is not None:
        where.append("expiry < %s")
        params.append(expiring_before)
    params.append(min(limit, MAX_FOUND))
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {_COLUMNS} FROM lots l WHERE {' AND '.join(where)} "
                           "ORDER BY expiry NULLS LAST, sku, lot LIMIT %s", params).fetchall()


def list_exceptions(conn: psycopg.Connection, *, visible: frozenset[str] | None,
                    open_only: bool = True, kind: str | None = None, limit: int = 100
                    ) -> list[dict[str, Any]]:
    """Exceptions oldest first; `visible`: the warehouses the caller may see (None: all) — an
    exception naming a warehouse outside them (a serial's sightings) is left out."""
    current(conn)
    serials.current(conn)
    where = ["true"] + (["resolved_at IS NULL"] if open_only else [])
    params: list[object] = []
    if visible is not None:
        where.append("x.warehouses <@ %s::text[]")
        params.append(sorted(visible))
    if kind is not None:
        where.append("kind = %s")
        params.append(kind)
    params.append(min(limit, MAX_FOUND))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT exception_id, kind, x.sku, x.lot, serial, warehouses, detail, opened_at, "
            "resolved_at, resolved_by, resolution, l.expiry AS master_expiry, "
            "coalesce((SELECT array_agg(r.expiry ORDER BY r.expiry) FROM lot_expiry_reports r "
            "  WHERE r.sku = x.sku AND r.lot = x.lot), '{}') AS reported_expiries "
            "FROM lot_exceptions x LEFT JOIN lots l ON l.sku = x.sku AND l.lot = x.lot "
            f"WHERE {' AND '.join(where)} ORDER BY opened_at, exception_id LIMIT %s",
            params).fetchall()
    return rows


def resolve_exception(conn: psycopg.Connection, exception_id: int, *, user: str,
                      visible: frozenset[str] | None, expiry: date | None, note: str,
                      now: datetime) -> dict[str, Any]:
    """Close an exception. An expiry conflict needs the expiry that holds: the master takes it
    (recorded as a report of source `resolved` if nobody had reported it)."""
    with conn.transaction():
        row = conn.execute("SELECT kind, sku, lot, resolved_at, warehouses FROM lot_exceptions"
                           " WHERE exception_id = %s FOR UPDATE", (exception_id,)).fetchone()
        if row is None or (visible is not None and not set(row[4]) <= visible):
            raise ExceptionNotFound(f"lot exception {exception_id}")
        kind, sku, lot, resolved_at, _ = row
        if resolved_at is not None:
            raise ResolveRefused(f"lot exception {exception_id} is already resolved")
        resolution: dict[str, Any] = {"note": note}
        if kind == "expiry_conflict":
            if expiry is None:
                raise ResolveRefused("an expiry conflict is resolved by naming the expiry")
            conn.execute("UPDATE lots SET expiry = %s, expiry_source = 'resolved', "
                         "updated_at = %s WHERE sku = %s AND lot = %s", (expiry, now, sku, lot))
            conn.execute("INSERT INTO lot_expiry_reports (sku, lot, expiry, occurred_at, source)"
                         " VALUES (%s, %s, %s, %s, 'resolved') ON CONFLICT DO NOTHING",
                         (sku, lot, expiry, now))
            resolution["expiry"] = expiry.isoformat()
        conn.execute("UPDATE lot_exceptions SET resolved_at = %s, resolved_by = %s, "
                     "resolution = %s WHERE exception_id = %s",
                     (now, user, Jsonb(resolution), exception_id))
    return {"exception_id": exception_id, "kind": kind, "sku": sku, "lot": lot,
            "resolved_by": user, "resolved_at": now, "expiry": expiry}


def import_rows(conn: psycopg.Connection, rows: list[LotRow], now: datetime
                ) -> list[Imported]:
    """Write these rows into the master, one transaction; each row's outcome, in file order.
    Rows are written in (sku, lot) order, as the refresh's upsert locks them, so the two never
    deadlock; rows of one lot keep their file order (the first expiry holds)."""
    current(conn)
    done: dict[int, Imported] = {}
    with conn.transaction():
        for row in sorted(rows, key=lambda r: (r.sku, r.lot)):
            done[row.number] = declare(conn, row, now, "import")
    return [done[row.number] for row in rows]


def declare(conn: psycopg.Connection, row: LotRow, now: datetime, source: str) -> Imported:
    """What `source` (an import, a receipt) says of a lot, written into the master in the
    caller's transaction: it fills what the master lacks, sets dates, supplier and origin, and a
    different expiry is a report and an exception, never an overwrite."""
    created = conn.execute(  # a fold inserting the same lot meanwhile: then it is updated
        "INSERT INTO lots (sku, lot, first_seen_at, updated_at) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING true", (row.sku, row.lot, now, now)).fetchone()
    old = conn.execute("SELECT expiry, production_date, best_before, supplier, origin FROM lots "
                       "WHERE sku = %s AND lot = %s FOR UPDATE", (row.sku, row.lot)).fetchone()
    assert old is not None
    attrs = (row.production_date, row.best_before, row.supplier, row.origin)
    changed = any(new is not None and new != was for new, was in zip(attrs, old[1:], strict=True))
    if changed:
        conn.execute("UPDATE lots SET production_date = coalesce(%s, production_date), "
                     "best_before = coalesce(%s, best_before), supplier = coalesce(%s, supplier),"
                     " origin = coalesce(%s, origin), updated_at = %s WHERE sku = %s AND lot = %s",
                     (*attrs, now, row.sku, row.lot))
    if row.expiry is not None and old[0] is None:
        conn.execute("UPDATE lots SET expiry = %s, expiry_source = %s, updated_at = %s "
                     "WHERE sku = %s AND lot = %s", (row.expiry, source, now, row.sku, row.lot))
        _report(conn, row, now, source)
        return Imported(row.number, row.sku, row.lot, "created" if created else "updated")
    if row.expiry is not None and row.expiry != old[0]:
        _report(conn, row, now, source)
        conn.execute(
            "INSERT INTO lot_exceptions (kind, sku, lot, detail, opened_at) VALUES "
            "('expiry_conflict', %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (row.sku, row.lot, Jsonb({"master": old[0].isoformat(),
                                      "reported": row.expiry.isoformat(), "source": source}),
             now))
        return Imported(row.number, row.sku, row.lot, "conflict",
                        f"the master says expiry {old[0]}, this row {row.expiry}: "
                        "kept as an exception for a supervisor")
    outcome = "created" if created else "updated" if changed else "unchanged"
    return Imported(row.number, row.sku, row.lot, outcome)


def _report(conn: psycopg.Connection, row: LotRow, now: datetime, source: str) -> None:
    if row.expiry is not None:
        conn.execute("INSERT INTO lot_expiry_reports (sku, lot, expiry, occurred_at, source) "
                     "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                     (row.sku, row.lot, row.expiry, now, source))
