"""Planning against the ledger: read demand, stock and settings, run the pure core, store the
results; build rule facts for touched SKUs and act on them.

Rule kept here: the core decides, this module only moves rows in and out. `today` and `now` are
passed in (the scheduler or request gives them), never read from the clock here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import numpy as np
import psycopg

from cloud_hub.planning.classify import abc_classes, demand_cv, xyz_classes
from cloud_hub.planning.forecast import ForecastConfig, Model, Pattern, forecast
from cloud_hub.planning.pg import demand_daily, inbound, store
from cloud_hub.planning.pg.actions import ActionSinks, DispatchReport, dispatch
from cloud_hub.planning.pg.fact_reads import facts_for
from cloud_hub.planning.pg.history import demand_history
from cloud_hub.planning.pg.settings import DEFAULTS, settings_for
from cloud_hub.planning.policy import PolicyInputs, round_order_quantity
from cloud_hub.planning.replenish import StockArrays, Suggestion, SuggestionKind, plan
from cloud_hub.planning.rules import Action, Evaluation, Fact, Rule, evaluate

__all__ = ["DEFAULTS", "facts_for", "on_moves_applied", "run_planning", "run_rules",
           "settings_for", "suggest_for_action"]

@dataclass(frozen=True)
class PlanningRun:
    series: int
    suggestions: tuple[Suggestion, ...]


def on_hand_by_series(conn: psycopg.Connection, warehouse: str | None = None
                      ) -> dict[tuple[str, str], tuple[float, float]]:
    """(sku, warehouse) → (on hand in any status, available), outside transit locations."""
    rows = conn.execute(
        "SELECT sku, warehouse, sum(quantity)::float8, "
        "coalesce(sum(quantity) FILTER (WHERE status = 'available'), 0)::float8 FROM balances "
        "WHERE (%s::text IS NULL OR warehouse = %s) "
        # stock in transit is counted as in transit (planning/pg/inbound.py), not on hand
        "AND location NOT IN (SELECT code FROM locations WHERE kind = 'transit') "
        "GROUP BY 1, 2", (warehouse, warehouse))
    return {(sku, wh): (total, avail) for sku, wh, total, avail in rows}


def run_planning(conn: psycopg.Connection, today: date, now: datetime, *, days: int = 365,
                 warehouse: str | None = None, cfg: ForecastConfig | None = None,
                 source: Literal["aggregate", "moves"] = "aggregate") -> PlanningRun:
    """Forecast every SKU × warehouse with demand or stock, store policies and suggestions.
    Demand comes from the `demand_daily` aggregate, brought up to date first; `source="moves"`
    reads the raw moves instead (slow at scale: the reference the aggregate is checked against).
    """
    stock = on_hand_by_series(conn, warehouse)
    if source == "aggregate":
        demand_daily.refresh(conn)
        hist = demand_daily.read_history(conn, today, days, warehouse, keys=tuple(sorted(stock)))
    else:
        hist = demand_history(conn, today, days, warehouse, keys=tuple(sorted(stock)))
    if not hist.keys:
        return PlanningRun(0, ())
    fc = forecast(hist.quantities, hist.keys, cfg)
    s = settings_for(conn, hist.keys)
    inputs = PolicyInputs(
        lead_time_days=s["lead_time_days"], lead_time_sd_days=s["lead_time_sd_days"],
        service_level=s["service_level"], review_days=s["review_days"],
        unit_cost=s["unit_cost"], order_cost=s["order_cost"], holding_rate=s["holding_rate"],
        pack_size=s["pack_size"], min_order=s["min_order"], min_level=s["min_qty"],
        max_level=s["max_qty"])
    on_hand = np.array([stock.get(k, (0.0, 0.0))[1] for k in hist.keys])
    coming = StockArrays(on_hand, on_order=inbound.on_order(conn, hist.keys, warehouse),
                         in_transit=inbound.in_transit(conn, hist.keys, warehouse))
    result = plan(fc, inputs, coming, today, suppliers=list(s["supplier"]))
    abc = abc_classes(hist.quantities.sum(axis=0) * s["unit_cost"])
    xyz = xyz_classes(demand_cv(hist.quantities))
    pol = result.policies
    store.save_status(conn, (
        (wh, sku, Pattern(fc.pattern[i]).name.lower(), Model(fc.model[i]).name.lower(),
         float(pol.demand_daily[i]), float(fc.mae[i]), float(fc.bias[i]), float(fc.rmse[i]),
         float(pol.safety_stock[i]), float(pol.reorder_point[i]), float(pol.max_level[i]),
         str(abc[i]), str(xyz[i]), now)
        for i, (sku, wh) in enumerate(hist.keys)))
    saved = store.save_suggestions(conn, result.suggestions)
    # a PO or transfer placed by hand covers what an open suggestion still proposes
    coming_in = np.asarray(coming.on_order) + np.asarray(coming.in_transit) > 0
    store.withdraw_unneeded(conn, [k for k, c in zip(hist.keys, coming_in, strict=True) if c],
                            [x.id for x in saved if x.id], now)
    return PlanningRun(len(hist.keys), tuple(saved))


def suggest_for_action(conn: psycopg.Connection, action: Action, now: datetime) -> str:
    """A purchase suggestion up to the stored max level, for a rule's suggest_replenishment."""
    fact, sku = action.fact, action.fact.sku
    if sku is None or "max_level" not in fact.values:
        return "skipped: no computed policy for this SKU yet"
    s = settings_for(conn, [(sku, fact.warehouse)])
    # what is on order or in transit counts, as in a planning run: nothing is asked twice
    on_hand = float(fact.values["available"]) + inbound.on_order_one(conn, sku, fact.warehouse)
    raw = float(fact.values["max_level"]) - on_hand
    qty = float(round_order_quantity(np.array([raw]), s["pack_size"][0], s["min_order"][0])[0])
    if qty <= 0:
        return "skipped: already at max level"
    saved = store.save_suggestions(conn, [Suggestion(
        kind=SuggestionKind.PURCHASE, sku=sku, warehouse=fact.warehouse, quantity=qty,
        suggested_quantity=qty, source=str(s["supplier"][0]), created_on=now.date(),
        reason=f"rule '{action.rule}': {action.message}",
        inventory_position=on_hand, reorder_point=float(fact.values["reorder_point"]),
        safety_stock=float(fact.values["safety_stock"]), unit_cost=float(s["unit_cost"][0]))])
    return saved[0].id or ""


def run_rules(conn: psycopg.Connection, rules: Sequence[Rule], facts: Sequence[Fact],
              sinks: ActionSinks, now: datetime) -> tuple[Evaluation, DispatchReport]:
    """Evaluate (pure), record rule failures, then run every action through its adapter."""
    result = evaluate(rules, facts)
    store.record_failures(conn, result.failures, now)
    return result, dispatch(result.actions, sinks, now)


def on_moves_applied(conn: psycopg.Connection, touched: Iterable[tuple[str, str]],
                     rules: Sequence[Rule], sinks: ActionSinks, now: datetime,
                     warehouses: Iterable[str] = ()) -> tuple[Evaluation, DispatchReport]:
    """The hook for the ingest path: `touched` is (warehouse, sku) of the moves just applied,
    `warehouses` those whose device readings were just stored (their zones are evaluated, as
    are the touched pairs' warehouses'). Only the facts some enabled rule names are read."""
    names = {n for rule in rules if rule.enabled for n in rule.fact_names}
    facts = facts_for(conn, touched, now.date(), names, warehouses=warehouses, now=now)
    return run_rules(conn, rules, facts, sinks, now)


def rule_subjects(conn: psycopg.Connection, warehouse: str | None = None
                  ) -> list[tuple[str, str]]:
    """(warehouse, sku) of every SKU with stock or a planning status (of `warehouse`; None:
    of all): what a sweep of the rules evaluates."""
    return [(wh, sku) for wh, sku in conn.execute(
        "SELECT warehouse, sku FROM balances WHERE (%s::text IS NULL OR warehouse = %s) "
        "UNION SELECT warehouse, sku FROM planning_status "
        "WHERE (%s::text IS NULL OR warehouse = %s)", (warehouse, warehouse, warehouse, warehouse))]
