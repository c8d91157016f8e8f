"""Find where things are: one query string read as a SKU, GTIN, lot, serial, EPC, SSCC or
location (how a query is read: cloud_hub.web.search).

Rule kept here: the query is only ever a bound parameter, and every answer is bounded. A hit
of a lot carries its expiry from the lot master (cloud_hub.work.pg.lots), the one that FEFO
reads; a scanned GS1 label's lot (AI 10) is searched as a lot.
"""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from cloud_hub.web.payloads import number
from cloud_hub.web.search import read_terms
from cloud_hub.work.pg import lots, serials

FIND_LIMIT = 500
HIT_KEYS = ("kind", "match", "location", "unit_key", "sku", "lot", "status", "quantity")


FIND_SQL = """
SELECT * FROM (
  SELECT 'sku' AS kind, b.sku AS match, b.location, NULL::text AS unit_key, b.sku, b.lot,
         b.status, b.quantity
    FROM balances b WHERE b.sku IN (%(text)s, upper(%(text)s)) AND b.quantity > 0
     AND b.warehouse = %(wh)s
  UNION ALL
  SELECT 'gtin', s.gtin, b.location, NULL, b.sku, b.lot, b.status, b.quantity
    FROM skus s JOIN balances b ON b.sku = s.sku
   WHERE %(gtin)s::text IS NOT NULL AND lpad(s.gtin, 14, '0') = %(gtin)s
     AND b.quantity > 0 AND b.warehouse = %(wh)s
  UNION ALL
  SELECT 'gtin', substr(b.sku, 6), b.location, NULL, b.sku, b.lot, b.status, b.quantity
    FROM balances b WHERE %(gtin)s::text IS NOT NULL AND b.sku LIKE 'gtin:%%'
     AND lpad(substr(b.sku, 6), 14, '0') = %(gtin)s AND b.quantity > 0 AND b.warehouse = %(wh)s
  UNION ALL
  SELECT 'lot', b.lot, b.location, NULL, b.sku, b.lot, b.status, b.quantity
    FROM balances b WHERE b.lot <> '' AND upper(b.lot) = upper(coalesce(%(lot)s, %(text)s))
     AND b.quantity > 0
     AND b.warehouse = %(wh)s
  UNION ALL
  SELECT CASE WHEN u.sscc IS NOT NULL AND (u.epc IS NULL OR upper(u.epc) IS DISTINCT FROM
              %(epc)s) THEN 'sscc' ELSE 'epc' END,
         CASE WHEN u.sscc IS NOT NULL AND (u.epc IS NULL OR upper(u.epc) IS DISTINCT FROM
              %(epc)s) THEN u.sscc ELSE coalesce(u.epc, u.unit_key) END,
         u.location, u.unit_key, c.sku, c.lot, c.status, c.quantity
    FROM units u LEFT JOIN unit_contents c USING (unit_key)
   WHERE u.warehouse = %(wh)s AND (u.sscc = %(sscc)s OR upper(u.epc) = %(epc)s
         OR u.unit_key IN (%(text)s, 'epc:' || %(epc)s, 'sscc:' || %(sscc)s))
  UNION ALL
  SELECT 'serial', s.serial, coalesce(u.location, s.location), s.unit_key, s.sku, s.lot,
         NULL, 1
    FROM serials s LEFT JOIN units u ON u.unit_key = s.unit_key
   WHERE s.warehouse = %(wh)s AND s.serial = coalesce(%(serial)s, %(text)s)
     AND coalesce(u.location, s.location) IS NOT NULL
  UNION ALL
  SELECT 'location', l.code, l.code, NULL, NULL, NULL, NULL, NULL
    FROM locations l WHERE l.warehouse = %(wh)s AND upper(l.code) = upper(%(text)s)
) hits ORDER BY location, kind, sku, lot LIMIT %(limit)s
"""


def find(conn: psycopg.Connection, warehouse: str, query: str) -> list[dict[str, object]]:
    terms = read_terms(query, datetime.now(UTC).date())
    if not terms.text:
        return []
    params = {"text": terms.text, "sscc": terms.sscc, "gtin": terms.gtin14, "epc": terms.epc,
              "lot": terms.lot, "serial": terms.serial, "wh": warehouse, "limit": FIND_LIMIT}
    serials.current(conn)  # a serial moved a moment ago is found where it is now
    hits = []
    for row in conn.execute(FIND_SQL, params):
        hit = dict(zip(HIT_KEYS, row, strict=True))
        hit["quantity"] = number(hit["quantity"])  # type: ignore[arg-type]
        hits.append(hit)
    known = lots.lot_infos(conn, {(h["sku"], h["lot"]) for h in hits if h["lot"]})  # type: ignore[misc]
    for hit in hits:
        info = known.get((hit["sku"], hit["lot"]))  # type: ignore[arg-type]
        hit["expiry"] = info.expiry.isoformat() if info and info.expiry else None
    return hits
