"""Properties of one item's netting for any demand, stock and lot rule: projected available never
falls below safety stock, orders are due where a shortage was, pegs cover every net requirement
and every demand is served in full by on hand, open and planned orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.mrp.bom import Boms
from cloud_hub.mrp.lots import LotRule, Sizing
from cloud_hub.mrp.netting import Demand, Horizon, Planning, ScheduledReceipt, Source, plan

H = Horizon(date(2027, 1, 4), buckets=10)
qty = st.integers(1, 300).map(D)
rules = st.one_of(
    st.just(LotRule()),
    qty.map(lambda q: LotRule(Sizing.FIXED, quantity=q)),
    st.builds(lambda m, x: LotRule(minimum=m, maximum=m * x), qty, st.integers(1, 4).map(D)),
    st.builds(lambda m, p: LotRule(minimum=m, multiple=p), qty, qty),
)


@settings(max_examples=150, deadline=None)
@given(demands=st.lists(st.tuples(st.integers(0, 9), qty), max_size=12),
       receipts=st.lists(st.tuples(st.integers(0, 9), qty), max_size=3),
       on_hand=st.integers(0, 400).map(D), allocated=st.integers(0, 50).map(D),
       safety=st.integers(0, 60).map(D), lead=st.integers(0, 4), rule=rules)
def test_one_item(demands: list[tuple[int, D]], receipts: list[tuple[int, D]], on_hand: D,
                  allocated: D, safety: D, lead: int, rule: LotRule) -> None:
    p = Planning("X", Source.BUY, lead, on_hand, allocated, safety, rule)
    result = plan(Boms([]), {"X": p}, [Demand(f"D{i}", "X", b, q) for i, (b, q) in
                                       enumerate(demands)],
                  [ScheduledReceipt(f"R{i}", "X", b, q) for i, (b, q) in enumerate(receipts)], H)
    record = result.records["X"]
    assert all(a >= safety for a in record.projected)
    assert {o.due for o in result.orders} == {b for b, n in enumerate(record.net) if n > 0}
    for o in result.orders:
        assert o.release == o.due - lead
        assert o.net <= sum((pg.quantity for pg in o.pegs), D(0)) <= o.quantity
    # what planned orders do not serve of the demands (allocation and safety stock included),
    # on hand and open orders do
    need = sum((q for _, q in demands), D(0)) + allocated + safety
    from_orders = sum((pg.quantity for o in result.orders for pg in o.pegs), D(0))
    assert need - from_orders <= on_hand + sum((q for _, q in receipts), D(0))
    assert {pg.demand for o in result.orders for pg in o.pegs} <= {
        *(f"D{i}" for i in range(len(demands))), "allocated:X", "safety-stock:X"}
