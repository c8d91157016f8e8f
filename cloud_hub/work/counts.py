"""Cycle counts: which locations are due, what a counter should have found given the moves
made while the count ran, and what a variance leads to.

Rule kept here: the expected quantity is the snapshot at count creation plus every move that
happened (by occurred_at) after the snapshot and up to the moment of counting; a variance
within the threshold is posted at once, a larger one waits for a supervisor or a recount.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from cloud_hub.work.model import ZERO

DEFAULT_INTERVALS: Mapping[str, timedelta] = {
    "A": timedelta(days=30),  # monthly
    "B": timedelta(days=91),  # quarterly
    "C": timedelta(days=365),  # yearly
}


@dataclass(frozen=True, slots=True)
class CountRequest:
    """One location (optionally one SKU in it) to count, and why."""

    location: str
    sku: str | None
    why: str  # "abc:A", "location", "on_demand", "short_pick", "recount"


def plan_by_class(classes: Mapping[str, str], stock_locations: Mapping[str, Iterable[str]],
                  last_counted: Mapping[tuple[str, str], date], today: date,
                  intervals: Mapping[str, timedelta] = DEFAULT_INTERVALS) -> list[CountRequest]:
    """Counts due per SKU class (A monthly, B quarterly, C yearly by default): every location
    holding a SKU whose last count there is older than its class interval (or never)."""
    due: list[CountRequest] = []
    for sku in sorted(classes):
        interval = intervals.get(classes[sku])
        if interval is None:
            continue
        for loc in sorted(set(stock_locations.get(sku, ()))):
            last = last_counted.get((loc, sku))
            if last is None or today - last >= interval:
                due.append(CountRequest(loc, sku, f"abc:{classes[sku]}"))
    return due


def plan_by_location(intervals: Mapping[str, timedelta], last_counted: Mapping[str, date],
                     today: date) -> list[CountRequest]:
    """Counts due per location with its own frequency (whole location, every SKU in it)."""
    return [CountRequest(loc, None, "location") for loc in sorted(intervals)
            if (last := last_counted.get(loc)) is None or today - last >= intervals[loc]]


@dataclass(frozen=True, slots=True)
class MoveDelta:
    """A change to the counted balance (+ in, − out) and when it happened."""

    occurred_at: datetime
    delta: Decimal


def expected_at(snapshot: Decimal, snapshot_at: datetime, moves: Iterable[MoveDelta],
                counted_at: datetime) -> Decimal:
    """What the bin should have held when it was counted: moves after the snapshot and up to
    the count are in; moves after the count are not (the counter could not see them)."""
    return snapshot + sum((m.delta for m in moves if snapshot_at < m.occurred_at <= counted_at),
                          ZERO)


@dataclass(frozen=True, slots=True)
class VarianceRule:
    max_units: Decimal = Decimal(2)
    max_share: Decimal = Decimal("0.05")  # of the expected quantity

    def within(self, expected: Decimal, variance: Decimal) -> bool:
        size = abs(variance)
        return size <= self.max_units or (expected > ZERO and size / expected <= self.max_share)


class CountAction(StrEnum):
    NONE = "none"  # counted what was expected
    ADJUST = "adjust"  # post the variance as an adjustment now
    REVIEW = "review"  # supervisor approval or a recount needed


@dataclass(frozen=True, slots=True)
class CountOutcome:
    expected: Decimal
    counted: Decimal
    variance: Decimal
    action: CountAction

    @property
    def exact(self) -> bool:
        return self.variance == ZERO


def evaluate(expected: Decimal, counted: Decimal, rule: VarianceRule) -> CountOutcome:
    variance = counted - expected
    if variance == ZERO:
        action = CountAction.NONE
    elif rule.within(expected, variance):
        action = CountAction.ADJUST
    else:
        action = CountAction.REVIEW
    return CountOutcome(expected, counted, variance, action)


def accuracy(outcomes: Iterable[CountOutcome]) -> Decimal | None:
    """Share of counts that found exactly what was expected (None when never counted)."""
    seen = list(outcomes)
    if not seen:
        return None
    return Decimal(sum(1 for o in seen if o.exact)) / Decimal(len(seen))
