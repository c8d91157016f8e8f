"""Stock already coming to a warehouse, as planning counts it: on order (open purchase-order
lines not yet received) and in transit (transfers shipped to it, not yet received).

Rule kept here: a PO line is on order from the moment it is drafted until its PO is closed or
cancelled, less what its receipts took in; a drafted transfer is on order for its destination
until it ships, then in transit while its stock lies in the destination's transit location
(kind 'transit'). Both count in the inventory position, so the
next planning run does not suggest the same goods again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg

_ON_ORDER = """
SELECT po.warehouse, l.sku,
       sum(greatest(l.quantity - coalesce((
           SELECT sum(a.quantity) FROM purchase_order_receipts pr
             JOIN work_receipt_arrivals a ON a.receipt_id = pr.receipt_id
            WHERE pr.po_id = po.po_id AND a.line_id = l.line_no::text
              AND a.match IN ('matched', 'over')), 0), 0))::float8
  FROM purchase_orders po JOIN purchase_order_lines l ON l.po_id = po.po_id
 WHERE po.state IN ('draft', 'sent', 'confirmed')
   AND (%(wh)s::text IS NULL OR po.warehouse = %(wh)s)
 GROUP BY 1, 2
 UNION ALL
SELECT t.to_warehouse, l.sku, sum(l.quantity)::float8
  FROM transfer_orders t JOIN transfer_order_lines l ON l.transfer_id = t.transfer_id
 WHERE t.state = 'draft' AND (%(wh)s::text IS NULL OR t.to_warehouse = %(wh)s)
 GROUP BY 1, 2"""
_IN_TRANSIT = """
SELECT b.warehouse, b.sku, sum(b.quantity)::float8
  FROM balances b JOIN locations l ON l.code = b.location
 WHERE l.kind = 'transit' AND (%(wh)s::text IS NULL OR b.warehouse = %(wh)s)
 GROUP BY 1, 2"""


def _by_key(conn: psycopg.Connection, sql: str, keys: Sequence[tuple[str, str]],
            warehouse: str | None) -> np.ndarray:
    found: dict[tuple[str, str], float] = {}
    for wh, sku, qty in conn.execute(sql, {"wh": warehouse}):
        found[(sku, wh)] = found.get((sku, wh), 0.0) + qty
    return np.array([found.get(k, 0.0) for k in keys], dtype=float)


def on_order(conn: psycopg.Connection, keys: Sequence[tuple[str, str]],
             warehouse: str | None = None) -> np.ndarray:
    """Open PO quantity and drafted transfers per (sku, warehouse) key."""
    return _by_key(conn, _ON_ORDER, keys, warehouse)


def in_transit(conn: psycopg.Connection, keys: Sequence[tuple[str, str]],
               warehouse: str | None = None) -> np.ndarray:
    """Stock in the destination's transit location per (sku, warehouse) key."""
    return _by_key(conn, _IN_TRANSIT, keys, warehouse)


def on_order_one(conn: psycopg.Connection, sku: str, warehouse: str) -> float:
    return float(on_order(conn, [(sku, warehouse)], warehouse)[0]
                 + in_transit(conn, [(sku, warehouse)], warehouse)[0])
