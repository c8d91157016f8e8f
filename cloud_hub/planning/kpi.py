"""Inventory KPIs over a period, overall or per group (warehouse, ABC class): turnover, days of
supply, stock-out rate, fill rate, dead-stock ratio, average inventory value, location accuracy.

Rule kept here: every ratio with an empty denominator is None (not 0, not infinity), so a
dashboard shows "no data" instead of a misleading number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class GroupBy(StrEnum):
    ALL = "all"
    WAREHOUSE = "warehouse"
    CLASS = "class"


@dataclass(frozen=True)
class KpiInputs:
    """Daily figures over the period for each item row (SKU × warehouse).

    on_hand, outbound, requested: (days, rows); unit_cost, warehouse, sku_class, dead: (rows,).
    `requested` is what customers asked for (fill rate; None when no order data: no fill
    rate, and demand for the stock-out rate is read from `outbound`); `dead` flags dead stock.
    """

    on_hand: np.ndarray
    outbound: np.ndarray
    requested: np.ndarray | None
    unit_cost: np.ndarray
    warehouse: np.ndarray
    sku_class: np.ndarray
    dead: np.ndarray


@dataclass(frozen=True)
class CycleCounts:
    """One entry per counted unit or bin line: was it where the ledger said it was?"""

    warehouse: np.ndarray
    sku_class: np.ndarray
    location_ok: np.ndarray


@dataclass(frozen=True)
class Kpis:
    days: int
    average_inventory_value: float | None
    cost_of_goods_out: float
    inventory_turnover: float | None  # over the period
    annualised_turnover: float | None
    days_of_supply: float | None
    stock_out_rate: float | None  # share of item-days with nothing on hand, items with demand
    fill_rate: float | None  # units shipped / units requested
    dead_stock_ratio: float | None  # dead value / inventory value at period end
    location_accuracy: float | None
    counted: int


def _ratio(num: float, den: float) -> float | None:
    return None if den <= 0 else round(num / den, 6)


def _kpis(inp: KpiInputs, rows: np.ndarray, count_ok: np.ndarray) -> Kpis:
    days = inp.on_hand.shape[0]
    cost = inp.unit_cost[rows]
    stock = inp.on_hand[:, rows]
    value_per_day = np.maximum(stock, 0.0) @ cost
    avg_value = float(value_per_day.mean()) if days else 0.0
    cogs = float(inp.outbound[:, rows].sum(axis=0) @ cost)
    turnover = _ratio(cogs, avg_value)
    annual = None if turnover is None or days == 0 else round(turnover * 365.0 / days, 6)
    dos = _ratio(avg_value, cogs / days) if days and cogs > 0 else None
    demand = (inp.requested if inp.requested is not None else inp.outbound)[:, rows]
    active = demand.sum(axis=0) > 0
    item_days = float(days * active.sum())
    outs = float((stock[:, active] <= 0).sum())
    served = float(np.minimum(inp.outbound[:, rows], demand).sum())
    asked = float(demand.sum()) if inp.requested is not None else 0.0
    end_value = np.maximum(stock[-1], 0.0) * cost if days else np.zeros(rows.size)
    dead_value = float(end_value[inp.dead[rows].astype(bool)].sum())
    return Kpis(
        days=days,
        average_inventory_value=round(avg_value, 4) if days else None,
        cost_of_goods_out=round(cogs, 4),
        inventory_turnover=turnover,
        annualised_turnover=annual,
        days_of_supply=dos,
        stock_out_rate=_ratio(outs, item_days),
        fill_rate=_ratio(served, asked),
        dead_stock_ratio=_ratio(dead_value, float(end_value.sum())),
        location_accuracy=_ratio(float(count_ok.sum()), float(count_ok.size)),
        counted=int(count_ok.size),
    )


def compute_kpis(inp: KpiInputs, counts: CycleCounts | None = None,
                 by: GroupBy = GroupBy.ALL) -> dict[str, Kpis]:
    """KPIs per group label ("all" for the whole set)."""
    _check(inp)
    ok = np.asarray(counts.location_ok, dtype=bool) if counts else np.zeros(0, dtype=bool)
    if by is GroupBy.ALL:
        return {"all": _kpis(inp, np.arange(inp.unit_cost.size), ok)}
    labels = np.asarray(inp.warehouse if by is GroupBy.WAREHOUSE else inp.sku_class).astype(str)
    count_labels = np.zeros(0, dtype=str)
    if counts is not None:
        count_labels = np.asarray(counts.warehouse if by is GroupBy.WAREHOUSE
                                  else counts.sku_class).astype(str)
    out: dict[str, Kpis] = {}
    for label in sorted(set(labels.tolist()) | set(count_labels.tolist())):
        out[label] = _kpis(inp, np.flatnonzero(labels == label), ok[count_labels == label])
    return out


def _check(inp: KpiInputs) -> None:
    shape = inp.on_hand.shape
    req_shape = shape if inp.requested is None else inp.requested.shape
    if inp.outbound.shape != shape or req_shape != shape or len(shape) != 2:
        raise ValueError("on_hand, outbound and requested must be (days, rows) of one shape")
    n = shape[1]
    for name in ("unit_cost", "warehouse", "sku_class", "dead"):
        if np.asarray(getattr(inp, name)).shape != (n,):
            raise ValueError(f"{name} must have one entry per row ({n})")
