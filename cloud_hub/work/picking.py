"""Waves and pick lists: grouping orders, choosing lots FEFO or FIFO, and ordering the lines
along a serpentine walk through the aisles.

Rule kept here: a pick list never takes expired, quarantined or damaged stock, never takes
more from a bin than is there (after what earlier lines took), and what cannot be allocated
is returned as a shortfall, not dropped.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from cloud_hub.work.model import ZERO, Bin, StockLine
from cloud_hub.work.orders import Order
from protocol.events import StockStatus

_FAR_FUTURE = date.max
_EPOCH = datetime.min


class LotPolicy(StrEnum):
    FEFO = "fefo"  # first expiry, first out
    FIFO = "fifo"  # first received, first out


class WaveBy(StrEnum):
    CUTOFF = "cutoff"  # orders whose carrier collects first
    ZONE = "zone"  # orders whose stock sits in the same zone
    COUNT = "count"  # the oldest N orders


@dataclass(frozen=True, slots=True)
class WaveRule:
    by: WaveBy = WaveBy.COUNT
    max_orders: int = 100
    cutoff_before: datetime | None = None  # CUTOFF: only orders collected before this
    zone: str | None = None  # ZONE: only orders served from this zone


@dataclass(frozen=True, slots=True)
class PickLine:
    order_id: str
    line_no: int
    location: str
    sku: str
    lot: str
    quantity: Decimal
    expiry: date | None = None
    unit_key: str | None = None


@dataclass(frozen=True, slots=True)
class Shortfall:
    order_id: str
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class PickPlan:
    lines: tuple[PickLine, ...]  # in walking order
    shortfalls: tuple[Shortfall, ...]


def select_orders(orders: Sequence[Order], rule: WaveRule,
                  zone_of: Mapping[str, str] | None = None) -> list[Order]:
    """The orders of the next wave. `zone_of` maps SKU → its main zone (for WaveBy.ZONE)."""
    if rule.by is WaveBy.CUTOFF:
        dated = [o for o in orders if o.cutoff is not None
                 and (rule.cutoff_before is None or o.cutoff <= rule.cutoff_before)]
        chosen = sorted(dated, key=lambda o: (o.cutoff, -o.priority, o.order_id))
    elif rule.by is WaveBy.ZONE:
        zones = zone_of or {}
        chosen = [o for o in orders
                  if all(zones.get(ln.sku) == rule.zone for ln in o.lines)]
        chosen.sort(key=lambda o: (-o.priority, o.order_id))
    else:
        chosen = sorted(orders, key=lambda o: (-o.priority, o.order_id))
    return chosen[: rule.max_orders]


def _lot_key(policy: LotPolicy) -> object:
    if policy is LotPolicy.FEFO:
        return lambda s: (s.expiry or _FAR_FUTURE, s.received_at or _EPOCH, s.location, s.lot)
    return lambda s: (s.received_at or _EPOCH, s.expiry or _FAR_FUTURE, s.location, s.lot)


def index_stock(stock: Iterable[StockLine], policy: LotPolicy,
                today: date) -> dict[str, list[StockLine]]:
    """Pickable stock per SKU in the order the policy takes it (expired lots left out)."""
    by_sku: dict[str, list[StockLine]] = defaultdict(list)
    for line in stock:
        if line.status is not StockStatus.AVAILABLE or line.quantity <= ZERO:
            continue
        if line.expiry is not None and line.expiry < today:
            continue
        by_sku[line.sku].append(line)
    key = _lot_key(policy)
    for lines in by_sku.values():
        lines.sort(key=key)  # type: ignore[arg-type]
    return by_sku


def allocate(orders: Sequence[Order], stock_by_sku: Mapping[str, list[StockLine]],
             bins: Mapping[str, Bin]) -> PickPlan:
    """Pick lines for every order line from the indexed stock, then sorted along the walk."""
    taken: dict[tuple[str, str, str | None], Decimal] = defaultdict(lambda: ZERO)
    picks: list[PickLine] = []
    short: list[Shortfall] = []
    for order in orders:
        for ol in order.lines:
            need = ol.quantity
            for s in stock_by_sku.get(ol.sku, ()):
                if need <= ZERO:
                    break
                key = (s.location, s.lot, s.unit_key)
                free = s.quantity - taken[key]
                if free <= ZERO:
                    continue
                q = min(free, need)
                taken[key] += q
                need -= q
                picks.append(PickLine(order.order_id, ol.line_no, s.location, ol.sku, s.lot, q,
                                      s.expiry, s.unit_key))
            if need > ZERO:
                short.append(Shortfall(order.order_id, ol.line_no, ol.sku, need))
    return PickPlan(tuple(walk_order(picks, bins)), tuple(short))


def walk_order(lines: Sequence[PickLine], bins: Mapping[str, Bin]) -> list[PickLine]:
    """Serpentine path: aisles in ascending order; the 1st, 3rd, ... visited aisle walked up the
    bays (y ascending), the 2nd, 4th, ... walked down, so the picker never walks back."""
    def place(line: PickLine) -> tuple[int, float, int]:
        b = bins.get(line.location)
        return (b.aisle, b.y, b.level) if b is not None else (1 << 30, 0.0, 0)

    aisles = sorted({place(ln)[0] for ln in lines})
    upward = {aisle: i % 2 == 0 for i, aisle in enumerate(aisles)}

    def key(line: PickLine) -> tuple[int, float, int, str, str, int]:
        aisle, y, level = place(line)
        return (aisle, y if upward[aisle] else -y, level, line.location, line.order_id,
                line.line_no)

    return sorted(lines, key=key)


def path_length(lines: Sequence[PickLine], bins: Mapping[str, Bin]) -> float:
    """Manhattan metres walked visiting the lines in order (for tests and benchmarks)."""
    pts = [(bins[ln.location].x, bins[ln.location].y) for ln in lines if ln.location in bins]
    return sum(abs(a[0] - b[0]) + abs(a[1] - b[1]) for a, b in itertools.pairwise(pts))
