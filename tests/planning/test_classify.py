"""ABC/XYZ, cycle-count frequency, dead stock and ageing, KPIs on seeded data."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from cloud_hub.planning.classify import (
    AbcThresholds,
    XyzThresholds,
    abc_classes,
    count_interval_days,
    demand_cv,
    xyz_classes,
)
from cloud_hub.planning.deadstock import (
    Movement,
    Receipt,
    StockItem,
    ageing,
    dead_and_slow,
    fifo_layers,
)
from cloud_hub.planning.kpi import CycleCounts, GroupBy, KpiInputs, compute_kpis

TODAY = date(2025, 6, 30)


def test_abc_by_consumption_value_default_80_15_5() -> None:
    value = np.array([30, 500, 20, 300, 100, 50.0])
    # Sorted 500, 300 | 100, 50 | 30, 20: cumulative share before each 0, .5 | .8, .9 | .95, .98
    assert abc_classes(value).tolist() == ["C", "A", "C", "A", "B", "B"]


def test_abc_dominant_item_is_a_and_zero_is_c() -> None:
    assert abc_classes(np.array([900.0, 50, 50, 0])).tolist() == ["A", "B", "C", "C"]
    assert abc_classes(np.zeros(3)).tolist() == ["C", "C", "C"]


def test_abc_thresholds_configurable_and_checked() -> None:
    value = np.array([500, 300, 100, 50, 30, 20.0])
    # shares before: 0 | .5, .8 | .9 (= a + b, so C), .95, .98
    assert abc_classes(value, AbcThresholds(0.5, 0.4)).tolist() == ["A", "B", "B", "C", "C", "C"]
    with pytest.raises(ValueError, match="ABC thresholds"):
        AbcThresholds(0.9, 0.2)


def test_seeded_ledger_abc_share() -> None:
    rng = np.random.default_rng(42)
    value = rng.pareto(1.2, 1000) * 100
    cls = abc_classes(value)
    share = {c: value[cls == c].sum() / value.sum() for c in "ABC"}
    assert 0.80 <= share["A"] < 0.80 + value.max() / value.sum() + 1e-9
    assert (cls == "A").sum() < (cls == "C").sum()  # few items carry most value
    assert value[cls == "A"].min() >= value[cls == "B"].max()


def test_xyz_by_weekly_cv() -> None:
    days = 56
    steady = np.full(days, 10.0)
    varies = np.tile([10.0] * 7 + [25.0] * 7, days // 14)  # weekly totals 70 / 175
    erratic = np.zeros(days)
    erratic[[3, 40]] = 100.0
    y = np.column_stack([steady, varies, erratic, np.zeros(days)])
    cv = demand_cv(y, 7)
    assert cv[0] == 0 and cv[1] == pytest.approx(52.5 / 122.5)
    assert xyz_classes(cv).tolist() == ["X", "X", "Z", "Z"]
    assert xyz_classes(cv, XyzThresholds(0.2, 0.5)).tolist() == ["X", "Y", "Z", "Z"]


def test_cycle_count_frequency_from_abc() -> None:
    assert [count_interval_days(c) for c in ("A", "B", "C", "a")] == [30, 91, 365, 30]
    with pytest.raises(ValueError, match="unknown ABC class"):
        count_interval_days("D")


def test_fifo_layers_keep_the_newest_receipts() -> None:
    receipts = [Receipt(TODAY - timedelta(days=200), 60), Receipt(TODAY - timedelta(days=10), 20),
                Receipt(TODAY - timedelta(days=60), 30)]
    layers = fifo_layers(100, receipts)
    assert [(TODAY - r.received_on).days for r in layers] == [10, 60, 200]
    assert [r.quantity for r in layers] == [20, 30, 50]


def _items() -> list[StockItem]:
    d = lambda n: TODAY - timedelta(days=n)  # noqa: E731
    return [
        StockItem("DEAD", "WH1", 100, 2.0, last_outbound=d(211),
                  receipts=(Receipt(d(200), 60), Receipt(d(60), 30), Receipt(d(10), 20))),
        StockItem("SLOW", "WH1", 10, 5.0, last_outbound=d(100), receipts=(Receipt(d(100), 10),)),
        StockItem("NEW", "WH1", 50, 1.0, receipts=(Receipt(d(10), 50),)),  # never shipped yet
        StockItem("OLDNEVER", "WH2", 5, 10.0, receipts=(Receipt(d(400), 5),)),
        StockItem("GONE", "WH2", 0, 10.0, last_outbound=d(500)),  # nothing left: not dead
    ]


def test_dead_and_slow_stock() -> None:
    found = dead_and_slow(_items(), TODAY)
    assert [(s.sku, s.status, s.idle_days, s.value) for s in found] == [
        ("DEAD", Movement.DEAD, 211, 200.0),
        ("OLDNEVER", Movement.DEAD, 400, 50.0),
        ("SLOW", Movement.SLOW, 100, 50.0),
    ]
    assert [s.sku for s in dead_and_slow(_items(), TODAY, dead_days=365, slow_days=30)] == [
        "DEAD", "OLDNEVER", "SLOW"]


def test_ageing_buckets_by_quantity_and_value() -> None:
    buckets = ageing(_items(), TODAY)
    assert [(b.label, b.quantity, b.value) for b in buckets] == [
        ("0-30", 70.0, 90.0),  # DEAD 20·2 + NEW 50·1
        ("31-90", 30.0, 60.0),
        ("91-180", 10.0, 50.0),
        (">180", 55.0, 150.0),  # DEAD 50·2 + OLDNEVER 5·10
    ]


def test_kpis_by_hand() -> None:
    # Two rows over 4 days; costs 2 and 10.
    on_hand = np.array([[10, 5], [8, 5], [0, 5], [4, 5.0]])
    outbound = np.array([[2, 0], [8, 0], [0, 0], [0, 0.0]])
    requested = np.array([[2, 0], [8, 0], [3, 0], [0, 0.0]])
    inp = KpiInputs(on_hand, outbound, requested, np.array([2.0, 10.0]),
                    np.array(["WH1", "WH2"]), np.array(["A", "C"]), np.array([False, True]))
    counts = CycleCounts(np.array(["WH1", "WH1", "WH2", "WH2"]), np.array(["A", "A", "C", "C"]),
                         np.array([True, False, True, True]))
    k = compute_kpis(inp, counts)["all"]
    # Inventory value per day 70, 66, 50, 58 → mean 61; goods out 10 units · 2 = 20.
    assert k.average_inventory_value == pytest.approx(61.0)
    assert k.cost_of_goods_out == 20.0
    assert k.inventory_turnover == pytest.approx(20 / 61, abs=1e-6)
    assert k.days_of_supply == pytest.approx(61 / 5, abs=1e-6)
    assert k.stock_out_rate == pytest.approx(1 / 4)  # row 1 had demand 4 days, out on 1
    assert k.fill_rate == pytest.approx(10 / 13, abs=1e-6)
    assert k.dead_stock_ratio == pytest.approx(50 / 58, abs=1e-6)
    assert k.location_accuracy == pytest.approx(0.75)
    per_wh = compute_kpis(inp, counts, GroupBy.WAREHOUSE)
    assert per_wh["WH2"].fill_rate is None  # nothing requested: no number, not 0
    assert per_wh["WH2"].location_accuracy == 1.0
    assert per_wh["WH1"].location_accuracy == 0.5
    assert set(compute_kpis(inp, counts, GroupBy.CLASS)) == {"A", "C"}


def test_kpi_inputs_checked() -> None:
    with pytest.raises(ValueError, match="one shape"):
        compute_kpis(KpiInputs(np.zeros((2, 2)), np.zeros((3, 2)), np.zeros((2, 2)),
                               np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)))
