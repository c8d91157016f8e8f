"""Random MRP problems for the reference comparison and bench/mrp.py: items in `levels`
levels, each parent's lines pointing at deeper items (mostly the next level, sometimes any
deeper one, so low-level codes matter), phantoms, second revisions, scrap, every lot rule."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cloud_hub.mrp.bom import Boms, Component, Revision
from cloud_hub.mrp.lots import LotRule, Sizing
from cloud_hub.mrp.netting import Demand, Horizon, Planning, ScheduledReceipt, Source

PER = [Decimal(x) for x in ("1", "1", "1", "1", "1", "2", "0.5", "0.25")]
SCRAP = [Decimal(x) for x in ("0", "0", "0", "0.02", "0.05", "0.1")]


@dataclass(frozen=True)
class Problem:
    revisions: tuple[Revision, ...]
    phantoms: frozenset[str]
    items: dict[str, Planning]
    demands: tuple[Demand, ...]
    receipts: tuple[ScheduledReceipt, ...]
    horizon: Horizon
    end_items: tuple[str, ...]

    def boms(self) -> Boms:
        return Boms(self.revisions, self.phantoms)

    def sample(self, end_items: Sequence[str]) -> Problem:
        """The sub-problem of some end items: them, everything below them, their demands."""
        children: dict[str, set[str]] = {}
        for r in self.revisions:
            children.setdefault(r.parent, set()).update(c.item for c in r.components)
        keep: set[str] = set()
        todo = list(end_items)
        while todo:
            i = todo.pop()
            if i not in keep:
                keep.add(i)
                todo += children.get(i, ())
        return Problem(tuple(r for r in self.revisions if r.parent in keep),
                       self.phantoms & keep, {i: p for i, p in self.items.items() if i in keep},
                       tuple(d for d in self.demands if d.item in keep),
                       tuple(r for r in self.receipts if r.item in keep), self.horizon,
                       tuple(end_items))


def lot_rule(rng: random.Random, level: int) -> LotRule:
    """Any rule; a min/max's maximum grows with the level, as requirements do below."""
    kind = rng.randrange(6)
    if kind == 1:
        return LotRule(Sizing.FIXED, quantity=Decimal(rng.choice((10, 25, 100, 500))))
    if kind == 2:
        return LotRule(Sizing.EOQ, annual_demand=Decimal(rng.randint(100, 50000)),
                       order_cost=Decimal(rng.choice((20, 50, 120))),
                       holding_cost=Decimal(rng.choice(("0.5", "2", "6"))))
    if kind == 3:
        return LotRule(minimum=Decimal(20),
                       maximum=Decimal(rng.choice((200, 1000, 5000)) * 10 ** level))
    if kind == 4:
        return LotRule(minimum=Decimal(rng.choice((5, 50))), multiple=Decimal(rng.choice((6, 12))))
    return LotRule(precision=Decimal(rng.choice(("1", "0.001"))))


def generate(seed: int, end_items: int, level_sizes: Sequence[int],
             lines: Sequence[int], buckets: int = 52) -> Problem:
    """`level_sizes[k]` items at level k+1 (level 0 holds the end items); a parent at level k
    has about `lines[k]` lines."""
    rng = random.Random(seed)
    horizon = Horizon(date(2027, 1, 4), buckets)
    levels = [[f"E{i}" for i in range(end_items)],
              *[[f"L{k + 1}-{i}" for i in range(n)] for k, n in enumerate(level_sizes)]]
    phantoms = frozenset(i for lv in levels[2:-1] for i in lv if rng.random() < 0.05)
    switch = horizon.day(buckets // 2)
    revisions: list[Revision] = []
    for k, parents in enumerate(levels[:-1]):
        for parent in parents:
            revs = 2 if rng.random() < 0.1 else 1
            for r in range(revs):
                n = max(1, round(rng.gauss(lines[k], 1)))
                picks: dict[str, Component] = {}
                for _ in range(n):
                    below = levels[k + 1] if rng.random() < 0.9 else rng.choice(levels[k + 1:])
                    item = rng.choice(below)
                    picks[item] = Component(item, rng.choice(PER), rng.choice(SCRAP))
                frm, to = (None, None) if revs == 1 else ((None, switch) if r == 0
                                                          else (switch, None))
                revisions.append(Revision(parent, str(r + 1), tuple(picks.values()), frm, to))
    items: dict[str, Planning] = {}
    demands: list[Demand] = []
    receipts: list[ScheduledReceipt] = []
    for k, level in enumerate(levels):
        for item in level:
            if item in phantoms:
                continue
            items[item] = Planning(
                item, Source.BUY if k == len(levels) - 1 else Source.MAKE,
                lead_time=rng.randint(0, 3), on_hand=Decimal(rng.randint(0, 300)),
                allocated=Decimal(rng.choice((0, 0, 0, 10))),
                safety_stock=Decimal(rng.choice((0, 0, 0, 20))), lot=lot_rule(rng, k))
            for n in range(rng.choice((0, 0, 1, 2)) if k else 0):
                receipts.append(ScheduledReceipt(f"PO-{item}-{n}", item, rng.randrange(buckets),
                                                 Decimal(rng.randint(10, 400))))
    for item in levels[0]:
        for b in rng.sample(range(buckets), rng.randint(1, 6)):
            demands.append(Demand(f"SO-{item}-{b}", item, b, Decimal(rng.randint(1, 60))))
    return Problem(tuple(revisions), phantoms, items, tuple(demands), tuple(receipts),
                   horizon, tuple(levels[0]))


