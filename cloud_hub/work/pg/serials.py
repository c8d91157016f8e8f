"""Serials (GS1 AI 21) first-class: where each serialised item is now and every sighting of
it, a projection of `moves` (migration 019) fed by every applied move whose item or declared
unit contents name a serial; read by `GET /api/v1/serials/...` and by trace.

Rules kept here: `serials` and `serial_sightings` are a projection (ledger/pg/watermark.py),
never written by the apply path; sightings are folded in `moves.seq` order. A serial that
shows up where it was not — received (or adjusted in) while it is in stock somewhere, or moved
from a place other than where it was last seen (unless it is in the same unit as then: the
unit may have moved without naming its contents) — opens a `serial_two_places` exception with
both sightings; the serial follows the ledger (its newest sighting), the exception says it was
in two places. Reads refresh first, so they include every committed move.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from cloud_hub.ledger.pg import watermark
from cloud_hub.ledger.pg.watermark import Refresh, Watermark
from cloud_hub.work.pg import lots

LOCK_KEY = 0x5350_534E  # "SPSN": one refresher at a time
MARK = Watermark("serials", "serials_state", LOCK_KEY)
MAX_HISTORY = 1_000

_SEEN = """
SELECT m.seq, m.event_id, m.occurred_at, m.warehouse, m.reason, m.from_location,
       m.to_location, m.unit_key, s.sku, s.lot, s.serial, s.packed
  FROM moves m
 CROSS JOIN LATERAL (
        SELECT m.sku, coalesce(m.lot, ''), m.payload->'item'->>'serial', false
         WHERE m.sku IS NOT NULL
        UNION ALL
        SELECT coalesce(e->>'sku', 'gtin:' || (e->>'gtin')), coalesce(e->>'lot', ''),
               e->>'serial', true FROM json_array_elements(m.payload->'contents') e
       ) s(sku, lot, serial, packed)
 WHERE m.seq > %(after)s AND m.seq <= %(through)s AND m.payload IS NOT NULL
   AND s.serial IS NOT NULL AND s.serial <> ''"""
_SIGHTINGS = """
INSERT INTO serial_sightings (sku, serial, seq, event_id, occurred_at, warehouse,
                              from_location, to_location, unit_key, reason, lot)
SELECT sku, serial, seq, event_id, occurred_at, warehouse, from_location, to_location,
       unit_key, reason, lot FROM serial_tail ON CONFLICT DO NOTHING"""
# Each sighting against where the serial was just before it (the previous sighting in this
# tail, or the projection for the first): appearing elsewhere is two places at once.
_TWO_PLACES = """
WITH ordered AS (
  SELECT t.*, row_number() OVER w AS n, lag(t.to_location) OVER w AS prev_location,
         lag(t.warehouse) OVER w AS prev_warehouse, lag(t.event_id) OVER w AS prev_event,
         lag(t.occurred_at) OVER w AS prev_at,
         lag(CASE WHEN t.packed THEN t.unit_key END) OVER w AS prev_unit
    FROM serial_tail t WINDOW w AS (PARTITION BY sku, serial ORDER BY seq)),
judged AS (
  SELECT o.*,
         CASE WHEN o.n = 1 THEN s.location ELSE o.prev_location END AS was_at,
         CASE WHEN o.n = 1 THEN s.warehouse ELSE o.prev_warehouse END AS was_in,
         CASE WHEN o.n = 1 THEN s.last_event ELSE o.prev_event END AS was_event,
         CASE WHEN o.n = 1 THEN s.last_seen_at ELSE o.prev_at END AS was_when,
         CASE WHEN o.n = 1 THEN s.unit_key ELSE o.prev_unit END AS was_unit
    FROM ordered o LEFT JOIN serials s USING (sku, serial))
INSERT INTO lot_exceptions (kind, sku, lot, serial, detail, warehouses)
SELECT DISTINCT ON (sku, serial) 'serial_two_places', sku, lot, serial,
       jsonb_build_object('sightings', jsonb_build_array(
         jsonb_build_object('warehouse', was_in, 'location', was_at, 'event_id', was_event,
                            'occurred_at', was_when),
         jsonb_build_object('warehouse', warehouse, 'location', coalesce(to_location,
                            from_location), 'from_location', from_location,
                            'event_id', event_id, 'occurred_at', occurred_at,
                            'reason', reason))),
       ARRAY(SELECT DISTINCT w FROM unnest(ARRAY[was_in, warehouse]) w WHERE w IS NOT NULL)
  FROM judged WHERE was_at IS NOT NULL AND from_location IS DISTINCT FROM was_at
   AND (was_unit IS NULL OR unit_key IS DISTINCT FROM was_unit)  -- its unit moved meanwhile
 ORDER BY sku, serial, seq
    ON CONFLICT DO NOTHING"""
_CURRENT = """
INSERT INTO serials (sku, serial, lot, warehouse, location, unit_key, first_seen_at,
                     last_seen_at, last_seq, last_event)
SELECT DISTINCT ON (sku, serial) sku, serial, lot, warehouse, to_location,
       CASE WHEN packed THEN unit_key END,
       min(occurred_at) OVER (PARTITION BY sku, serial), occurred_at, seq, event_id
  FROM serial_tail ORDER BY sku, serial, seq DESC
    ON CONFLICT (sku, serial) DO UPDATE
   SET lot = coalesce(nullif(excluded.lot, ''), serials.lot), warehouse = excluded.warehouse,
       location = excluded.location, unit_key = excluded.unit_key,
       first_seen_at = least(serials.first_seen_at, excluded.first_seen_at),
       last_seen_at = excluded.last_seen_at, last_seq = excluded.last_seq,
       last_event = excluded.last_event"""


def refresh(conn: psycopg.Connection, *, wait_s: float = watermark.WAIT_S,
            chunk: int = watermark.CHUNK_SEQS) -> Refresh:
    """Fold the moves committed since the watermark into `serials` and their sightings."""
    return watermark.refresh(conn, MARK, _fold, wait_s=wait_s, chunk=chunk)


def current(conn: psycopg.Connection) -> None:
    """Fold in the moves committed since the last refresh (lots.refresh_for_read)."""
    lots.refresh_for_read(conn, MARK, refresh)


def _fold(conn: psycopg.Connection, after: int, through: int) -> int:
    conn.execute("CREATE TEMP TABLE serial_tail ON COMMIT DROP AS " + _SEEN,
                 {"after": after, "through": through})
    conn.execute(_SIGHTINGS)
    conn.execute(_TWO_PLACES)
    changed = conn.execute(_CURRENT).rowcount
    conn.execute("DROP TABLE serial_tail")
    return changed


def read_serial(conn: psycopg.Connection, sku: str, serial: str) -> dict[str, Any] | None:
    """A serial now — its warehouse, location (its unit's, when it is packed), unit, lot —
    with its sightings, newest first (at most MAX_HISTORY), and its open exceptions."""
    current(conn)
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            "SELECT s.sku, s.serial, s.lot, s.warehouse, coalesce(u.location, s.location) "
            "AS location, s.unit_key, (coalesce(u.location, s.location) IS NOT NULL) "
            "AS in_stock, s.first_seen_at, s.last_seen_at FROM serials s "
            "LEFT JOIN units u ON u.unit_key = s.unit_key WHERE s.sku = %s AND s.serial = %s",
            (sku, serial)).fetchone()
        if row is None:
            return None
        row["history"] = cur.execute(
            "SELECT event_id::text, occurred_at, warehouse, from_location, to_location, "
            "unit_key, reason, lot FROM serial_sightings WHERE sku = %s AND serial = %s "
            "ORDER BY seq DESC LIMIT %s", (sku, serial, MAX_HISTORY)).fetchall()
        row["open_exceptions"] = [r[0] for r in conn.execute(
            "SELECT exception_id FROM lot_exceptions WHERE sku = %s AND serial = %s "
            "AND resolved_at IS NULL ORDER BY exception_id", (sku, serial))]
    return row


def warehouses_of(conn: psycopg.Connection, sku: str, serial: str) -> set[str]:
    """Every warehouse a serial was seen in (a caller must see them all to read its story)."""
    return {r[0] for r in conn.execute("SELECT DISTINCT warehouse FROM serial_sightings "
                                       "WHERE sku = %s AND serial = %s", (sku, serial))}


def find_serials(conn: psycopg.Connection, *, serial: str | None, sku: str | None,
                 lot: str | None, visible: frozenset[str] | None, limit: int
                 ) -> list[dict[str, Any]]:
    """Serials by serial, SKU and/or lot (exact), in the warehouses `visible` (None: all)."""
    current(conn)
    where, params = ["true"], list[object]()
    for column, value in (("serial", serial), ("sku", sku), ("lot", lot)):
        if value is not None:
            where.append(f"s.{column} = %s")
            params.append(value)
    if visible is not None:
        where.append("s.warehouse = ANY(%s)")
        params.append(sorted(visible))
    params.append(limit)
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT s.sku, s.serial, s.lot, s.warehouse, coalesce(u.location, s.location) "
            "AS location, s.unit_key, (coalesce(u.location, s.location) IS NOT NULL) AS in_stock,"
            " s.first_seen_at, s.last_seen_at FROM serials s LEFT JOIN units u "
            f"ON u.unit_key = s.unit_key WHERE {' AND '.join(where)} "
            "ORDER BY s.sku, s.serial LIMIT %s", params).fetchall()
