"""Time-phased MRP netting, level by level by low-level code, with lot sizing, lead-time
offsetting, pegging and exception messages. The rule it keeps: every bucket's projected
available stays at or above safety stock, and each planned order is pegged to demands that
cover at least its net requirement."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from itertools import accumulate
from operator import itemgetter
from typing import NamedTuple

from cloud_hub.mrp.bom import BomError, Boms
from cloud_hub.mrp.lots import LotRule, lot_sizes

ZERO = Decimal(0)


class Source(Enum):
    BUY = "buy"  # planned purchase orders
    MAKE = "make"  # planned work orders


class Action(Enum):
    EXPEDITE = "expedite"
    DEFER = "defer"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Horizon:
    start: date  # bucket 0's first day
    buckets: int = 52
    bucket_days: int = 7

    def day(self, bucket: int) -> date:
        return self.start + timedelta(days=self.bucket_days * max(bucket, 0))


@dataclass(frozen=True, slots=True)
class Planning:
    """An item's planning data; quantities in its base unit, lead time in buckets."""

    item: str
    source: Source
    lead_time: int = 0
    on_hand: Decimal = ZERO
    allocated: Decimal = ZERO
    safety_stock: Decimal = ZERO
    lot: LotRule = field(default_factory=LotRule)


@dataclass(frozen=True, slots=True)
class Demand:
    """Independent demand (a forecast or a sales order line) due in `bucket`."""

    id: str
    item: str
    bucket: int
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class ScheduledReceipt:
    """An open purchase or work order, or goods in transit, due in `bucket`."""

    id: str
    item: str
    bucket: int
    quantity: Decimal


class Peg(NamedTuple):
    """A tuple, not a dataclass: a large plan has millions of them."""

    demand: str  # an independent demand's id, a parent planned order's id, or a stock reserve
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    """A planned purchase (BUY) or work (MAKE) order: received in `due`, released in `release`
    (negative: past due). `net` is the shortage it was created for; `pegs` what it serves."""

    id: str
    item: str
    source: Source
    due: int
    release: int
    quantity: Decimal
    net: Decimal
    pegs: tuple[Peg, ...] = ()

    @property
    def past_due(self) -> bool:
        return self.release < 0


@dataclass(frozen=True, slots=True)
class Message:
    """An exception message: act on `order` (planned or scheduled) of `item`."""

    item: str
    order: str
    action: Action
    bucket: int  # where the order is now (release bucket for a planned order)
    to_bucket: int | None  # where it is needed (None: not needed in the horizon)


@dataclass(frozen=True, slots=True)
class Record:
    """The MRP record of one item, one value per bucket."""

    item: str
    gross: tuple[Decimal, ...]
    scheduled: tuple[Decimal, ...]
    projected: tuple[Decimal, ...]
    net: tuple[Decimal, ...]
    planned_receipts: tuple[Decimal, ...]
    planned_releases: tuple[Decimal, ...]
    past_due_releases: Decimal


@dataclass(frozen=True, slots=True)
class Plan:
    orders: tuple[PlannedOrder, ...]
    messages: tuple[Message, ...]
    records: Mapping[str, Record]


# a requirement reaching an item: (bucket, demand id, quantity)
Entry = tuple[int, str, Decimal]


def plan(boms: Boms, items: Mapping[str, Planning], demands: Iterable[Demand],
         receipts: Iterable[ScheduledReceipt], horizon: Horizon,
         keep_records: bool = True) -> Plan:
    """Plan every item, parents before components (by low-level code): a parent's planned
    orders become its components' dependent demand in the parent's release bucket (past due:
    bucket 0), through the BOM revision effective that day, phantoms exploded through."""
    entries: dict[str, list[Entry]] = defaultdict(list)
    for d in demands:
        _check(d.id, d.bucket, d.quantity, horizon)
        entries[d.item].append((d.bucket, d.id, d.quantity))
    sched: dict[str, list[ScheduledReceipt]] = defaultdict(list)
    for r in receipts:
        _check(r.id, r.bucket, r.quantity, horizon)
        sched[r.item].append(r)
    orders: list[PlannedOrder] = []
    messages: list[Message] = []
    records: dict[str, Record] = {}
    for item in _planning_order(boms, items, entries, sched):
        made, said, record = plan_item(items[item], entries.pop(item, []), sched.get(item, []),
                                       horizon.buckets, keep_records)
        orders += made
        messages += said
        if record is not None:
            records[item] = record
        for o in made:
            _explode_order(boms, o, horizon, entries)
    return Plan(tuple(orders), tuple(messages), records)


def _check(what: str, bucket: int, quantity: Decimal, horizon: Horizon) -> None:
    if not quantity > 0:
        raise BomError(f"{what}: quantity must be > 0 (got {quantity})")
    if not 0 <= bucket < horizon.buckets:
        raise BomError(f"{what}: bucket {bucket} is outside the horizon 0..{horizon.buckets - 1}")


def _planning_order(boms: Boms, items: Mapping[str, Planning], entries: Mapping[str, object],
                    sched: Mapping[str, object]) -> list[str]:
    llc = boms.low_level_codes
    wanted = set(items) | set(entries) | set(sched) | set(llc)
    phantoms = boms.phantoms
    missing = sorted(i for i in wanted - set(items) if i not in phantoms)
    if missing:
        raise BomError(f"no planning data for {', '.join(missing[:5])}"
                       + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""))
    return sorted((i for i in wanted if i not in phantoms), key=lambda i: (llc.get(i, 0), i))


def _explode_order(boms: Boms, order: PlannedOrder, horizon: Horizon,
                   entries: dict[str, list[Entry]]) -> None:
    bucket = max(order.release, 0)
    for component, per in boms.planned_lines(order.item, horizon.day(bucket)):
        entries[component].append((bucket, order.id, order.quantity * per))


def plan_item(p: Planning, entries: list[Entry], receipts: list[ScheduledReceipt],
              buckets: int, keep_records: bool = True,
              ) -> tuple[list[PlannedOrder], list[Message], Record | None]:
    """Net one item over the horizon; see the module's rule."""
    entries.sort(key=itemgetter(0))  # stable: the order requirements arrived in, per bucket
    gross = [ZERO] * buckets
    for b, _, q in entries:
        gross[b] += q
    scheduled = [ZERO] * buckets
    receipts = sorted(receipts, key=lambda r: (r.bucket, r.id))
    for r in receipts:
        scheduled[r.bucket] += r.quantity
    available = p.on_hand - p.allocated
    ss = p.safety_stock
    made: list[tuple[str, int, Decimal, Decimal]] = []  # id, due, quantity, net
    projected, net, planned = [ZERO] * buckets, [ZERO] * buckets, [ZERO] * buckets
    for b in range(buckets):
        available += scheduled[b] - gross[b]
        if available < ss:
            short = ss - available
            net[b] = short
            for n, q in enumerate(lot_sizes(short, p.lot)):
                made.append((f"{p.item}@{b}" + (f"#{n}" if n else ""), b, q, min(short, q)))
                short -= q
                available += q
                planned[b] += q
        projected[b] = available
    pegs = _peg(p, entries, receipts, made)
    lead, item, source = p.lead_time, p.item, p.source
    orders = [PlannedOrder(i, item, source, b, b - lead, q, n, pg)
              for (i, b, q, n), pg in zip(made, pegs, strict=True)]
    messages = [Message(p.item, o.id, Action.EXPEDITE, o.release, 0)
                for o in orders if o.release < 0]
    messages += _receipt_messages(p, gross, receipts)
    record = None
    if keep_records:
        releases = [ZERO] * buckets
        past_due = ZERO
        for o in orders:
            if o.release < 0:
                past_due += o.quantity
            else:
                releases[o.release] += o.quantity
        record = Record(p.item, tuple(gross), tuple(scheduled), tuple(projected), tuple(net),
                        tuple(planned), tuple(releases), past_due)
    return orders, messages, record


def _peg(p: Planning, entries: list[Entry], receipts: list[ScheduledReceipt],
         orders: list[tuple[str, int, Decimal, Decimal]]) -> list[tuple[Peg, ...]]:
    """First in, first out: demands in bucket order (the allocated stock and safety stock first)
    against supplies in bucket order (on hand, then per bucket scheduled receipts before planned
    orders). Netting made cumulative supply >= cumulative demand in every bucket, so a demand is
    never pegged to a later supply and each planned order serves at least its net requirement."""
    if not orders:
        return []
    reserve = [e for e in ((0, f"allocated:{p.item}", p.allocated),
                           (0, f"safety-stock:{p.item}", p.safety_stock)) if e[2] > 0]
    demand = iter([*reserve, *entries])
    supplies: list[tuple[int, int, Decimal, int]] = [(-1, 0, p.on_hand, -1)]
    supplies += [(r.bucket, 0, r.quantity, -1) for r in receipts]
    supplies += [(due, 1, q, k) for k, (_, due, q, _) in enumerate(orders)]
    supplies.sort(key=itemgetter(0, 1))
    pegs: list[list[Peg]] = [[] for _ in orders]
    left = ZERO
    ref = ""
    for _, _, capacity, k in supplies:
        while capacity > 0:
            if left <= 0:
                nxt = next(demand, None)
                if nxt is None:
                    break
                _, ref, left = nxt
                continue
            take = min(left, capacity)
            if k >= 0:
                pegs[k].append(Peg(ref, take))
            left -= take
            capacity -= take
    return [tuple(pg) for pg in pegs]


def _receipt_messages(p: Planning, gross: list[Decimal],
                      receipts: list[ScheduledReceipt]) -> list[Message]:
    """When each open order is first needed, against on hand and the open orders before it
    (not against planned orders): later than due → defer, earlier → expedite, never → cancel."""
    if not receipts:
        return []
    # demand to date: what must be in stock by the end of each bucket
    need = list(accumulate(gross, initial=p.allocated + p.safety_stock))[1:]
    supply = p.on_hand
    said = []
    for r in receipts:
        first = bisect_right(need, supply)  # first bucket whose demand exceeds supply before r
        if first >= len(need):
            said.append(Message(p.item, r.id, Action.CANCEL, r.bucket, None))
        elif first != r.bucket:
            action = Action.DEFER if first > r.bucket else Action.EXPEDITE
            said.append(Message(p.item, r.id, action, r.bucket, first))
        supply += r.quantity
    return said


def pegging_gaps(result: Plan) -> list[str]:
    """Planned orders whose pegs do not cover their net requirement or exceed their quantity:
    [] when pegging is complete."""
    gaps = []
    for o in result.orders:
        pegged = sum((pg.quantity for pg in o.pegs), ZERO)
        if pegged < o.net or pegged > o.quantity:
            gaps.append(f"{o.id}: pegged {pegged}, net {o.net}, quantity {o.quantity}")
    return gaps


__all__ = ["Action", "Demand", "Horizon", "LotRule", "Message", "Peg", "Plan", "PlannedOrder",
           "Planning", "Record", "ScheduledReceipt", "Source", "pegging_gaps", "plan",
           "plan_item"]
