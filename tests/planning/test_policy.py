"""Policy maths against textbook numbers, and replenishment suggestions and drafts."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import numpy as np
import pytest

from cloud_hub.planning.forecast import forecast
from cloud_hub.planning.orders import build_drafts, drafts_to_csv, drafts_to_json
from cloud_hub.planning.policy import (
    OrderMethod,
    PolicyInputs,
    compute_policies,
    eoq,
    order_quantities,
    round_order_quantity,
    safety_stock,
    z_for_service_level,
)
from cloud_hub.planning.replenish import (
    PickFace,
    StockArrays,
    SuggestionKind,
    SuggestionState,
    SuggestionStateError,
    accept,
    edit,
    plan,
    plan_pick_faces,
    reject,
)

TODAY = date(2025, 3, 1)


def test_z_for_service_levels() -> None:
    z = z_for_service_level(np.array([0.5, 0.9, 0.95, 0.99]))
    np.testing.assert_allclose(z, [0.0, 1.2816, 1.6449, 2.3263], atol=1e-4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        z_for_service_level(1.0)


def test_safety_stock_textbook() -> None:
    # σd = 10/day, L = 9 days, 95 %: 1.645 · 10 · 3 = 49.3
    z = z_for_service_level(0.95)
    assert float(safety_stock(z, 10, 9)) == pytest.approx(49.35, abs=0.01)
    # With lead-time variability d = 50/day, σL = 2 days: 1.645 · sqrt(9·100 + 2500·4) = 171.7
    assert float(safety_stock(z, 10, 9, 50, 2)) == pytest.approx(171.73, abs=0.01)


def test_eoq_textbook() -> None:
    # D = 1,200 a year, S = 100 per order, H = 6 per unit-year → sqrt(2·1200·100/6) = 200
    assert float(eoq(1200, 100, 6)) == pytest.approx(200.0)
    assert float(eoq(1200, 100, 0)) == 0.0  # no holding cost: no lot size, not a crash


def test_rounding_to_moq_and_pack() -> None:
    q = round_order_quantity(np.array([37.0, 0.0, 24.0, 1.0]), 12, 50)
    assert q.tolist() == [60.0, 0.0, 60.0, 60.0]
    assert round_order_quantity(np.array([24.0, 25.0]), 12).tolist() == [24.0, 36.0]


def _constant(rate: float, days: int = 60, n: int = 1) -> np.ndarray:
    return np.full((days, n), rate)


def test_reorder_point_and_eoq_order_for_steady_demand() -> None:
    fc = forecast(_constant(10.0), keys=[("SKU1", "WH1")])
    p = PolicyInputs(lead_time_days=7, unit_cost=1.0, order_cost=50, holding_rate=0.25,
                     pack_size=10)
    pol = compute_policies(fc, p)
    assert pol.safety_stock[0] == pytest.approx(0.0)  # no forecast error, no buffer
    assert pol.reorder_point[0] == pytest.approx(70.0)
    # EOQ = sqrt(2 · 3650 · 50 / 0.25) = 1208.3 → 121 packs of 10
    assert pol.order_quantity[0] == pytest.approx(1208.3, abs=0.1)
    qty = order_quantities(pol, np.array([50.0]), p)
    assert qty.tolist() == [1210.0]
    assert order_quantities(pol, np.array([71.0]), p).tolist() == [0.0]


def test_on_order_and_in_transit_count_towards_the_position() -> None:
    fc = forecast(_constant(10.0), keys=[("SKU1", "WH1")])
    p = PolicyInputs(lead_time_days=7)
    low = plan(fc, p, StockArrays(on_hand=np.array([20.0])), TODAY)
    assert len(low.suggestions) == 1
    covered = plan(fc, p, StockArrays(np.array([20.0]), on_order=np.array([30.0]),
                                      in_transit=np.array([30.0])), TODAY)
    assert covered.suggestions == ()


def test_min_max_orders_up_to_max() -> None:
    fc = forecast(_constant(10.0), keys=[("SKU1", "WH1")])
    p = PolicyInputs(lead_time_days=5, method=OrderMethod.MIN_MAX, max_cover_days=20,
                     pack_size=6, min_order=100)
    pol = compute_policies(fc, p)
    assert pol.max_level[0] == pytest.approx(250.0)  # ROP 50 + 20 days · 10
    # 250 − 40 = 210 → 35 packs of 6
    assert order_quantities(pol, np.array([40.0]), p).tolist() == [210.0]
    # 250 − 50 = 200 ≥ MOQ → 34 packs = 204
    assert order_quantities(pol, np.array([50.0]), p).tolist() == [204.0]


def test_safety_stock_grows_with_forecast_error_and_lead_time_variability() -> None:
    rng = np.random.default_rng(5)
    y = 20 + rng.normal(0, 4, (120, 1))
    fc = forecast(np.maximum(y, 0), keys=[("S", "W")])
    fixed = compute_policies(fc, PolicyInputs(lead_time_days=9))
    variable = compute_policies(fc, PolicyInputs(lead_time_days=9, lead_time_sd_days=2))
    z = z_for_service_level(0.95)
    assert fixed.safety_stock[0] == pytest.approx(z * fc.rmse[0] * 3)
    assert variable.safety_stock[0] > 2 * fixed.safety_stock[0]


def test_seasonal_adjustment_raises_buffer_before_a_peak() -> None:
    rng = np.random.default_rng(11)
    days = 140
    shape = np.tile([0, 0, 0, 0, 0, 12, 12], days // 7)  # weekend peak
    y = (30 + shape + rng.normal(0, 1.5, days))[:, None]
    fc = forecast(y, keys=[("S", "W")])
    on = compute_policies(fc, PolicyInputs(lead_time_days=2, seasonal_adjustment=True))
    off = compute_policies(fc, PolicyInputs(lead_time_days=2, seasonal_adjustment=False))
    coming = fc.path(2)[:, 0].mean()
    expected = coming / (fc.level[0] + fc.season[:, 0].mean())
    assert on.seasonal_factor[0] == pytest.approx(np.clip(expected, 0.5, 2.0))
    assert on.safety_stock[0] == pytest.approx(off.safety_stock[0] * on.seasonal_factor[0])


def test_plan_gives_reason_stockout_date_and_prefers_transfer_from_surplus() -> None:
    keys = [("SKU1", "WH1"), ("SKU1", "WH2"), ("SKU2", "WH1")]
    fc = forecast(_constant(10.0, n=3), keys=keys)
    p = PolicyInputs(lead_time_days=7, pack_size=1)
    stock = StockArrays(on_hand=np.array([30.0, 5000.0, 40.0]))
    result = plan(fc, p, stock, TODAY, suppliers=["ACME", "ACME", "BOLT"])
    by_key = {(s.sku, s.warehouse): s for s in result.suggestions}
    assert set(by_key) == {("SKU1", "WH1"), ("SKU2", "WH1")}
    transfer = by_key[("SKU1", "WH1")]
    assert transfer.kind is SuggestionKind.TRANSFER and transfer.source == "WH2"
    buy = by_key[("SKU2", "WH1")]
    assert buy.kind is SuggestionKind.PURCHASE and buy.source == "BOLT"
    assert buy.days_of_supply == pytest.approx(4.0)
    assert buy.stockout_date == date(2025, 3, 4)  # 40 units at 10/day: gone on day 4
    assert "reorder point 70.0" in buy.reason and "projected stock-out 2025-03-04" in buy.reason


def test_pick_face_from_reserve_in_whole_packs() -> None:
    faces = [
        PickFace("S1", "WH1", "A-01-01", 3, 5, 40, "R-10-02", 100, pack_size=12),
        PickFace("S2", "WH1", "A-01-02", 30, 5, 40, "R-10-03", 100),  # above min
        PickFace("S3", "WH1", "A-01-03", 0, 5, 40, "R-10-04", 0),  # nothing in reserve
    ]
    out = plan_pick_faces(faces, TODAY)
    assert len(out) == 1
    assert out[0].quantity == 36.0  # room 37 → 3 packs of 12
    assert (out[0].source, out[0].to_location) == ("R-10-02", "A-01-01")


def test_suggestion_life_cycle_and_drafts_export() -> None:
    keys = [("SKU1", "WH1"), ("SKU2", "WH1"), ("SKU3", "WH1")]
    fc = forecast(_constant(10.0, n=3), keys=keys)
    p = PolicyInputs(lead_time_days=7, unit_cost=np.array([2.0, 3.0, 4.0]))
    sugg = plan(fc, p, StockArrays(np.zeros(3)), TODAY, suppliers=["ACME", "ACME", "BOLT"])
    s1, s2, s3 = (sugg.suggestions[i] for i in range(3))
    s1 = accept(edit(s1, 500, note="promo"))
    assert s1.state is SuggestionState.ACCEPTED and s1.quantity == 500
    assert s1.suggested_quantity != 500
    s2 = reject(s2, "discontinued")
    s3 = accept(s3)
    with pytest.raises(SuggestionStateError, match="already accepted"):
        edit(s1, 10)
    with pytest.raises(SuggestionStateError, match="positive"):
        edit(sugg.suggestions[0], -3)
    drafts = build_drafts([s1, s2, s3], TODAY)
    assert [(d.source, [line.sku for line in d.lines]) for d in drafts] == [
        ("ACME", ["SKU1"]), ("BOLT", ["SKU3"])]
    rows = list(csv.DictReader(io.StringIO(drafts_to_csv(drafts))))
    assert rows[0]["sku"] == "SKU1" and rows[0]["quantity"] == "500" and rows[0]["amount"] == "1000"
    doc = json.loads(drafts_to_json(drafts))
    assert doc["drafts"][0]["total"] == 1000
    assert doc["drafts"][1]["lines"][0]["unit_cost"] == 4
