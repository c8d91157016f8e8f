"""The planning parameters of each SKU × warehouse, as planning uses them: what a planner set
(planning_settings), else the term of the SKU's supplier (supplier_skus), else the default.

Rule kept here: one query resolves every series at once (a planning run of 100,000 series is one
round trip); the supplier is the one the planner named, else the SKU's preferred supplier, and
its terms (lead time and its deviation, MOQ, pack multiple, price) apply only when it offers
the SKU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg

DEFAULTS: dict[str, float | str] = {
    "supplier": "", "lead_time_days": 7.0, "lead_time_sd_days": 0.0, "service_level": 0.95,
    "review_days": 0.0, "unit_cost": 0.0, "order_cost": 50.0, "holding_rate": 0.25,
    "pack_size": 1.0, "min_order": 0.0, "min_qty": float("nan"), "max_qty": float("nan"),
}
# Where each value came from, for a planner asking why a SKU plans as it does.
SOURCES = ("setting", "supplier", "default")

_RESOLVE = """
WITH p(sku, warehouse, i) AS (SELECT * FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY)
SELECT p.i, coalesce(ps.supplier, pref.supplier, '') AS supplier,
       ps.lead_time_days, t.lead_time_days, ps.lead_time_sd_days, t.lead_time_sd_days,
       ps.service_level, ps.review_days,
       ps.unit_cost::float8, t.price::float8, k.unit_value::float8,
       ps.order_cost::float8, ps.holding_rate,
       ps.pack_size::float8, t.pack_multiple::float8, ps.min_order::float8, t.moq::float8,
       ps.min_qty::float8, ps.max_qty::float8
  FROM p
  LEFT JOIN planning_settings ps ON ps.warehouse = p.warehouse AND ps.sku = p.sku
  LEFT JOIN supplier_skus pref ON pref.sku = p.sku AND pref.preferred
  LEFT JOIN supplier_skus t ON t.sku = p.sku AND t.supplier = coalesce(ps.supplier, pref.supplier)
  LEFT JOIN skus k ON k.sku = p.sku
 ORDER BY p.i"""


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def resolve_rows(conn: psycopg.Connection, keys: Sequence[tuple[str, str]]
                 ) -> list[dict[str, tuple[Any, str]]]:
    """Per (sku, warehouse) key: each parameter's value and where it came from."""
    rows = conn.execute(_RESOLVE, ([k[0] for k in keys], [k[1] for k in keys])).fetchall()
    out = []
    for (_, supplier, lt_s, lt_t, sd_s, sd_t, sl, review, cost_s, cost_t, value, order_cost,
         holding, pack_s, pack_t, moq_s, moq_t, min_qty, max_qty) in rows:
        pairs = {
            "supplier": (supplier or None, None), "lead_time_days": (lt_s, lt_t),
            "lead_time_sd_days": (sd_s, sd_t), "service_level": (sl, None),
            "review_days": (review, None), "unit_cost": (cost_s, _first(cost_t, value)),
            "order_cost": (order_cost, None), "holding_rate": (holding, None),
            "pack_size": (pack_s, pack_t), "min_order": (moq_s, moq_t),
            "min_qty": (min_qty, None), "max_qty": (max_qty, None)}
        row: dict[str, tuple[Any, str]] = {}
        for name, (own, term) in pairs.items():
            if own is not None:
                row[name] = (own, "setting")
            elif term is not None:
                row[name] = (term, "supplier")
            else:
                row[name] = (DEFAULTS[name], "default")
        out.append(row)
    return out


def settings_for(conn: psycopg.Connection, keys: Sequence[tuple[str, str]]
                 ) -> dict[str, np.ndarray]:
    """Per-series parameter arrays aligned with `keys` ((sku, warehouse) pairs)."""
    rows = resolve_rows(conn, keys)
    return {name: np.array([r[name][0] for r in rows],
                           dtype=object if name == "supplier" else float)
            for name in DEFAULTS}
