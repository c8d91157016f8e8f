"""Forecast maths against hand-computed cases, statsmodels, and the model choice per pattern."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.tsa.holtwinters import ExponentialSmoothing, SimpleExpSmoothing

from cloud_hub.planning.forecast import ForecastConfig, Model, Pattern, classify_demand, forecast
from cloud_hub.planning.smoothing import croston, exp_smoothing, tsb

INTERMITTENT = np.array([0, 0, 3, 0, 0, 0, 2, 0, 4], dtype=float)


def col(values: list[float] | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=float)[:, None]


def test_ses_by_hand() -> None:
    # alpha 0.5 from level 3: forecasts 3, 3, 4, 4 for demand 3, 5, 4, 6; final level 5.
    state, err, fitted = exp_smoothing(col([3, 5, 4, 6]), 0.5, init=(
        np.array([3.0]), np.zeros(1), np.zeros((7, 1))), keep_fitted=True)
    assert fitted is not None
    assert fitted[:, 0].tolist() == [3.0, 3.0, 4.0, 4.0]
    assert state.level[0] == pytest.approx(5.0)
    assert err.mae[0] == pytest.approx(1.0)
    assert err.bias[0] == pytest.approx(-1.0)  # under-forecast by 1 on average
    assert err.rmse[0] == pytest.approx(np.sqrt(2.0))


def _series(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    season = np.tile([0, 1, 2, 3, -1, -2, -3], 9)[:60]
    return 10 + np.arange(60) * 0.1 + season + rng.normal(0, 1, 60)


def test_ses_matches_statsmodels() -> None:
    y = _series()
    ref = SimpleExpSmoothing(y, initialization_method="known", initial_level=y[0]).fit(
        smoothing_level=0.3, optimized=False)
    state, _, fitted = exp_smoothing(col(y), 0.3, init=(y[:1], np.zeros(1), np.zeros((7, 1))),
                                     keep_fitted=True)
    assert fitted is not None
    np.testing.assert_allclose(fitted[:, 0], ref.fittedvalues, atol=1e-9)
    assert state.level[0] == pytest.approx(ref.forecast(1)[0])


def test_damped_holt_winters_matches_statsmodels() -> None:
    y = _series()
    s0 = np.array([0, 1, 2, 3, -1, -2, -3], dtype=float)
    ref = ExponentialSmoothing(
        y, trend="add", damped_trend=True, seasonal="add", seasonal_periods=7,
        initialization_method="known", initial_level=10, initial_trend=0.1,
        initial_seasonal=s0,
    ).fit(smoothing_level=0.3, smoothing_trend=0.1, smoothing_seasonal=0.2, damping_trend=0.9,
          optimized=False)
    state, _, fitted = exp_smoothing(col(y), 0.3, 0.1, 0.2, phi=0.9, init=(
        np.array([10.0]), np.array([0.1]), s0[:, None]), keep_fitted=True)
    assert fitted is not None
    np.testing.assert_allclose(fitted[:, 0], ref.fittedvalues, atol=1e-9)
    h = np.arange(1, 4)
    damp = 0.9 * (1 - 0.9 ** h) / (1 - 0.9)
    ours = state.level + damp * state.trend + state.season[(state.phase + h - 1) % 7, 0]
    np.testing.assert_allclose(ours, ref.forecast(3), atol=1e-9)


def test_croston_and_sba_by_hand() -> None:
    # First demand 3 after 3 periods; then 2 after 4 (size 2.5, interval 3.5);
    # then 4 after 2 (size 3.25, interval 2.75) with alpha 0.5.
    final, state, err, fitted = croston(col(INTERMITTENT), 0.5, keep_fitted=True)
    assert state.size[0] == pytest.approx(3.25)
    assert state.interval[0] == pytest.approx(2.75)
    assert final[0] == pytest.approx(3.25 / 2.75)
    assert fitted is not None
    assert np.isnan(fitted[:3, 0]).all()  # no forecast before the first demand
    np.testing.assert_allclose(fitted[3:, 0], [1, 1, 1, 1, 2.5 / 3.5, 2.5 / 3.5])
    assert err.count[0] == 6
    sba, *_ = croston(col(INTERMITTENT), 0.5, sba=True)
    assert sba[0] == pytest.approx(0.75 * 3.25 / 2.75)


def test_tsb_by_hand() -> None:
    # probability 1/3 at the first demand, halved on each zero day, pulled up on demand days.
    final, state, _, _ = tsb(col(INTERMITTENT), 0.5, 0.5)
    assert state.size[0] == pytest.approx(3.25)
    assert state.probability[0] == pytest.approx(121 / 192)
    assert final[0] == pytest.approx(3.25 * 121 / 192)


def test_tsb_forecast_decays_when_demand_stops_but_croston_does_not() -> None:
    y = col([5, 0, 5, 0, 5] + [0] * 60)
    assert tsb(y, 0.1, 0.1)[0][0] < 0.05
    # Croston keeps its last estimate (size 5, interval 1 → 1.1 → 1.19) however long the gap.
    assert croston(y, 0.1)[0][0] == pytest.approx(5 / 1.19)


def test_demand_patterns_follow_adi_and_cv2_cutoffs() -> None:
    y = np.column_stack([
        np.full(20, 10.0),  # smooth
        np.tile([1.0, 30.0], 10),  # erratic: every day, sizes vary a lot
        np.tile([0.0, 0.0, 5.0, 0.0], 5),  # intermittent: ADI 4, constant size
        np.tile([0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 40.0, 0.0, 0.0], 2),  # lumpy
        np.zeros(20),
    ])
    p = classify_demand(y)
    assert p.pattern.tolist() == [Pattern.SMOOTH, Pattern.ERRATIC, Pattern.INTERMITTENT,
                                  Pattern.LUMPY, Pattern.NONE]
    assert p.adi[2] == pytest.approx(4.0)
    assert p.cv2[0] == 0.0


def test_model_choice_per_pattern_and_history() -> None:
    rng = np.random.default_rng(7)
    days = 140
    weekly = 30 + 6 * np.tile([1, 1, 1, 1, 0, -2, -3], days // 7) + rng.normal(0, 1, days)
    flat = 20 + rng.normal(0, 1, days)
    inter = (rng.random(days) < 0.25) * 6.0
    y = np.column_stack([weekly, flat, inter, np.zeros(days)])
    fc = forecast(y, keys=["w", "f", "i", "z"])
    assert fc.model[0] in (Model.SEASONAL, Model.HOLT_WINTERS)
    assert fc.model[1] in (Model.SES, Model.HOLT, Model.SEASONAL, Model.HOLT_WINTERS)
    assert fc.model[2] == Model.SBA
    assert fc.model[3] == Model.ZERO and fc.level[3] == 0
    # The seasonal model tracks the weekly shape much better than a flat line would.
    assert fc.mae[0] < 0.5 * np.abs(weekly - weekly.mean()).mean()
    path = fc.path(7)[:, 0]
    assert path.max() - path.min() > 15  # the forecast keeps the weekly swing (24)
    # Short history: no season offered.
    short = forecast(y[:14], cfg=ForecastConfig())
    assert short.model[0] == Model.SES


def test_each_series_is_fitted_independently() -> None:
    rng = np.random.default_rng(3)
    y = np.column_stack([rng.poisson(5, 90), (rng.random(90) < 0.3) * rng.poisson(4, 90)])
    both = forecast(y.astype(float))
    alone = forecast(y[:, 1:].astype(float))
    assert both.level[1] == pytest.approx(alone.level[0])
    assert both.rmse[1] == pytest.approx(alone.rmse[0])


def test_forecast_rejects_bad_demand() -> None:
    with pytest.raises(ValueError, match="not negative"):
        forecast(np.array([[1.0, -1.0]]))
    with pytest.raises(ValueError, match="finite"):
        forecast(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="keys"):
        forecast(np.ones((5, 2)), keys=["only-one"])
