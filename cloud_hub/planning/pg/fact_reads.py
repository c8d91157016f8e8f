"""Rule facts read from the ledger: per SKU × warehouse, per lot on hand, per recent count;
and from the device readings: per zone, its temperature and humidity of the last 15 minutes.

Rule kept here: this module supplies every name in `facts.FACTS` and no other (a test checks
both ways); a fact the ledger cannot tell (no unit cost, no policy yet) is left out, never
guessed, so a rule using it is skipped for that subject instead of firing on a made-up value.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cloud_hub.devices.pg.readings import ZoneWindow, zone_windows
from cloud_hub.planning.facts import Subject, subjects_of
from cloud_hub.planning.rules import Fact
from cloud_hub.work.pg import lots

COUNT_DAYS = 7  # counts older than this are history, not news

_PAIRS = "WITH p(warehouse, sku) AS (SELECT * FROM unnest(%(whs)s::text[], %(skus)s::text[]))"
_SKU_SQL = _PAIRS + """
SELECT p.warehouse, p.sku, coalesce(b.on_hand, 0)::float8 AS on_hand,
       coalesce(b.available, 0)::float8 AS available,
       s.safety_stock, s.reorder_point, s.max_level, s.demand_daily, s.abc_class, s.xyz_class,
       (SELECT coalesce(sum(l.reserved - l.shipped), 0)::float8 FROM work_order_lines l
         WHERE l.warehouse = p.warehouse AND l.sku = p.sku AND l.open) AS allocated,
       coalesce((SELECT ps.unit_cost FROM planning_settings ps
                  WHERE ps.warehouse = p.warehouse AND ps.sku = p.sku),
                (SELECT k.unit_value FROM skus k WHERE k.sku = p.sku))::float8 AS unit_cost,
       {idle}
  FROM p
  LEFT JOIN LATERAL (SELECT sum(quantity) AS on_hand,
                            sum(quantity) FILTER (WHERE status = 'available') AS available
                       FROM balances WHERE warehouse = p.warehouse AND sku = p.sku) b ON true
  LEFT JOIN planning_status s ON s.warehouse = p.warehouse AND s.sku = p.sku"""
# Two index probes per SKU into the moves (moves_sku): only when a rule asks for idle_days.
_IDLE = """(SELECT max(m.occurred_at) FROM moves m WHERE m.sku = p.sku
           AND m.warehouse = p.warehouse AND m.reason IN ('pick', 'ship')) AS last_out,
       (SELECT min(m.occurred_at) FROM moves m WHERE m.sku = p.sku
           AND m.warehouse = p.warehouse) AS first_move"""
_NO_IDLE = "NULL::timestamptz AS last_out, NULL::timestamptz AS first_move"
_LOT_SQL = _PAIRS + """
SELECT b.warehouse, b.sku, b.lot, sum(b.quantity)::float8 AS qty
  FROM balances b JOIN p USING (warehouse, sku) WHERE b.lot <> ''
 GROUP BY 1, 2, 3 HAVING sum(b.quantity) > 0"""
_COUNT_SQL = _PAIRS + """
SELECT DISTINCT ON (c.warehouse, c.location, c.sku, c.lot)
       c.task_id, c.step_id, c.warehouse, c.sku, c.expected::float8 AS expected,
       c.counted::float8 AS counted, c.variance::float8 AS variance
  FROM work_counts c JOIN p USING (warehouse, sku)
 WHERE c.counted IS NOT NULL AND c.expected IS NOT NULL AND c.counted_at >= %(since)s
 ORDER BY c.warehouse, c.location, c.sku, c.lot, c.counted_at DESC"""


def facts_for(conn: psycopg.Connection, pairs: Iterable[tuple[str, str]], today: date,
              names: Collection[str] | None = None, *, warehouses: Iterable[str] = (),
              now: datetime | None = None) -> list[Fact]:
    """Facts per (warehouse, sku): stock, orders, cost, idleness and the stored policy; per
    lot on hand with a known expiry: days to expiry; per count of the last days: variance;
    per zone of the pairs' warehouses and of `warehouses`: readings of the 15 minutes up to
    `now` (None: the clock's now).
    With `names` (what the rules use), subjects and costly facts no rule names are not read."""
    pairs = sorted(set(pairs))
    subjects = set(Subject) if names is None else subjects_of(names)
    facts: list[Fact] = []
    if Subject.ZONE in subjects:
        zone_whs = {p[0] for p in pairs} | set(warehouses)
        facts += _zone_facts(zone_windows(conn, zone_whs, now or datetime.now(UTC)))
    if not pairs:
        return facts
    params = {"whs": [p[0] for p in pairs], "skus": [p[1] for p in pairs],
              "since": datetime.combine(today - timedelta(days=COUNT_DAYS), time(), UTC)}
    idle = _IDLE if names is None or "idle_days" in names else _NO_IDLE
    with conn.cursor(row_factory=dict_row) as cur:
        if Subject.SKU in subjects:
            rows = cur.execute(_SKU_SQL.format(idle=idle), params).fetchall()
            facts += [_sku_fact(r, today) for r in rows]
        if Subject.LOT in subjects:
            on_hand = cur.execute(_LOT_SQL, params).fetchall()
            expiry = lots.expiries(conn, {(r["sku"], r["lot"]) for r in on_hand})
            facts += [Fact(f"lot:{r['sku']}/{r['lot']}", r["warehouse"],
                           {"days_to_expiry": (day - today).days, "lot_quantity": r["qty"]},
                           sku=r["sku"])
                      for r in on_hand if (day := expiry.get((r["sku"], r["lot"]))) is not None]
        if Subject.COUNT in subjects:
            facts += [_count_fact(r) for r in cur.execute(_COUNT_SQL, params).fetchall()]
    return facts


def _sku_fact(r: dict[str, Any], today: date) -> Fact:
    values: dict[str, float | str] = {"on_hand": r["on_hand"], "available": r["available"],
                                      "allocated": r["allocated"]}
    if r["unit_cost"] is not None:
        values |= {"unit_cost": r["unit_cost"], "stock_value": r["on_hand"] * r["unit_cost"]}
    since = r["last_out"] or r["first_move"]
    if since is not None:
        values["idle_days"] = (today - since.date()).days
    if r["safety_stock"] is not None:
        demand = float(r["demand_daily"])
        values |= {"safety_stock": r["safety_stock"], "reorder_point": r["reorder_point"],
                   "max_level": r["max_level"], "demand_daily": demand,
                   "days_of_supply": r["available"] / demand if demand > 0 else 1e9,
                   "abc_class": r["abc_class"] or "C", "xyz_class": r["xyz_class"] or "Z"}
    return Fact(f"sku:{r['sku']}", r["warehouse"], values, sku=r["sku"])


def _count_fact(r: dict[str, Any]) -> Fact:
    expected, variance = r["expected"], r["variance"]
    pct = variance / expected * 100 if expected else (0.0 if variance == 0 else
                                                        100.0 if variance > 0 else -100.0)
    return Fact(f"count:{r['task_id']}/{r['step_id']}", r["warehouse"],
                {"count_variance": variance, "count_variance_pct": pct,
                 "counted": r["counted"], "expected": expected}, sku=r["sku"], once=True)


def _zone_facts(windows: Iterable[ZoneWindow]) -> list[Fact]:
    values: dict[tuple[str, str], dict[str, float | str]] = {}
    for w in windows:
        zone = values.setdefault((w.warehouse, w.zone), {})
        if w.kind == "temperature":
            zone |= {"temperature_now": w.latest, "temperature_min_15m": w.minimum,
                     "temperature_max_15m": w.maximum, "temperature_minutes": w.minutes}
        elif w.kind == "humidity":
            zone |= {"humidity_now": w.latest, "humidity_max_15m": w.maximum}
    return [Fact(f"zone:{zone}", wh, v) for (wh, zone), v in values.items()]
