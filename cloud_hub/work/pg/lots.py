"""The lot master's feed from the ledger — SKU + lot → expiry and first receipt — the one
source that FEFO picking, expiry alerts, the map and the PDA read, fed by every applied event
that names a lot's expiry, production date or best-before (GS1 AIs 17, 11, 15 from scans;
receipts, opening stock, moves, pallet contents), with every expiry reported kept; the first
production and best-before dates hold. Imports and resolutions: lot_master.py.

Rule kept here: `lots` is a projection of `moves` (ledger/pg/watermark.py), never written by the
apply path. A lot's expiry is the FIRST one reported (by an event, in `moves.seq` order, or by
an import); a different expiry for the same lot is recorded in `lot_expiry_reports` and opens an
`expiry_conflict` in `lot_exceptions` (migration 018) — the master stays as it was until a
supervisor resolves it. A receipt of a lot already expired is accepted and opens an
`expired_on_receipt` exception. Reads add the moves above the watermark, so they equal a read of
all moves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import psycopg

from cloud_hub.ledger.pg import watermark
from cloud_hub.ledger.pg.watermark import Refresh, Watermark

LOCK_KEY = 0x5350_4C4F  # "SPLO": one refresher at a time
MARK = Watermark("lots", "lots_state", LOCK_KEY)
CATCH_UP_AFTER = 100_000  # seqs behind: a reader refreshes first rather than scan the tail
READ_REFRESH_MAX = 20_000  # seqs behind: more is left to the scheduled refresh

Key = tuple[str, str]  # (sku, lot)
_T = TypeVar("_T", date, datetime)

# Each (sku, lot) an applied move names with an expiry or receives: the item and the
# declared contents of a unit alike (a moves row keeps expiry and contents in `payload`).
_SEEN = """
SELECT m.seq, m.event_id, m.occurred_at, m.reason = 'receive' AS received,
       s.sku, s.lot, s.expiry, s.production_date, s.best_before
  FROM moves m
 CROSS JOIN LATERAL (
        SELECT m.sku, m.lot, (m.payload->'item'->>'expiry')::date,
               (m.payload->'item'->>'production_date')::date,
               (m.payload->'item'->>'best_before')::date WHERE m.sku IS NOT NULL
        UNION ALL
        SELECT coalesce(e->>'sku', 'gtin:' || (e->>'gtin')), coalesce(e->>'lot', ''),
               (e->>'expiry')::date, (e->>'production_date')::date, (e->>'best_before')::date
          FROM json_array_elements(m.payload->'contents') e
       ) s(sku, lot, expiry, production_date, best_before)
 WHERE {where} AND (m.payload IS NOT NULL OR m.reason = 'receive') AND s.lot <> ''
   AND (s.expiry IS NOT NULL OR m.reason = 'receive' OR s.production_date IS NOT NULL
        OR s.best_before IS NOT NULL)"""
_FIRST_EXPIRY = "(array_agg(expiry ORDER BY seq) FILTER (WHERE expiry IS NOT NULL))[1]"
_UPSERT = f"""
INSERT INTO lots (sku, lot, expiry, expiry_source, production_date, best_before,
                  first_seen_at, received_at)
SELECT sku, lot, {_FIRST_EXPIRY}, CASE WHEN {_FIRST_EXPIRY} IS NOT NULL THEN 'event' END,
       (array_agg(production_date ORDER BY seq)
          FILTER (WHERE production_date IS NOT NULL))[1],
       (array_agg(best_before ORDER BY seq) FILTER (WHERE best_before IS NOT NULL))[1],
       min(occurred_at), min(occurred_at) FILTER (WHERE received)
  FROM lot_tail GROUP BY sku, lot ORDER BY sku, lot
    ON CONFLICT (sku, lot) DO UPDATE
   SET expiry = coalesce(lots.expiry, excluded.expiry),
       production_date = coalesce(lots.production_date, excluded.production_date),
       best_before = coalesce(lots.best_before, excluded.best_before),
       expiry_source = coalesce(lots.expiry_source, excluded.expiry_source),
       first_seen_at = least(lots.first_seen_at, excluded.first_seen_at),
       received_at = least(lots.received_at, excluded.received_at)"""
# A newly reported expiry that is not the master's opens (or joins) the lot's open conflict.
_REPORTS = """
WITH new AS (
INSERT INTO lot_expiry_reports (sku, lot, expiry, first_event, first_seq, occurred_at)
SELECT DISTINCT ON (sku, lot, expiry) sku, lot, expiry, event_id, seq, occurred_at
  FROM lot_tail WHERE expiry IS NOT NULL ORDER BY sku, lot, expiry, seq
    ON CONFLICT DO NOTHING
RETURNING sku, lot, expiry, first_event)
INSERT INTO lot_exceptions (kind, sku, lot, detail)
SELECT DISTINCT ON (n.sku, n.lot) 'expiry_conflict', n.sku, n.lot,
       jsonb_build_object('master', l.expiry, 'reported', n.expiry, 'event_id', n.first_event)
  FROM new n JOIN lots l USING (sku, lot) WHERE l.expiry <> n.expiry
 ORDER BY n.sku, n.lot, n.expiry
    ON CONFLICT DO NOTHING"""
_EXPIRED_ON_RECEIPT = """
INSERT INTO lot_exceptions (kind, sku, lot, detail)
SELECT DISTINCT ON (sku, lot) 'expired_on_receipt', sku, lot,
       jsonb_build_object('expiry', expiry, 'received_at', occurred_at, 'event_id', event_id)
  FROM lot_tail WHERE received AND expiry < (occurred_at AT TIME ZONE 'UTC')::date
 ORDER BY sku, lot, seq
    ON CONFLICT DO NOTHING"""
# The supplier of the receipt that brought a lot in (a PDA's receive task, or a dock arrival:
# task_id `receipt:<id>`), where the master has none.
_SUPPLIER = """
UPDATE lots l SET supplier = r.supplier, updated_at = now()
  FROM (SELECT DISTINCT ON (t.sku, t.lot) t.sku, t.lot, rc.supplier
          FROM lot_tail t JOIN moves m ON m.seq = t.seq
          LEFT JOIN work_tasks k ON k.task_id = m.task_id AND k.kind = 'receive'
          JOIN work_receipts rc ON rc.receipt_id = coalesce(k.reference, CASE
               WHEN m.task_id LIKE 'receipt:%%' THEN substr(m.task_id, 9) END)
         WHERE t.received AND rc.supplier <> '' ORDER BY t.sku, t.lot, t.seq) r
 WHERE l.sku = r.sku AND l.lot = r.lot AND l.supplier IS NULL"""
_KEYS = "(s.sku, s.lot) IN (SELECT * FROM unnest(%(skus)s::text[], %(lots)s::text[]))"


@dataclass(frozen=True, slots=True)
class LotInfo:
    expiry: date | None  # None: no event said when the lot expires
    received_at: datetime | None  # its first receipt (FIFO among equal expiries)


def refresh(conn: psycopg.Connection, *, wait_s: float = watermark.WAIT_S,
            chunk: int = watermark.CHUNK_SEQS) -> Refresh:
    """Fold the moves committed since the watermark into `lots` and `lot_expiry_reports`."""
    return watermark.refresh(conn, MARK, _fold, wait_s=wait_s, chunk=chunk)


def catch_up(conn: psycopg.Connection) -> None:
    """Refresh (without waiting for open writers) when the watermark is far behind, so the
    tail a reader adds stays short even when no scheduled refresh runs. Only outside a
    transaction: the refresh commits its own."""
    if conn.info.transaction_status is not psycopg.pq.TransactionStatus.IDLE:
        return
    row = conn.execute("SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence("
                       "'moves', 'seq')), 0) - (SELECT through_seq FROM lots_state)").fetchone()
    if row is not None and row[0] is not None and row[0] > CATCH_UP_AFTER:
        refresh(conn, wait_s=0)


def refresh_for_read(conn: psycopg.Connection, mark: Watermark,
                     refresh_one: Callable[..., Refresh]) -> None:
    """Before a read (a route, the map): fold in what was committed since the last refresh —
    when that is little and nobody else is refreshing. A reader never does a long backfill nor
    waits on one (the rules runner's sweep does those); it then reads the projection as is.
    Only outside a transaction: the refresh commits its own."""
    if conn.info.transaction_status is not psycopg.pq.TransactionStatus.IDLE:
        return
    row = conn.execute("SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence("
                       f"'moves', 'seq')), 0) - (SELECT through_seq FROM {mark.state_table})"
                       ).fetchone()
    if row is None or row[0] is None or row[0] > READ_REFRESH_MAX:
        return
    conn.execute("SET lock_timeout = '250ms'")  # another refresher holds the lock: skip
    try:
        refresh_one(conn, wait_s=0)
    except psycopg.errors.LockNotAvailable:
        pass
    finally:
        conn.execute("RESET lock_timeout")


def _fold(conn: psycopg.Connection, after: int, through: int) -> int:
    conn.execute("CREATE TEMP TABLE lot_tail ON COMMIT DROP AS "
                 + _SEEN.format(where="m.seq > %(after)s AND m.seq <= %(through)s"),
                 {"after": after, "through": through})
    changed = conn.execute(_UPSERT).rowcount
    conn.execute(_REPORTS)
    conn.execute(_EXPIRED_ON_RECEIPT)
    conn.execute(_SUPPLIER)
    conn.execute("DROP TABLE lot_tail")
    return changed


def lot_infos(conn: psycopg.Connection, keys: Iterable[Key]) -> dict[Key, LotInfo]:
    """What is known of these lots: the projection, plus the moves above its watermark (read
    after the watermark, so a refresh committing in between can only repeat a move; the
    projection's expiry, when it has one, came first and wins)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    params = {"skus": [k[0] for k in wanted], "lots": [k[1] for k in wanted],
              "after": watermark.read_state(conn, MARK).through_seq}
    found: dict[Key, LotInfo] = {}
    for sku, lot, expiry, received in conn.execute(
            "SELECT s.sku, s.lot, s.expiry, s.received_at FROM lots s WHERE " + _KEYS, params):
        found[(sku, lot)] = LotInfo(expiry, received)
    tail = ("SELECT sku, lot, " + _FIRST_EXPIRY + ", min(occurred_at) FILTER (WHERE received)"
            " FROM ("
            + _SEEN.format(where="m.seq > %(after)s AND " + _KEYS) + ") t GROUP BY sku, lot")
    for sku, lot, expiry, received in conn.execute(tail, params):
        old = found.get((sku, lot), LotInfo(None, None))
        found[(sku, lot)] = LotInfo(old.expiry if old.expiry is not None else expiry,
                                    _earliest(old.received_at, received))
    return found


def expiries(conn: psycopg.Connection, keys: Iterable[Key]) -> dict[Key, date]:
    """The expiry of each of these lots that has one."""
    return {k: info.expiry for k, info in lot_infos(conn, keys).items()
            if info.expiry is not None}


def _earliest(a: _T | None, b: _T | None) -> _T | None:
    return b if a is None else a if b is None else min(a, b)
