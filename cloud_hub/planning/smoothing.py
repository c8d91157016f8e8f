"""Exponential smoothing and intermittent-demand recursions, vectorised over many series.

Every function walks a (days, series) matrix once, one numpy step per day, and returns the
final state plus the rolling one-step error statistics (forecast made *before* each day minus
that day's demand); no function here chooses a model or reads anything but its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray


@dataclass(frozen=True)
class OneStepErrors:
    """Rolling one-step forecast errors per series (error = forecast - actual)."""

    abs_sum: FloatArray
    sum: FloatArray
    sq_sum: FloatArray
    count: FloatArray

    @property
    def mae(self) -> FloatArray:
        return np.divide(self.abs_sum, self.count, out=np.zeros_like(self.abs_sum),
                         where=self.count > 0)

    @property
    def bias(self) -> FloatArray:
        """Mean error: positive means the model over-forecast."""
        return np.divide(self.sum, self.count, out=np.zeros_like(self.sum), where=self.count > 0)

    @property
    def rmse(self) -> FloatArray:
        mse = np.divide(self.sq_sum, self.count, out=np.zeros_like(self.sq_sum),
                        where=self.count > 0)
        return np.sqrt(mse)


class _ErrorAccumulator:
    """Adds up one-step errors from day `start` on, only where a forecast exists."""

    def __init__(self, n: int, start: int) -> None:
        self.start = start
        self.abs_sum = np.zeros(n)
        self.sum = np.zeros(n)
        self.sq_sum = np.zeros(n)
        self.count = np.zeros(n)

    def add(self, t: int, forecast: FloatArray, actual: FloatArray,
            valid: FloatArray | None = None) -> None:
        if t < self.start:
            return
        err = forecast - actual
        if valid is not None:
            err = np.where(valid, err, 0.0)
            self.count += valid
        else:
            self.count += 1.0
        self.sum += err
        self.abs_sum += np.abs(err)
        self.sq_sum += err * err

    def result(self) -> OneStepErrors:
        return OneStepErrors(self.abs_sum, self.sum, self.sq_sum, self.count)


@dataclass(frozen=True)
class EsState:
    """State after the last day: forecast for day T+h is
    level + (phi + ... + phi^h)·trend + season[(phase + h - 1) % period]."""

    level: FloatArray
    trend: FloatArray
    season: FloatArray  # (period, series); zeros when the model has no season
    phase: int  # index into `season` of the first day after the history


def _default_init(y: FloatArray, period: int, trend: bool, seasonal: bool
                  ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Robust starting values from the first weeks (first value alone is too noisy daily)."""
    days, n = y.shape
    w = max(1, min(period, days))
    level = y[:w].mean(axis=0)
    slope = np.zeros(n)
    if trend and days >= 2 * w:
        slope = (y[w:2 * w].mean(axis=0) - level) / w
    season = np.zeros((period, n))
    if seasonal and days >= period:
        season = y[:period] - y[:period].mean(axis=0)
    return level, slope, season


def exp_smoothing(
    y: FloatArray,
    alpha: float,
    beta: float | None = None,
    gamma: float | None = None,
    *,
    period: int = 7,
    phi: float = 1.0,
    start: int = 0,
    init: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    keep_fitted: bool = False,
) -> tuple[EsState, OneStepErrors, FloatArray | None]:
    """Additive exponential smoothing (SES; Holt's trend with `beta`, damped by `phi`;
    additive season of `period` days with `gamma`), in the error-correction form of
    Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* §8.

    `init` = (level, trend, season[period, n]) before day 0; `season[k]` is the index of the
    day congruent to k. Returns the state, the one-step errors from day `start` on, and the
    one-step fitted values (days, n) when `keep_fitted`.
    """
    y = np.asarray(y, dtype=float)
    days, n = y.shape
    has_trend, has_season = beta is not None, gamma is not None
    level, slope, season = init if init is not None else _default_init(
        y, period, has_trend, has_season)
    level = np.array(level, dtype=float, copy=True).reshape(n)
    slope = np.array(slope, dtype=float, copy=True).reshape(n) if has_trend else np.zeros(n)
    m = period if has_season else 1
    season = (np.array(season, dtype=float, copy=True).reshape(period, n)[:m]
              if has_season else np.zeros((1, n)))
    acc = _ErrorAccumulator(n, start)
    fitted = np.empty((days, n)) if keep_fitted else None
    for t in range(days):
        yt = y[t]
        s_old = season[t % m]
        damped = phi * slope if has_trend else 0.0
        base = level + damped
        forecast = base + s_old
        if fitted is not None:
            fitted[t] = forecast
        acc.add(t, forecast, yt)
        new_level = alpha * (yt - s_old) + (1.0 - alpha) * base
        if has_trend:
            slope = beta * (new_level - level) + (1.0 - beta) * damped
        if has_season:
            season[t % m] = gamma * (yt - base) + (1.0 - gamma) * s_old
        level = new_level
    out_season = season if has_season else np.zeros((period, n))
    return EsState(level, slope, out_season, days % m if has_season else 0), acc.result(), fitted


@dataclass(frozen=True)
class IntermittentState:
    """Croston-family state: demand size `size`, interval `interval` (Croston/SBA) or
    probability of demand `probability` (TSB); `seen` is False until the first demand."""

    size: FloatArray
    interval: FloatArray
    probability: FloatArray
    seen: FloatArray


def croston(
    y: FloatArray, alpha: float, *, sba: bool = False, start: int = 0,
    keep_fitted: bool = False,
) -> tuple[FloatArray, IntermittentState, OneStepErrors, FloatArray | None]:
    """Croston's method (1972); with `sba` the Syntetos-Boylan (2005) bias correction
    (1 - alpha/2). Sizes and intervals are smoothed only on demand days; both start from the
    first demand and the periods up to it. Before the first demand there is no forecast (NaN,
    not counted in the errors). Returns (forecast per day after the history, state, errors,
    fitted)."""
    y = np.asarray(y, dtype=float)
    days, n = y.shape
    factor = 1.0 - alpha / 2.0 if sba else 1.0
    size, interval = np.zeros(n), np.ones(n)
    since = np.ones(n)  # periods since the last demand, counting today
    seen = np.zeros(n, dtype=bool)
    acc = _ErrorAccumulator(n, start)
    fitted = np.empty((days, n)) if keep_fitted else None
    for t in range(days):
        yt = y[t]
        forecast = factor * size / interval
        if fitted is not None:
            fitted[t] = np.where(seen, forecast, np.nan)
        acc.add(t, forecast, yt, seen)
        demand = yt > 0
        first = demand & ~seen
        update = demand & seen
        size = np.where(first, yt, np.where(update, size + alpha * (yt - size), size))
        interval = np.where(first, since,
                            np.where(update, interval + alpha * (since - interval), interval))
        seen = seen | demand
        since = np.where(demand, 1.0, since + 1.0)
    final = np.where(seen, factor * size / interval, 0.0)
    state = IntermittentState(size, interval, 1.0 / interval, seen.astype(float))
    return final, state, acc.result(), fitted


def tsb(
    y: FloatArray, alpha: float, beta: float, *, start: int = 0, keep_fitted: bool = False,
) -> tuple[FloatArray, IntermittentState, OneStepErrors, FloatArray | None]:
    """Teunter-Syntetos-Babai (2011): the probability of demand is smoothed every day (so a
    dying item's forecast decays), the size only on demand days. Starts at the first demand
    with size = that demand and probability = 1 / periods up to it."""
    y = np.asarray(y, dtype=float)
    days, n = y.shape
    size, prob = np.zeros(n), np.zeros(n)
    since = np.ones(n)
    seen = np.zeros(n, dtype=bool)
    acc = _ErrorAccumulator(n, start)
    fitted = np.empty((days, n)) if keep_fitted else None
    for t in range(days):
        yt = y[t]
        forecast = prob * size
        if fitted is not None:
            fitted[t] = np.where(seen, forecast, np.nan)
        acc.add(t, forecast, yt, seen)
        demand = yt > 0
        first = demand & ~seen
        size = np.where(first, yt, np.where(demand & seen, size + alpha * (yt - size), size))
        prob = np.where(first, 1.0 / since,
                        np.where(seen, prob + beta * (demand - prob), prob))
        seen = seen | demand
        since = np.where(demand, 1.0, since + 1.0)
    final = np.where(seen, prob * size, 0.0)
    state = IntermittentState(size, np.divide(1.0, prob, out=np.full(n, np.inf),
                                              where=prob > 0), prob, seen.astype(float))
    return final, state, acc.result(), fitted
