"""Lot sizing: how much to order for a net requirement. The rule it keeps: the orders returned
cover the net requirement (their sum >= net), each respects MOQ, pack multiple and maximum."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from enum import Enum

ZERO = Decimal(0)


class Sizing(Enum):
    LOT_FOR_LOT = "lot-for-lot"  # exactly the net requirement
    FIXED = "fixed"  # multiples of `quantity`
    EOQ = "eoq"  # at least the economic order quantity


@dataclass(frozen=True, slots=True)
class LotRule:
    """`sizing` gives a first quantity; then `minimum` (MOQ) raises it, `multiple` (pack) rounds
    it up, `precision` (the base unit's smallest step) rounds it up, and above `maximum` the need
    is split into several orders of at most `maximum` (min/max is LOT_FOR_LOT with both set)."""

    sizing: Sizing = Sizing.LOT_FOR_LOT
    quantity: Decimal = ZERO  # FIXED's lot
    annual_demand: Decimal = ZERO  # EOQ's inputs: units a year, cost per order,
    order_cost: Decimal = ZERO  # and cost of holding one unit a year
    holding_cost: Decimal = ZERO
    minimum: Decimal = ZERO
    maximum: Decimal | None = None
    multiple: Decimal | None = None
    precision: Decimal = Decimal("0.001")

    def __post_init__(self) -> None:
        if self.sizing is Sizing.FIXED and self.quantity <= 0:
            raise ValueError("a fixed lot needs a quantity > 0")
        if self.sizing is Sizing.EOQ and not (self.annual_demand > 0 and self.order_cost > 0
                                              and self.holding_cost > 0):
            raise ValueError("EOQ needs annual demand, order cost and holding cost > 0")
        if self.multiple is not None and self.multiple <= 0:
            raise ValueError("a pack multiple must be > 0")
        if self.maximum is not None and (self.maximum <= 0 or self.maximum < self.minimum
                                         or _up(self.maximum, self.multiple) != self.maximum):
            raise ValueError("a maximum must be > 0, >= the minimum and a pack multiple")

    @property
    def eoq(self) -> Decimal:
        """sqrt(2·D·S / H), the quantity that balances ordering and holding costs."""
        return (2 * self.annual_demand * self.order_cost / self.holding_cost).sqrt()


def lot_sizes(net: Decimal, rule: LotRule) -> list[Decimal]:
    """The planned order quantities (usually one) that cover `net` > 0 under `rule`."""
    orders: list[Decimal] = []
    if rule.maximum is not None:
        while net > rule.maximum:
            orders.append(rule.maximum)
            net -= rule.maximum
    orders.append(_one(net, rule))
    return orders


def _one(net: Decimal, rule: LotRule) -> Decimal:
    if rule.sizing is Sizing.FIXED:
        q = rule.quantity * (net / rule.quantity).to_integral_value(ROUND_CEILING)
    elif rule.sizing is Sizing.EOQ:
        q = max(net, rule.eoq)
    else:
        q = net
    q = _up(max(q, rule.minimum), rule.multiple)
    q = _up(q, rule.precision)
    if rule.maximum is not None and q > rule.maximum:
        q = rule.maximum  # net <= maximum here, and maximum is a multiple: still covers net
    return q


def _up(q: Decimal, step: Decimal | None) -> Decimal:
    if step is None or step <= 0:
        return q
    return step * (q / step).to_integral_value(ROUND_CEILING)
