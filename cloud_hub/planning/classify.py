"""ABC classification by consumption value, XYZ by demand variability, and the cycle-count
frequency each ABC class calls for.

Rule kept here: an item belongs to the class whose cumulative-value band it *starts* in, so the
single item that dominates the value is always A; items with no consumption are C (and Z).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class AbcClass(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class XyzClass(StrEnum):
    X = "X"  # steady
    Y = "Y"  # varies
    Z = "Z"  # erratic or no demand


@dataclass(frozen=True)
class AbcThresholds:
    """Shares of total consumption value: A takes the first `a`, B the next `b`, C the rest."""

    a: float = 0.80
    b: float = 0.15

    def __post_init__(self) -> None:
        if not (0 < self.a < 1 and self.b >= 0 and self.a + self.b <= 1):
            raise ValueError("ABC thresholds need 0 < a < 1, b >= 0 and a + b <= 1 "
                             f"(got a={self.a}, b={self.b})")


@dataclass(frozen=True)
class XyzThresholds:
    """Coefficient of variation of demand per period: X up to `x`, Y up to `y`, Z above."""

    x: float = 0.5
    y: float = 1.0

    def __post_init__(self) -> None:
        if not 0 <= self.x <= self.y:
            raise ValueError(f"XYZ thresholds need 0 <= x <= y (got x={self.x}, y={self.y})")


def abc_classes(consumption_value: np.ndarray, t: AbcThresholds | None = None) -> np.ndarray:
    """ABC class per item ('A' / 'B' / 'C' strings, aligned with the input)."""
    t = t or AbcThresholds()
    value = np.asarray(consumption_value, dtype=float)
    if (value < 0).any() or not np.isfinite(value).all():
        raise ValueError("consumption values must be finite and not negative")
    out = np.full(value.shape, AbcClass.C.value, dtype="<U1")
    total = value.sum()
    if total <= 0:
        return out
    order = np.argsort(-value, kind="stable")
    share_before = (np.cumsum(value[order]) - value[order]) / total
    ranked = np.where(share_before < t.a - 1e-12, "A",
                      np.where(share_before < t.a + t.b - 1e-12, "B", "C"))
    ranked = np.where(value[order] > 0, ranked, "C")
    out[order] = ranked
    return out


def demand_cv(demand: np.ndarray, bucket_days: int = 7) -> np.ndarray:
    """CV (std / mean) of demand per `bucket_days` bucket; demand is (days, items).
    Only whole buckets count (the oldest partial bucket is dropped); inf without demand."""
    y = np.asarray(demand, dtype=float)
    days = y.shape[0]
    whole = days // bucket_days
    if whole == 0:
        return np.full(y.shape[1], np.inf)
    buckets = y[days - whole * bucket_days:].reshape(whole, bucket_days, -1).sum(axis=1)
    mean = buckets.mean(axis=0)
    std = buckets.std(axis=0)
    return np.divide(std, mean, out=np.full(mean.shape, np.inf), where=mean > 0)


def xyz_classes(cv: np.ndarray, t: XyzThresholds | None = None) -> np.ndarray:
    t = t or XyzThresholds()
    cv = np.asarray(cv, dtype=float)
    return np.where(cv <= t.x, "X", np.where(cv <= t.y, "Y", "Z")).astype("<U1")


COUNT_INTERVAL_DAYS: dict[AbcClass, int] = {AbcClass.A: 30, AbcClass.B: 91, AbcClass.C: 365}


def count_interval_days(abc: AbcClass | str,
                        intervals: dict[AbcClass, int] | None = None) -> int:
    """Days between cycle counts for an ABC class: A monthly, B quarterly, C yearly."""
    try:
        cls = AbcClass(str(abc).upper())
    except ValueError:
        raise ValueError(f"unknown ABC class {abc!r} (expected A, B or C)") from None
    return (intervals or COUNT_INTERVAL_DAYS)[cls]


def counts_per_year(abc: AbcClass | str) -> float:
    return round(365 / count_interval_days(abc), 1)
