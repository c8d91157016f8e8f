"""Dead and slow stock, and inventory ageing by quantity and value.

Rule kept here: stock is *dead* when nothing of the SKU left the warehouse for `dead_days`
(default 180; counted from the first receipt when it never left), *slow* from `slow_days`; the
age of what is on hand is read FIFO — the quantity still on hand is the most recent receipts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30), ("31-90", 31, 90), ("91-180", 91, 180), (">180", 181, None))


class Movement(StrEnum):
    ACTIVE = "active"
    SLOW = "slow"
    DEAD = "dead"


@dataclass(frozen=True)
class Receipt:
    received_on: date
    quantity: float


@dataclass(frozen=True)
class StockItem:
    sku: str
    warehouse: str
    on_hand: float
    unit_cost: float
    last_outbound: date | None = None
    receipts: tuple[Receipt, ...] = ()


@dataclass(frozen=True)
class MovementStatus:
    sku: str
    warehouse: str
    status: Movement
    idle_days: int | None  # None: no outbound and no receipt known
    on_hand: float
    value: float


@dataclass(frozen=True)
class AgeBucket:
    label: str
    quantity: float
    value: float


def fifo_layers(on_hand: float, receipts: Sequence[Receipt]) -> list[Receipt]:
    """The receipts that still make up `on_hand` under FIFO (newest first). Stock not explained
    by any receipt (opening balance, count gains) is a layer dated at the oldest receipt, or
    dropped when there are no receipts at all (its age is unknown)."""
    remaining = max(on_hand, 0.0)
    layers: list[Receipt] = []
    for r in sorted(receipts, key=lambda x: x.received_on, reverse=True):
        if remaining <= 0:
            break
        take = min(r.quantity, remaining)
        if take > 0:
            layers.append(Receipt(r.received_on, take))
            remaining -= take
    if remaining > 0 and layers:
        layers.append(Receipt(layers[-1].received_on, remaining))
    return layers


def movement_status(item: StockItem, today: date, dead_days: int = 180,
                    slow_days: int = 90) -> MovementStatus:
    if not 0 < slow_days <= dead_days:
        raise ValueError(f"need 0 < slow_days <= dead_days (got {slow_days}, {dead_days})")
    since = item.last_outbound or min((r.received_on for r in item.receipts), default=None)
    idle = None if since is None else (today - since).days
    if item.on_hand <= 0:
        status = Movement.ACTIVE
    elif idle is None or idle >= dead_days:
        status = Movement.DEAD
    elif idle >= slow_days:
        status = Movement.SLOW
    else:
        status = Movement.ACTIVE
    return MovementStatus(item.sku, item.warehouse, status, idle, item.on_hand,
                          round(item.on_hand * item.unit_cost, 4))


def dead_and_slow(items: Iterable[StockItem], today: date, dead_days: int = 180,
                  slow_days: int = 90) -> list[MovementStatus]:
    """Only the dead and slow items, most value first."""
    found = [s for s in (movement_status(i, today, dead_days, slow_days) for i in items)
             if s.status is not Movement.ACTIVE]
    return sorted(found, key=lambda s: (-s.value, s.sku, s.warehouse))


def ageing(items: Iterable[StockItem], today: date) -> tuple[AgeBucket, ...]:
    """On-hand quantity and value per age bucket (age = days since the FIFO receipt)."""
    qty = [0.0] * len(AGE_BUCKETS)
    val = [0.0] * len(AGE_BUCKETS)
    for item in items:
        layers = fifo_layers(item.on_hand, item.receipts)
        if not layers and item.on_hand > 0:
            layers = [Receipt(date.min, item.on_hand)]  # unknown age counts as the oldest
        for layer in layers:
            i = _bucket_index((today - layer.received_on).days)
            qty[i] += layer.quantity
            val[i] += layer.quantity * item.unit_cost
    return tuple(AgeBucket(label, round(q, 6), round(v, 4))
                 for (label, _, _), q, v in zip(AGE_BUCKETS, qty, val, strict=True))


def _bucket_index(age_days: int) -> int:
    for i, (_, low, high) in enumerate(AGE_BUCKETS):
        if age_days >= low and (high is None or age_days <= high):
            return i
    return 0  # received "in the future" (clock skew): youngest bucket
