"""A slow, obviously-correct MRP to compare cloud_hub.mrp.netting with: every bucket's gross
requirement is re-derived by scanning every demand and every parent's planned orders, and the
projected available is simulated one bucket at a time. Lot sizing is shared (tested apart)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from cloud_hub.mrp.bom import Boms
from cloud_hub.mrp.lots import lot_sizes
from cloud_hub.mrp.netting import Demand, Horizon, Planning, ScheduledReceipt

# (item, due bucket, release bucket, quantity)
Order = tuple[str, int, int, Decimal]


def per_parent(boms: Boms, parent: str, component: str, on: date) -> Decimal:
    """How much of `component` one `parent` takes on `on`, through phantoms, by recursion."""
    rev = boms.revision(parent, on)
    total = Decimal(0)
    for c in rev.components if rev else ():
        if c.item == component:
            total += c.quantity * (1 + c.scrap)
        elif c.item in boms.phantoms:
            total += c.quantity * (1 + c.scrap) * per_parent(boms, c.item, component, on)
    return total


def reference_orders(boms: Boms, items: dict[str, Planning], demands: Sequence[Demand],
                     receipts: Sequence[ScheduledReceipt], horizon: Horizon) -> list[Order]:
    llc = boms.low_level_codes
    order = sorted((i for i in items if i not in boms.phantoms),
                   key=lambda i: (llc.get(i, 0), i))
    planned: dict[str, list[Order]] = {}
    for item in order:
        p = items[item]
        available = p.on_hand - p.allocated
        parents = parents_of(boms, item)
        for b in range(horizon.buckets):
            gross = sum((d.quantity for d in demands if d.item == item and d.bucket == b),
                        Decimal(0))
            for parent in parents:
                for _, _, release, q in planned.get(parent, ()):
                    if max(release, 0) == b:
                        gross += q * per_parent(boms, parent, item, horizon.day(b))
            available += sum((r.quantity for r in receipts if r.item == item and r.bucket == b),
                             Decimal(0))
            available -= gross
            if available < p.safety_stock:
                for q in lot_sizes(p.safety_stock - available, p.lot):
                    planned.setdefault(item, []).append((item, b, b - p.lead_time, q))
                    available += q
    return sorted(o for orders in planned.values() for o in orders)


def parents_of(boms: Boms, item: str) -> set[str]:
    """The planned items whose BOM takes `item`, directly or through phantoms (a shortcut only:
    every other parent's orders would add 0 to `item`'s gross requirement)."""
    found = set()
    for use in boms.where_used(item):
        if use.parent in boms.phantoms:
            found |= parents_of(boms, use.parent)
        else:
            found.add(use.parent)
    return found
