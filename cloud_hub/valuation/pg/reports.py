"""Reads of the valuation: stock value now or at a past time, and the period report
(收发存: opening, receipts, issues, closing — quantity and value) per warehouse and SKU.

Rule kept here: every figure is a sum of valuation_entries (the value ledger), so a value at
any time, a period's movement and the open layers all agree; the answer says how far the
projection has come (`valued_through_seq`, `lag_moves`) so a reader knows what it includes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.valuation.pg.projection import lag

REPORT_COLUMNS = ("warehouse", "sku", "opening_quantity", "opening_value", "receipts_quantity",
                  "receipts_value", "issues_quantity", "issues_value", "closing_quantity",
                  "closing_value", "cogs", "revalued")


@dataclass(frozen=True)
class Freshness:
    valued_through_seq: int
    lag_moves: int


def freshness(conn: psycopg.Connection) -> Freshness:
    row = conn.execute("SELECT through_seq FROM valuation_state").fetchone()
    return Freshness(int(row[0]) if row else 0, lag(conn)[0])


def stock_value(conn: psycopg.Connection, *, warehouse: str | None, sku: str | None,
                lot: str | None, by_lot: bool, as_of: datetime | None
                ) -> list[dict[str, Any]]:
    """Quantity and value per warehouse/SKU (and lot), from the entries up to `as_of`."""
    keys = "warehouse, sku, lot" if by_lot else "warehouse, sku"
    rows = conn.execute(
        f"SELECT {keys}, sum(quantity), sum(value) FROM valuation_entries "
        "WHERE (%(wh)s::text IS NULL OR warehouse = %(wh)s) "
        "AND (%(sku)s::text IS NULL OR sku = %(sku)s) "
        "AND (%(lot)s::text IS NULL OR lot = %(lot)s) "
        "AND (%(as_of)s::timestamptz IS NULL OR occurred_at <= %(as_of)s) "
        f"GROUP BY {keys} HAVING sum(quantity) <> 0 OR sum(value) <> 0 ORDER BY {keys}",
        {"wh": warehouse, "sku": sku, "lot": lot, "as_of": as_of}).fetchall()
    names = keys.split(", ")
    return [{**dict(zip(names, r[:len(names)], strict=True)), "quantity": r[-2],
             "value": r[-1]} for r in rows]


_REPORT = """
SELECT warehouse, sku,
       coalesce(sum(quantity) FILTER (WHERE occurred_at < %(start)s), 0),
       coalesce(sum(value) FILTER (WHERE occurred_at < %(start)s), 0),
       coalesce(sum(quantity) FILTER (WHERE occurred_at >= %(start)s AND quantity >= 0), 0),
       coalesce(sum(value) FILTER (WHERE occurred_at >= %(start)s AND quantity >= 0), 0),
       coalesce(-sum(quantity) FILTER (WHERE occurred_at >= %(start)s AND quantity < 0), 0),
       coalesce(-sum(value) FILTER (WHERE occurred_at >= %(start)s AND quantity < 0), 0),
       coalesce(sum(quantity), 0), coalesce(sum(value), 0),
       coalesce(sum(cogs) FILTER (WHERE occurred_at >= %(start)s), 0)
  FROM valuation_entries
 WHERE occurred_at < %(end)s
   AND (%(wh)s::text IS NULL OR warehouse = %(wh)s)
   AND (%(sku)s::text IS NULL OR sku = %(sku)s)
 GROUP BY warehouse, sku
HAVING sum(quantity) <> 0 OR sum(value) <> 0
    OR count(*) FILTER (WHERE occurred_at >= %(start)s) > 0
 ORDER BY warehouse, sku
"""


def period_report(conn: psycopg.Connection, *, warehouse: str | None, sku: str | None,
                  start: date, end: date) -> list[dict[str, Decimal | str | bool]]:
    """One row per warehouse/SKU with stock or movement in [start, end) (UTC days):
    closing = opening + receipts - issues, in quantity and in value. `revalued`: a back-dated
    move changed this warehouse/SKU's values from a date before the period's end, after they
    may have been reported."""
    params = {"start": midnight(start), "end": midnight(end), "wh": warehouse, "sku": sku}
    revalued = {(w, s) for w, s in conn.execute(
        "SELECT DISTINCT warehouse, sku FROM valuation_revaluations WHERE from_at < %(end)s "
        "AND (%(wh)s::text IS NULL OR warehouse = %(wh)s) "
        "AND (%(sku)s::text IS NULL OR sku = %(sku)s)", params)}
    return [dict(zip(REPORT_COLUMNS, (*row, (row[0], row[1]) in revalued), strict=True))
            for row in conn.execute(_REPORT, params)]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def reviews(conn: psycopg.Connection, *, warehouse: str | None, limit: int
            ) -> list[dict[str, Any]]:
    """What a person should look at, newest first: receipts without a cost, issues beyond the
    valued quantity, moves the valuation refused."""
    rows = conn.execute(
        "SELECT move_seq, warehouse, sku, quantity, unit_cost, reason, created_at "
        "FROM valuation_reviews WHERE (%s::text IS NULL OR warehouse = %s) "
        "ORDER BY move_seq DESC LIMIT %s", (warehouse, warehouse, limit)).fetchall()
    names = ("move_seq", "warehouse", "sku", "quantity", "unit_cost", "reason", "created_at")
    return [dict(zip(names, r, strict=True)) for r in rows]
