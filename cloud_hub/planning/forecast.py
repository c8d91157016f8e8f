"""Per-series demand forecasts: classify the demand pattern (ADI / CV²), pick the model it calls
for, fit it over all series of that pattern at once, and keep each series' one-step error.

Rule kept here: a model is only offered where the history supports it (trend from
`min_days_trend` days, a season from `min_seasons` full seasons); the best-fitting offered
variant (lowest one-step squared error) wins. Forecasts are never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from cloud_hub.planning.smoothing import croston as croston_fit
from cloud_hub.planning.smoothing import exp_smoothing
from cloud_hub.planning.smoothing import tsb as tsb_fit


class Pattern(IntEnum):
    """Syntetos-Boylan-Croston (2005) demand categories; NONE = no demand in the history."""

    NONE = 0
    SMOOTH = 1
    ERRATIC = 2
    INTERMITTENT = 3
    LUMPY = 4


class Model(IntEnum):
    ZERO = 0
    SES = 1
    HOLT = 2  # damped additive trend
    SEASONAL = 3  # SES level + additive season
    HOLT_WINTERS = 4  # damped trend + additive season
    CROSTON = 5
    SBA = 6
    TSB = 7


@dataclass(frozen=True)
class ForecastConfig:
    adi_cutoff: float = 1.32
    cv2_cutoff: float = 0.49
    period: int = 7  # days in a season (weekly pattern of a warehouse)
    ses_alphas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3, 0.5)
    holt_params: tuple[tuple[float, float], ...] = ((0.1, 0.05), (0.3, 0.1))
    seasonal_params: tuple[tuple[float, float], ...] = ((0.1, 0.05), (0.2, 0.1))
    phi: float = 0.98
    min_days_trend: int = 28
    min_seasons: int = 3
    warmup_days: int = 14  # one-step errors counted from this day on
    croston_alpha: float = 0.1
    tsb_alpha: float = 0.1
    tsb_beta: float = 0.05
    erratic_model: Model = Model.SES
    intermittent_model: Model = Model.SBA
    lumpy_model: Model = Model.TSB

    def __post_init__(self) -> None:
        if self.period < 1 or self.warmup_days < 0:
            raise ValueError("period must be >= 1 and warmup_days >= 0")
        for a in (*self.ses_alphas, self.croston_alpha, self.tsb_alpha, self.tsb_beta):
            if not 0.0 < a <= 1.0:
                raise ValueError(f"smoothing parameter {a} is not in (0, 1]")


@dataclass(frozen=True)
class DemandPatterns:
    adi: np.ndarray  # average inter-demand interval (days per demand day)
    cv2: np.ndarray  # squared coefficient of variation of the non-zero demand sizes
    pattern: np.ndarray  # Pattern codes (int8)


def classify_demand(y: np.ndarray, adi_cutoff: float = 1.32, cv2_cutoff: float = 0.49
                    ) -> DemandPatterns:
    """ADI = days / demand days; CV² over the non-zero sizes (0 with fewer than two)."""
    y = np.asarray(y, dtype=float)
    days = y.shape[0]
    nonzero = y > 0
    k = nonzero.sum(axis=0).astype(float)
    total = y.sum(axis=0)
    sq = np.einsum("ij,ij->j", y, y)
    safe_k = np.maximum(k, 1.0)
    mean = total / safe_k
    var = np.maximum(sq / safe_k - mean * mean, 0.0)
    cv2 = np.where(k >= 2, np.divide(var, mean * mean, out=np.zeros_like(var), where=mean > 0),
                   0.0)
    adi = np.where(k > 0, days / safe_k, np.inf)
    intermittent = adi >= adi_cutoff
    erratic = cv2 >= cv2_cutoff
    pattern = np.select(
        [k == 0, ~intermittent & ~erratic, ~intermittent & erratic, intermittent & ~erratic],
        [Pattern.NONE, Pattern.SMOOTH, Pattern.ERRATIC, Pattern.INTERMITTENT],
        default=Pattern.LUMPY,
    ).astype(np.int8)
    return DemandPatterns(adi, cv2, pattern)


@dataclass(frozen=True)
class Forecasts:
    """Fitted state per series, enough to forecast any horizon, plus one-step error figures."""

    keys: tuple[object, ...]
    pattern: np.ndarray
    model: np.ndarray
    level: np.ndarray
    trend: np.ndarray
    season: np.ndarray  # (period, n)
    phase: np.ndarray  # per series: season index of the first day after the history
    phi: float
    mae: np.ndarray
    bias: np.ndarray
    rmse: np.ndarray
    adi: np.ndarray
    cv2: np.ndarray
    period: int = 7
    meta: dict[str, float] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.keys)

    def path(self, horizon: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Daily forecasts (horizon, n) for days T+1..T+horizon, clipped at zero."""
        sel = slice(None) if rows is None else rows
        h = np.arange(1, horizon + 1, dtype=float)[:, None]
        damp = h if self.phi == 1.0 else self.phi * (1 - self.phi ** h) / (1 - self.phi)
        idx = (self.phase[sel][None, :] + np.arange(horizon)[:, None]) % self.period
        seasonal = np.take_along_axis(self.season[:, sel], idx, axis=0)
        out = self.level[sel][None, :] + damp * self.trend[sel][None, :] + seasonal
        return np.maximum(out, 0.0)

    def daily_rate(self) -> np.ndarray:
        """The de-seasonalised demand per day now (level, never negative)."""
        return np.maximum(self.level, 0.0)


def _fit_es_family(y: np.ndarray, cfg: ForecastConfig, allow_trend: bool, allow_season: bool
                   ) -> dict[str, np.ndarray]:
    """Fit every offered ES variant; keep, per series, the one with the lowest one-step MSE."""
    days, n = y.shape
    best: dict[str, np.ndarray] = {
        "mse": np.full(n, np.inf), "model": np.zeros(n, np.int8), "level": np.zeros(n),
        "trend": np.zeros(n), "season": np.zeros((cfg.period, n)), "phase": np.zeros(n, np.int64),
        "mae": np.zeros(n), "bias": np.zeros(n), "rmse": np.zeros(n),
    }
    variants: list[tuple[Model, float, float | None, float | None]] = [
        (Model.SES, a, None, None) for a in cfg.ses_alphas]
    if allow_trend:
        variants += [(Model.HOLT, a, b, None) for a, b in cfg.holt_params]
    if allow_season:
        variants += [(Model.SEASONAL, a, None, g) for a, g in cfg.seasonal_params]
        if allow_trend:
            variants += [(Model.HOLT_WINTERS, a, cfg.holt_params[0][1], g)
                         for a, g in cfg.seasonal_params]
    start = min(cfg.warmup_days, max(days - 1, 0))
    for model, alpha, beta, gamma in variants:
        state, err, _ = exp_smoothing(y, alpha, beta, gamma, period=cfg.period,
                                      phi=cfg.phi if beta is not None else 1.0, start=start)
        mse = err.rmse ** 2
        win = mse < best["mse"] - 1e-12
        best["mse"] = np.where(win, mse, best["mse"])
        best["model"] = np.where(win, np.int8(model), best["model"])
        best["level"] = np.where(win, state.level, best["level"])
        best["trend"] = np.where(win, state.trend, best["trend"])
        best["season"] = np.where(win[None, :], state.season, best["season"])
        best["phase"] = np.where(win, state.phase, best["phase"])
        for name in ("mae", "bias", "rmse"):
            best[name] = np.where(win, getattr(err, name), best[name])
    return best


def _fit_intermittent(y: np.ndarray, model: Model, cfg: ForecastConfig) -> dict[str, np.ndarray]:
    start = min(cfg.warmup_days, max(y.shape[0] - 1, 0))
    if model is Model.TSB:
        final, _, err, _ = tsb_fit(y, cfg.tsb_alpha, cfg.tsb_beta, start=start)
    elif model in (Model.CROSTON, Model.SBA):
        final, _, err, _ = croston_fit(y, cfg.croston_alpha, sba=model is Model.SBA, start=start)
    else:
        raise ValueError(f"{model.name} is not an intermittent-demand model")
    n = y.shape[1]
    return {"model": np.full(n, model, np.int8), "level": final, "mae": err.mae,
            "bias": err.bias, "rmse": err.rmse}


def forecast(y: np.ndarray, keys: Sequence[object] | None = None,
             cfg: ForecastConfig | None = None) -> Forecasts:
    """Forecast every column of `y` (days × series of daily demand, oldest day first)."""
    cfg = cfg or ForecastConfig()
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise ValueError("demand must be a (days, series) matrix")
    if not np.isfinite(y).all() or (y < 0).any():
        raise ValueError("demand must be finite and not negative")
    days, n = y.shape
    keys = tuple(keys) if keys is not None else tuple(range(n))
    if len(keys) != n:
        raise ValueError(f"{len(keys)} keys for {n} series")
    pats = classify_demand(y, cfg.adi_cutoff, cfg.cv2_cutoff)
    out = {
        "model": np.zeros(n, np.int8), "level": np.zeros(n), "trend": np.zeros(n),
        "season": np.zeros((cfg.period, n)), "phase": np.zeros(n, np.int64),
        "mae": np.zeros(n), "bias": np.zeros(n), "rmse": np.zeros(n),
    }

    def put(rows: np.ndarray, part: dict[str, np.ndarray]) -> None:
        for name, values in part.items():
            if name == "season":
                out[name][:, rows] = values
            elif name in out:
                out[name][rows] = values

    if days == 0:
        return _assemble(keys, pats, out, cfg)
    smooth = np.flatnonzero(pats.pattern == Pattern.SMOOTH)
    if smooth.size:
        put(smooth, _fit_es_family(y[:, smooth], cfg, days >= cfg.min_days_trend,
                                   days >= cfg.min_seasons * cfg.period))
    erratic = np.flatnonzero(pats.pattern == Pattern.ERRATIC)
    if erratic.size:
        if cfg.erratic_model in (Model.CROSTON, Model.SBA, Model.TSB):
            put(erratic, _fit_intermittent(y[:, erratic], cfg.erratic_model, cfg))
        else:
            put(erratic, _fit_es_family(y[:, erratic], cfg, False, False))
    for pattern, model in ((Pattern.INTERMITTENT, cfg.intermittent_model),
                           (Pattern.LUMPY, cfg.lumpy_model)):
        rows = np.flatnonzero(pats.pattern == pattern)
        if rows.size:
            put(rows, _fit_intermittent(y[:, rows], model, cfg))
    return _assemble(keys, pats, out, cfg)


def _assemble(keys: tuple[object, ...], pats: DemandPatterns, out: dict[str, np.ndarray],
              cfg: ForecastConfig) -> Forecasts:
    return Forecasts(
        keys=keys, pattern=pats.pattern, model=out["model"], level=out["level"],
        trend=out["trend"], season=out["season"], phase=out["phase"], phi=cfg.phi,
        mae=out["mae"], bias=out["bias"], rmse=out["rmse"], adi=pats.adi, cv2=pats.cv2,
        period=cfg.period,
    )
