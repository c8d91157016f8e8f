"""Report periods: a day, an ISO week or a calendar month, as [start, end) UTC dates.

Rule kept here: periods never overlap and leave no gap, so one period's closing is the next
one's opening.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"  # ISO: Monday to Sunday
    MONTH = "month"


def bounds(period: Period, on: date) -> tuple[date, date]:
    """The period holding `on`: its first day and the first day after it."""
    if period is Period.DAY:
        return on, on + timedelta(days=1)
    if period is Period.WEEK:
        start = on - timedelta(days=on.weekday())
        return start, start + timedelta(days=7)
    start = on.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)
