"""Ledger reads for the planning reports: stock items with their receipts and last outbound
(dead stock, ageing) and the daily stock / outbound arrays the KPIs need.

Rule kept here: daily stock is rebuilt backwards from today's balances and the item moves
since (in minus out per warehouse, internal moves net to zero), never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import numpy as np
import psycopg

from cloud_hub.planning.deadstock import Receipt, StockItem
from cloud_hub.planning.kpi import CycleCounts, KpiInputs
from cloud_hub.planning.pg.history import demand_history


def stock_items(conn: psycopg.Connection, warehouse: str | None = None) -> list[StockItem]:
    """Every SKU × warehouse with stock, its unit value, receipts and last outbound date."""
    rows = conn.execute(
        "SELECT b.warehouse, b.sku, sum(b.quantity)::float8, coalesce(max(k.unit_value), 0)::float8"
        " FROM balances b LEFT JOIN skus k ON k.sku = b.sku "
        "WHERE (%s::text IS NULL OR b.warehouse = %s) GROUP BY 1, 2 HAVING sum(b.quantity) > 0",
        (warehouse, warehouse)).fetchall()
    receipts: dict[tuple[str, str], list[Receipt]] = defaultdict(list)
    for wh, sku, day, qty in conn.execute(
            "SELECT warehouse, sku, occurred_at::date, sum(quantity)::float8 FROM moves "
            "WHERE reason = 'receive' AND sku IS NOT NULL AND quantity IS NOT NULL "
            "AND (%s::text IS NULL OR warehouse = %s) GROUP BY 1, 2, 3",
            (warehouse, warehouse)):
        receipts[(wh, sku)].append(Receipt(day, qty))
    last_out = {(wh, sku): day for wh, sku, day in conn.execute(
        "SELECT warehouse, sku, max(occurred_at)::date FROM moves "
        "WHERE reason IN ('pick', 'ship') AND sku IS NOT NULL "
        "AND (%s::text IS NULL OR warehouse = %s) GROUP BY 1, 2", (warehouse, warehouse))}
    return [StockItem(sku, wh, qty, value, last_out.get((wh, sku)),
                      tuple(receipts.get((wh, sku), ())))
            for wh, sku, qty, value in rows]


def kpi_inputs(conn: psycopg.Connection, start: date, end: date, dead_days: int = 180,
               warehouse: str | None = None) -> KpiInputs:
    """Daily on-hand (end of day) and outbound per SKU × warehouse over [start, end)."""
    days = (end - start).days
    if days <= 0:
        raise ValueError("the period must end after it starts")
    hist = demand_history(conn, end, days, warehouse)
    now_stock = {(sku, wh): q for wh, sku, q in conn.execute(
        "SELECT warehouse, sku, sum(quantity)::float8 FROM balances "
        "WHERE (%s::text IS NULL OR warehouse = %s) GROUP BY 1, 2", (warehouse, warehouse))}
    index = {k: i for i, k in enumerate(hist.keys)}
    for k in now_stock:
        index.setdefault(k, len(index))
    keys = sorted(index, key=index.__getitem__)
    n = len(keys)
    outbound = np.zeros((days, n))
    outbound[:, :len(hist.keys)] = hist.quantities
    origin = datetime(start.year, start.month, start.day, tzinfo=UTC)
    net = np.zeros((days + 1, n))  # row d: net change on day d; last row: after the period
    for wh, sku, day, qty in conn.execute(
            "SELECT coalesce(t.warehouse, f.warehouse) AS wh, m.sku, "
            "floor(extract(epoch FROM m.occurred_at - %s) / 86400)::int, "
            "sum(CASE WHEN t.warehouse IS NOT NULL AND f.warehouse IS DISTINCT FROM t.warehouse "
            "THEN m.quantity WHEN f.warehouse IS NOT NULL AND t.warehouse IS DISTINCT FROM "
            "f.warehouse THEN -m.quantity ELSE 0 END)::float8 FROM moves m "
            "LEFT JOIN locations f ON f.code = m.from_location "
            "LEFT JOIN locations t ON t.code = m.to_location "
            "WHERE m.sku IS NOT NULL AND m.quantity IS NOT NULL AND m.occurred_at >= %s "
            "GROUP BY 1, 2, 3", (origin, origin)):
        i = index.get((sku, wh))
        if i is not None:
            net[min(day, days), i] += qty
    current = np.array([now_stock.get(k, 0.0) for k in keys])
    # End of day d = now − everything that happened after day d.
    after = np.cumsum(net[::-1], axis=0)[::-1]  # after[d] = sum of net[d:]
    on_hand = current[None, :] - after[1:days + 1]
    values = dict(conn.execute("SELECT sku, unit_value::float8 FROM skus "
                               "WHERE unit_value IS NOT NULL").fetchall())
    classes = {(sku, wh): c for wh, sku, c in conn.execute(
        "SELECT warehouse, sku, abc_class FROM planning_status")}
    # Dead: nothing left in the last `dead_days` of the period (days since last outbound).
    dead = np.ones(n, dtype=bool)
    if hist.keys:
        shipped = hist.quantities > 0
        idle = shipped[::-1].argmax(axis=0)
        dead[:len(hist.keys)] = ~(shipped.any(axis=0) & (idle < min(dead_days, days)))
    return KpiInputs(
        on_hand=on_hand, outbound=outbound, requested=None,
        unit_cost=np.array([values.get(sku, 0.0) for sku, _ in keys]),
        warehouse=np.array([wh for _, wh in keys]),
        sku_class=np.array([classes.get(k) or "C" for k in keys]), dead=dead)


def cycle_counts(conn: psycopg.Connection, start: date, end: date,
                 warehouse: str | None = None) -> CycleCounts | None:
    """Counted lines in the period (of one warehouse, or all) from the counts module's
    work_counts table, when present: a line is accurate when the count matched the ledger's
    snapshot."""
    if conn.execute("SELECT to_regclass('work_counts')").fetchone() == (None,):
        return None
    rows = conn.execute(
        "SELECT c.warehouse, coalesce(s.abc_class, 'C'), c.counted = c.snapshot FROM work_counts c"
        " LEFT JOIN planning_status s ON s.warehouse = c.warehouse AND s.sku = c.sku "
        "WHERE c.counted IS NOT NULL AND c.counted_at >= %s AND c.counted_at < %s "
        "AND (%s::text IS NULL OR c.warehouse = %s)", (start, end, warehouse, warehouse)).fetchall()
    return CycleCounts(np.array([r[0] for r in rows], dtype=str),
                       np.array([r[1] for r in rows], dtype=str),
                       np.array([bool(r[2]) for r in rows], dtype=bool))
