"""Find where things are: one query string read as a SKU, GTIN, lot, EPC, SSCC or location.

Rule kept here: the query is only ever a bound parameter; a scanned label is read by the one
label reader (protocol.labels: AIM ids, GS separators, HRI brackets, check digits), and typed
digits of a GTIN's or an SSCC's length are searched as one even with a wrong check digit (the
catalog does not check them), zero-padded to 14 for GTINs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import psycopg

from cloud_hub.web.payloads import number
from protocol.labels import LabelError, read_label

FIND_LIMIT = 500
HIT_KEYS = ("kind", "match", "location", "unit_key", "sku", "lot", "status", "quantity")


@dataclass(frozen=True, slots=True)
class FindTerms:
    text: str
    sscc: str | None
    gtin14: str | None
    epc: str | None


def read_terms(query: str, today: date) -> FindTerms:
    """What a query could be. Pure: no database, no clock."""
    text = query.strip()
    try:
        label = read_label(text, today=today)
    except LabelError:
        label = None
    if label is not None and label.is_gs1:
        sscc, gtin = label.sscc, label.gtin
    else:
        text = label.text if label is not None else text  # a plain label's AIM id dropped
        digits = text.isascii() and text.isdigit()
        sscc = text if digits and len(text) == 18 else None
        gtin = text.zfill(14) if digits and len(text) in (8, 12, 13, 14) else None
    epc = text.upper() if re.fullmatch(r"[0-9A-Fa-f]{8,128}", text) else None
    return FindTerms(text, sscc, gtin, epc)


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
    FROM balances b WHERE b.lot <> '' AND upper(b.lot) = upper(%(text)s) AND b.quantity > 0
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
  SELECT 'location', l.code, l.code, NULL, NULL, NULL, NULL, NULL
    FROM locations l WHERE l.warehouse = %(wh)s AND upper(l.code) = upper(%(text)s)
) hits ORDER BY location, kind, sku, lot LIMIT %(limit)s
"""


def find(conn: psycopg.Connection, warehouse: str, query: str) -> list[dict[str, object]]:
    terms = read_terms(query, datetime.now(UTC).date())
    if not terms.text:
        return []
    params = {"text": terms.text, "sscc": terms.sscc, "gtin": terms.gtin14, "epc": terms.epc,
              "wh": warehouse, "limit": FIND_LIMIT}
    hits = []
    for row in conn.execute(FIND_SQL, params):
        hit = dict(zip(HIT_KEYS, row, strict=True))
        hit["quantity"] = number(hit["quantity"])  # type: ignore[arg-type]
        hits.append(hit)
    return hits
