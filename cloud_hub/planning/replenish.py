"""Replenishment suggestions: which SKU × warehouse rows need stock, from where, how much, and
why (projected stock-out date, days of supply); the suggestion life cycle.

Rule kept here: a suggestion is only proposed when the inventory position (on hand + on order
+ in transit − backorders) is at or below the reorder point; a warehouse with stock above its
own max level can give it by transfer before anything is bought. A supervisor's decision
moves a suggestion proposed → edited* → accepted | rejected, and the last two are final.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

import numpy as np

from cloud_hub.planning.forecast import Forecasts
from cloud_hub.planning.policy import (
    Policies,
    PolicyInputs,
    compute_policies,
    inventory_position,
    order_quantities,
)


class SuggestionKind(StrEnum):
    PURCHASE = "purchase"  # order from the supplier
    TRANSFER = "transfer"  # from another warehouse
    PICK_FACE = "pick_face"  # from a reserve location to the pick face, same warehouse


class SuggestionState(StrEnum):
    PROPOSED = "proposed"
    EDITED = "edited"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class SuggestionStateError(ValueError):
    """A decision that the suggestion's state does not allow."""


@dataclass(frozen=True)
class Suggestion:
    kind: SuggestionKind
    sku: str
    warehouse: str  # where the stock is needed
    quantity: float  # what will be ordered (a supervisor may edit it)
    suggested_quantity: float  # what the planner computed
    source: str  # supplier id, donor warehouse, or reserve location
    reason: str
    created_on: date
    to_location: str | None = None
    days_of_supply: float | None = None
    stockout_date: date | None = None
    inventory_position: float = 0.0
    reorder_point: float = 0.0
    safety_stock: float = 0.0
    unit_cost: float = 0.0
    state: SuggestionState = SuggestionState.PROPOSED
    note: str = ""
    id: str | None = None


def accept(s: Suggestion) -> Suggestion:
    _check_open(s, "accept")
    return replace(s, state=SuggestionState.ACCEPTED)


def reject(s: Suggestion, note: str = "") -> Suggestion:
    _check_open(s, "reject")
    return replace(s, state=SuggestionState.REJECTED, note=note or s.note)


def edit(s: Suggestion, quantity: float, note: str = "") -> Suggestion:
    _check_open(s, "edit")
    if not np.isfinite(quantity) or quantity <= 0:
        raise SuggestionStateError(f"edited quantity must be a positive number, not {quantity!r}")
    return replace(s, state=SuggestionState.EDITED, quantity=float(quantity), note=note or s.note)


def _check_open(s: Suggestion, verb: str) -> None:
    if s.state in (SuggestionState.ACCEPTED, SuggestionState.REJECTED):
        raise SuggestionStateError(f"cannot {verb} a suggestion that is already {s.state}")


@dataclass(frozen=True)
class StockArrays:
    """Quantities per forecast row (arrays aligned with Forecasts.keys)."""

    on_hand: np.ndarray
    on_order: np.ndarray | float = 0.0
    in_transit: np.ndarray | float = 0.0
    backorders: np.ndarray | float = 0.0


@dataclass(frozen=True)
class Plan:
    policies: Policies
    position: np.ndarray
    days_of_supply: np.ndarray
    suggestions: tuple[Suggestion, ...]


def days_until_stockout(fc: Forecasts, available: np.ndarray, rows: np.ndarray,
                        horizon: int = 120) -> np.ndarray:
    """Days until the forecast demand uses up `available` (per row in `rows`; inf = never)."""
    avail = available[rows]
    if rows.size == 0:
        return np.zeros(0)
    cum = np.cumsum(fc.path(horizon, rows), axis=0)
    out_within = cum[-1] >= avail
    first = np.argmax(cum >= avail[None, :], axis=0).astype(float)
    rate = cum[-1] / horizon
    beyond = np.divide(avail - cum[-1], rate, out=np.full(rows.size, np.inf), where=rate > 0)
    days = np.where(out_within, first, horizon + np.ceil(beyond))
    return np.where(avail <= 0, 0.0, days)


def plan(fc: Forecasts, inputs: PolicyInputs, stock: StockArrays, today: date,
         suppliers: Sequence[str] | None = None) -> Plan:
    """Policies for every row and a suggestion for each row at or below its reorder point.

    Forecast keys must be (sku, warehouse) pairs."""
    n = len(fc)
    pol = compute_policies(fc, inputs)
    position = inventory_position(stock.on_hand, stock.on_order, stock.in_transit,
                                  stock.backorders)
    qty = order_quantities(pol, position, inputs)
    available = np.asarray(stock.on_hand, dtype=float) - stock.backorders
    available = np.broadcast_to(available, (n,))
    dos = np.divide(available, pol.demand_daily, out=np.full(n, np.inf),
                    where=pol.demand_daily > 0)
    rows = np.flatnonzero(qty > 0)
    stockout = days_until_stockout(fc, available + stock.in_transit * np.ones(n), rows)
    surplus = np.maximum(available - pol.max_level, 0.0)
    donors = _donors(fc, surplus)
    unit_cost = np.broadcast_to(np.asarray(inputs.unit_cost, dtype=float), (n,))
    pack = np.broadcast_to(np.asarray(inputs.pack_size, dtype=float), (n,))
    out: list[Suggestion] = []
    for i, r in enumerate(rows):
        sku, wh = fc.keys[r]  # type: ignore[misc]
        shortfall = pol.reorder_point[r] - position[r]
        days = stockout[i]
        reason = _reason(position[r], pol, r, dos[r], days, today)
        base = Suggestion(
            kind=SuggestionKind.PURCHASE, sku=str(sku), warehouse=str(wh),
            quantity=float(qty[r]), suggested_quantity=float(qty[r]),
            source=suppliers[r] if suppliers is not None else "",
            reason=reason, created_on=today,
            days_of_supply=None if not np.isfinite(dos[r]) else round(float(dos[r]), 2),
            stockout_date=None if not np.isfinite(days) else today + timedelta(days=int(days)),
            inventory_position=float(position[r]), reorder_point=float(pol.reorder_point[r]),
            safety_stock=float(pol.safety_stock[r]), unit_cost=float(unit_cost[r]),
        )
        donor = _take_donor(donors.get(str(sku), []), surplus, shortfall, r)
        if donor is not None:
            give = float(min(surplus[donor], qty[r]))
            give = float(np.floor(give / pack[r]) * pack[r]) or give
            surplus[donor] -= give
            base = replace(base, kind=SuggestionKind.TRANSFER, quantity=give,
                           suggested_quantity=give, source=str(fc.keys[donor][1]),  # type: ignore[index]
                           reason=f"{reason}; warehouse {fc.keys[donor][1]} has "  # type: ignore[index]
                                  f"{surplus[donor] + give:g} above its max level")
        out.append(base)
    return Plan(pol, position, dos, tuple(out))


def _donors(fc: Forecasts, surplus: np.ndarray) -> dict[str, list[int]]:
    donors: dict[str, list[int]] = defaultdict(list)
    for r in np.flatnonzero(surplus > 0):
        donors[str(fc.keys[r][0])].append(int(r))  # type: ignore[index]
    return donors


def _take_donor(candidates: list[int], surplus: np.ndarray, shortfall: float, row: int
                ) -> int | None:
    """The donor with most surplus, if it can lift this row above its reorder point."""
    best = max((d for d in candidates if d != row), key=lambda d: surplus[d], default=None)
    if best is None or surplus[best] <= max(shortfall, 0.0):
        return None
    return best


def _reason(position: float, pol: Policies, r: int, dos: float, days: float, today: date) -> str:
    parts = [f"inventory position {position:g} ≤ reorder point {pol.reorder_point[r]:.1f} "
             f"(safety stock {pol.safety_stock[r]:.1f})"]
    parts.append(f"{dos:.1f} days of supply" if np.isfinite(dos) else "no demand forecast")
    if np.isfinite(days):
        parts.append(f"projected stock-out {today + timedelta(days=int(days))}")
    return "; ".join(parts)


@dataclass(frozen=True)
class PickFace:
    """A pick-face location with its min/max and the reserve stock of the same SKU."""

    sku: str
    warehouse: str
    location: str
    on_hand: float
    min_qty: float
    max_qty: float
    reserve_location: str
    reserve_qty: float
    pack_size: float = 1.0


def plan_pick_faces(faces: Sequence[PickFace], today: date) -> tuple[Suggestion, ...]:
    """Reserve → pick face when the face is at or below its min and the reserve has stock;
    moves whole packs up to the max (or whatever the reserve holds if less than a pack)."""
    out = []
    for f in faces:
        if f.on_hand > f.min_qty or f.reserve_qty <= 0:
            continue
        room = min(f.max_qty - f.on_hand, f.reserve_qty)
        if room <= 0:
            continue
        packs = np.floor(room / f.pack_size) * f.pack_size
        quantity = float(packs) if packs > 0 else float(room)
        out.append(Suggestion(
            kind=SuggestionKind.PICK_FACE, sku=f.sku, warehouse=f.warehouse, quantity=quantity,
            suggested_quantity=quantity, source=f.reserve_location, to_location=f.location,
            reason=f"pick face {f.location} holds {f.on_hand:g} ≤ min {f.min_qty:g}; "
                   f"reserve {f.reserve_location} holds {f.reserve_qty:g}",
            created_on=today,
        ))
    return tuple(out)
