"""`cloud_hub valuation check`: the valuation equals the sum of the open cost layers.

Rule kept here: per warehouse/SKU, the value entries add up to the open layers' value, and
their quantities to the layers' quantity less what is owed (shortfalls). Any difference is
listed; none means every report (built from the entries) agrees with the layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import psycopg

_DIFFERENCES = """
WITH e AS (SELECT warehouse, sku, sum(quantity) AS q, sum(value) AS v
             FROM valuation_entries GROUP BY 1, 2),
     l AS (SELECT warehouse, sku, sum(quantity) AS q, sum(value) AS v
             FROM valuation_layers GROUP BY 1, 2),
     s AS (SELECT warehouse, sku, sum(quantity) AS q FROM valuation_shortfalls GROUP BY 1, 2),
     b AS (SELECT warehouse, sku, coalesce(e.q, 0) AS eq, coalesce(e.v, 0) AS ev,
                  coalesce(l.q, 0) - coalesce(s.q, 0) AS lq, coalesce(l.v, 0) AS lv
             FROM e FULL JOIN l USING (warehouse, sku) LEFT JOIN s USING (warehouse, sku))
SELECT warehouse, sku, eq, ev, lq, lv, (SELECT count(*) FROM b)
  FROM b WHERE eq <> lq OR ev <> lv ORDER BY warehouse, sku
"""


@dataclass(frozen=True)
class Difference:
    warehouse: str
    sku: str
    entries_quantity: Decimal
    entries_value: Decimal
    layers_quantity: Decimal
    layers_value: Decimal


def check(conn: psycopg.Connection) -> tuple[int, list[Difference]]:
    """(warehouse/SKU pairs checked, the ones that differ)."""
    with conn.transaction():  # one snapshot: the projection may be committing meanwhile
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = conn.execute(_DIFFERENCES).fetchall()
        if not rows:
            row = conn.execute("SELECT count(*) FROM (SELECT DISTINCT warehouse, sku "
                               "FROM valuation_entries) x").fetchone()
            return (int(row[0]) if row else 0), []
    return int(rows[0][6]), [Difference(*r[:6]) for r in rows]
