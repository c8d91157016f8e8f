"""Lot sizing rules: each case computed by hand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from cloud_hub.mrp.lots import LotRule, Sizing, lot_sizes


@pytest.mark.parametrize(("net", "rule", "orders"), [
    (D("17.25"), LotRule(), [D("17.25")]),  # lot-for-lot
    (D("17.2501"), LotRule(), [D("17.251")]),  # up to the unit's precision
    (D(17), LotRule(Sizing.FIXED, quantity=D(50)), [D(50)]),
    (D(120), LotRule(Sizing.FIXED, quantity=D(50)), [D(150)]),  # enough lots in one order
    # EOQ = sqrt(2 × 1200 × 50 / 6) = sqrt(20000) = 141.42… → 141.422 at 0.001
    (D(30), LotRule(Sizing.EOQ, annual_demand=D(1200), order_cost=D(50), holding_cost=D(6)),
     [D("141.422")]),
    (D(200), LotRule(Sizing.EOQ, annual_demand=D(1200), order_cost=D(50), holding_cost=D(6)),
     [D(200)]),  # more than EOQ: the net
    (D(7), LotRule(minimum=D(25)), [D(25)]),  # MOQ
    (D(26), LotRule(minimum=D(25), multiple=D(12)), [D(36)]),  # MOQ then pack multiple
    (D(7), LotRule(multiple=D(12)), [D(12)]),
    # min/max: at least 10, at most 40 an order: 95 = 40 + 40 + 15
    (D(95), LotRule(minimum=D(10), maximum=D(40)), [D(40), D(40), D(15)]),
    (D(85), LotRule(minimum=D(10), maximum=D(40)), [D(40), D(40), D(10)]),
    (D(41), LotRule(maximum=D(40), multiple=D(20)), [D(40), D(20)]),
    (D("0.4"), LotRule(precision=D(1)), [D(1)]),  # whole units only
])
def test_lot_sizes(net: D, rule: LotRule, orders: list[D]) -> None:
    assert lot_sizes(net, rule) == orders
    assert sum(orders) >= net


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sizing": Sizing.FIXED}, "fixed lot needs a quantity"),
    ({"sizing": Sizing.EOQ, "annual_demand": D(1)}, "EOQ needs"),
    ({"multiple": D(0)}, "pack multiple must be > 0"),
    ({"maximum": D(30), "multiple": D(20)}, "a maximum must be"),
    ({"maximum": D(5), "minimum": D(10)}, "a maximum must be"),
])
def test_a_rule_that_cannot_size_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LotRule(**kwargs)  # type: ignore[arg-type]
