"""Inventory policy maths: service level → z, safety stock, reorder point, EOQ and min/max
order quantities rounded to pack size and minimum order, over arrays of SKU × warehouse rows.

Rule kept here: stock already coming (on order, in transit) counts towards the inventory
position, so nothing is ordered twice; an order quantity is never below the minimum order
quantity and always a whole number of packs.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from statistics import NormalDist

import numpy as np

from cloud_hub.planning.forecast import Forecasts, Model

_SEASONAL_MODELS = (Model.SEASONAL, Model.HOLT_WINTERS)


def z_for_service_level(level: float | np.ndarray) -> np.ndarray:
    """The standard-normal quantile for a cycle service level in (0, 1), e.g. 0.95 → 1.645."""
    arr = np.atleast_1d(np.asarray(level, dtype=float))
    if ((arr <= 0) | (arr >= 1) | ~np.isfinite(arr)).any():
        raise ValueError("service level must be strictly between 0 and 1 (e.g. 0.95)")
    uniq, inverse = np.unique(arr, return_inverse=True)
    z = np.array([NormalDist().inv_cdf(float(p)) for p in uniq])
    return z[inverse].reshape(np.shape(level))


def safety_stock(z: np.ndarray | float, sigma_daily: np.ndarray | float,
                 lead_time_days: np.ndarray | float, demand_daily: np.ndarray | float = 0.0,
                 lead_time_sd_days: np.ndarray | float = 0.0) -> np.ndarray:
    """z·sqrt(L·σd² + d²·σL²): z·σd·√L when the lead time is fixed (σL = 0)."""
    var = (np.asarray(lead_time_days, dtype=float) * np.square(sigma_daily)
           + np.square(demand_daily) * np.square(lead_time_sd_days))
    return np.asarray(z, dtype=float) * np.sqrt(np.maximum(var, 0.0))


def eoq(annual_demand: np.ndarray | float, order_cost: np.ndarray | float,
        holding_cost_per_unit_year: np.ndarray | float) -> np.ndarray:
    """Economic order quantity sqrt(2·D·S / H); 0 where there is no demand or no holding cost."""
    d = np.asarray(annual_demand, dtype=float)
    h = np.asarray(holding_cost_per_unit_year, dtype=float)
    num = 2.0 * d * np.asarray(order_cost, dtype=float)
    ratio = np.divide(num, h, out=np.zeros(np.broadcast(num, h).shape), where=h > 0)
    return np.sqrt(np.maximum(ratio, 0.0))


def round_order_quantity(quantity: np.ndarray | float, pack_size: np.ndarray | float = 1.0,
                         min_order: np.ndarray | float = 0.0) -> np.ndarray:
    """Up to the minimum order quantity, then up to a whole number of packs; 0 stays 0."""
    q = np.asarray(quantity, dtype=float)
    pack = np.maximum(np.asarray(pack_size, dtype=float), 1e-9)
    q = np.where(q > 0, np.maximum(q, min_order), 0.0)
    # A tiny tolerance keeps 24.000000001 from becoming two packs of 12 plus one.
    return np.ceil(q / pack - 1e-9) * pack


def inventory_position(on_hand: np.ndarray, on_order: np.ndarray | float = 0.0,
                       in_transit: np.ndarray | float = 0.0,
                       backorders: np.ndarray | float = 0.0) -> np.ndarray:
    return (np.asarray(on_hand, dtype=float) + on_order + in_transit
            - np.asarray(backorders, dtype=float))


class OrderMethod(StrEnum):
    EOQ = "eoq"  # (s, Q): order a multiple of EOQ once the position reaches s
    MIN_MAX = "min_max"  # (s, S): order up to max = reorder point + max_cover_days of demand


@dataclass(frozen=True)
class PolicyInputs:
    """Per-row parameters (arrays aligned with the forecasts, or scalars for all rows)."""

    lead_time_days: np.ndarray | float = 7.0
    lead_time_sd_days: np.ndarray | float = 0.0  # 0 = fixed / unknown variability
    service_level: np.ndarray | float = 0.95
    review_days: np.ndarray | float = 0.0
    unit_cost: np.ndarray | float = 1.0
    order_cost: np.ndarray | float = 50.0
    holding_rate: np.ndarray | float = 0.25  # per year, as a fraction of unit cost
    pack_size: np.ndarray | float = 1.0
    min_order: np.ndarray | float = 0.0
    method: OrderMethod = OrderMethod.EOQ
    max_cover_days: np.ndarray | float = 30.0
    seasonal_adjustment: bool = True
    # A planner's own min (reorder point) and max (order-up-to level); NaN: computed.
    min_level: np.ndarray | float = float("nan")
    max_level: np.ndarray | float = float("nan")


@dataclass(frozen=True)
class Policies:
    """The computed policy per row."""

    demand_daily: np.ndarray
    lead_time_demand: np.ndarray
    sigma_daily: np.ndarray
    seasonal_factor: np.ndarray
    safety_stock: np.ndarray
    reorder_point: np.ndarray
    order_quantity: np.ndarray  # the lot size (EOQ) or max level (min/max), before rounding
    max_level: np.ndarray


def _lead_time_path_mean(fc: Forecasts, protection: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the daily forecasts over each row's protection days (fractional last day)."""
    horizon = int(np.ceil(np.max(protection, initial=0.0)))
    if horizon == 0:
        return np.zeros(len(fc)), np.zeros(len(fc))
    path = fc.path(horizon)
    cum = np.vstack([np.zeros(len(fc)), np.cumsum(path, axis=0)])
    whole = np.floor(protection).astype(np.int64)
    frac = protection - whole
    lower = np.take_along_axis(cum, whole[None, :], axis=0)[0]
    upper = np.take_along_axis(cum, np.minimum(whole + 1, horizon)[None, :], axis=0)[0]
    season_mean = np.maximum(fc.level + fc.season.mean(axis=0), 0.0)
    return lower + frac * (upper - lower), season_mean


def compute_policies(fc: Forecasts, p: PolicyInputs) -> Policies:
    """Safety stock, reorder point and order quantity for every forecast row."""
    n = len(fc)
    lead = np.broadcast_to(np.asarray(p.lead_time_days, dtype=float), (n,))
    if (lead < 0).any():
        raise ValueError("lead time must not be negative")
    protection = lead + np.broadcast_to(np.asarray(p.review_days, dtype=float), (n,))
    ltd, season_mean = _lead_time_path_mean(fc, protection)
    daily = np.divide(ltd, protection, out=fc.daily_rate().copy(), where=protection > 0)
    z = z_for_service_level(np.broadcast_to(np.asarray(p.service_level, dtype=float), (n,)))
    sigma = fc.rmse
    ss = safety_stock(z, sigma, protection, daily, p.lead_time_sd_days)
    factor = np.ones(n)
    if p.seasonal_adjustment:
        # Demand over the coming lead time relative to an average day of the season: a
        # peak ahead needs more buffer, a trough less (only for seasonal models).
        seasonal = np.isin(fc.model, [int(m) for m in _SEASONAL_MODELS])
        ratio = np.divide(daily, season_mean, out=np.ones(n), where=season_mean > 0)
        factor = np.where(seasonal, np.clip(ratio, 0.5, 2.0), 1.0)
    ss = ss * factor
    rop = ltd + ss
    unit_cost = np.asarray(p.unit_cost, dtype=float)
    lot = eoq(daily * 365.0, p.order_cost, unit_cost * np.asarray(p.holding_rate, dtype=float))
    max_level = rop + np.asarray(p.max_cover_days, dtype=float) * daily
    if p.method is OrderMethod.EOQ:
        max_level = rop + lot
    own_min = np.broadcast_to(np.asarray(p.min_level, dtype=float), (n,))
    own_max = np.broadcast_to(np.asarray(p.max_level, dtype=float), (n,))
    rop = np.where(np.isnan(own_min), rop, own_min)
    max_level = np.where(np.isnan(own_max), np.maximum(max_level, rop), own_max)
    return Policies(daily, ltd, sigma, factor, ss, rop, np.broadcast_to(lot, (n,)).copy(),
                    np.broadcast_to(max_level, (n,)).copy())


def order_quantities(pol: Policies, position: np.ndarray, p: PolicyInputs) -> np.ndarray:
    """What to order now for each row (0 where the position is above the reorder point)."""
    need = position <= pol.reorder_point
    own_max = np.broadcast_to(np.isfinite(np.asarray(p.max_level, dtype=float)), position.shape)
    if p.method is OrderMethod.MIN_MAX:
        raw = pol.max_level - position
    else:
        lot = pol.order_quantity
        safe = np.where(lot > 0, lot, 1.0)
        # Enough whole lots to lift the position above the reorder point; without a lot
        # size (no holding cost given) just the shortfall.
        raw = np.where(lot > 0, (np.floor((pol.reorder_point - position) / safe) + 1.0) * safe,
                       pol.reorder_point - position)
    raw = np.where(own_max, pol.max_level - position, raw)  # a planner's max: order up to it
    raw = np.where(need & ((pol.demand_daily > 0) | own_max), np.maximum(raw, 0.0), 0.0)
    return round_order_quantity(raw, p.pack_size, p.min_order)
