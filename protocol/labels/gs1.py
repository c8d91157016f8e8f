"""GS1 syntax rules shared by the label reader and the device emulators: pure, no parsing.

Rule kept here: each rule is one small function or table citing the GS1 General
Specifications (GenSpecs) section or GS1 Barcode Syntax Dictionary entry it implements.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, datetime

GS = "\x1d"  # FNC1 as a scanner transmits it between element strings (GenSpecs §7.8.5)

# GenSpecs Figure 7.8.5-2: AIs starting with these two digits have a predefined length, so no
# FNC1 separator follows them; every other element string ends with one unless it is last.
PREDEFINED_LENGTH = frozenset({
    "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
    "31", "32", "33", "34", "35", "36", "41",
})

# GS1 keys that end in a mod-10 check digit (Syntax Dictionary "csum"): AI -> (start, length)
# of the checked digits within the AI's data field.
CHECKED_KEYS: dict[str, tuple[int, int]] = {
    "00": (0, 18), "01": (0, 14), "02": (0, 14), "253": (0, 13), "255": (0, 13),
    "402": (0, 17), "8003": (1, 13), "8006": (0, 14), "8017": (0, 18), "8018": (0, 18),
    "8026": (0, 14), **{f"41{n}": (0, 13) for n in range(8)},
}

# Date AIs (YYMMDD) and whether DD may be 00, meaning the month's last day (GenSpecs §3.4.2-
# §3.4.7; Syntax Dictionary linter "yymmd0" as opposed to "yymmdd").
DATE_AIS: dict[str, bool] = {
    "11": True, "12": True, "13": True, "15": True, "16": True, "17": True,
    "4326": False, "7006": False,
}
# Date-and-time AIs: YYMMDD then HH[MM[SS]] (7003 expiry time, 7011 test by, 8008 production).
MOMENT_AIS = frozenset({"7003", "7011", "8008"})


def check_digit(body: str) -> str:
    """The mod-10 check digit of a GS1 key body: weights 3,1,3,… from the right (§7.9.1)."""
    if not body.isascii() or not body.isdigit():
        raise ValueError(f"a GS1 key is digits only, not {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def with_check_digit(body: str) -> str:
    """`body` followed by its check digit, e.g. the 18-digit SSCC of a 17-digit body."""
    return body + check_digit(body)


def check_digit_ok(digits: str) -> bool:
    """True when the last digit is the check digit of the others (GTIN, SSCC, GLN, …)."""
    return (len(digits) >= 2 and digits.isascii() and digits.isdigit()
            and check_digit(digits[:-1]) == digits[-1])


def needs_separator(ai: str) -> bool:
    """Whether FNC1 (GS) must follow this AI's data when more element strings follow."""
    return ai[:2] not in PREDEFINED_LENGTH


def element_string(elements: Iterable[tuple[str, str]]) -> str:
    """AI/value pairs as a scanner transmits them: concatenated, GS after variable-length
    data unless it is last (§7.8.5). No checking: emulators may send a broken label on purpose.
    """
    pairs = list(elements)
    parts: list[str] = []
    for index, (ai, value) in enumerate(pairs):
        parts.append(ai + value)
        if needs_separator(ai) and index < len(pairs) - 1:
            parts.append(GS)
    return "".join(parts)


def hri(elements: Iterable[tuple[str, str]]) -> str:
    """AI/value pairs in the bracketed human-readable form printed under a barcode."""
    return "".join(f"({ai}){value}" for ai, value in elements)


def full_year(yy: int, today: date) -> int:
    """The year a two-digit YY means: within 49 years back and 50 ahead of today (§7.12)."""
    century = today.year - today.year % 100
    step = yy - today.year % 100
    if 51 <= step <= 99:
        return century - 100 + yy
    if -99 <= step <= -50:
        return century + 100 + yy
    return century + yy


def read_date(yymmdd: str, today: date, *, day_00: bool) -> date:
    """YYMMDD as a date; DD 00 is the month's last day where the AI allows it. ValueError."""
    if len(yymmdd) != 6 or not yymmdd.isascii() or not yymmdd.isdigit():
        raise ValueError(f"{yymmdd!r} is not YYMMDD")
    year = full_year(int(yymmdd[:2]), today)
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    if not 1 <= month <= 12:
        raise ValueError(f"{yymmdd!r} has no month {month:02d}")
    if day == 0 and day_00:
        day = calendar.monthrange(year, month)[1]
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{yymmdd!r} is not a date") from None


def read_moment(value: str, today: date) -> datetime:
    """YYMMDDHH[MM[SS]] as a naive local date and time, as printed on the label. ValueError."""
    if len(value) not in (8, 10, 12) or not value.isascii() or not value.isdigit():
        raise ValueError(f"{value!r} is not YYMMDDHH[MM[SS]]")
    day = read_date(value[:6], today, day_00=False)
    hour, minute, second = (int(value[i:i + 2]) if len(value) > i else 0 for i in (6, 8, 10))
    try:  # naive on purpose: a label prints the local time of its place, without a zone
        return datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        raise ValueError(f"{value!r} has no time {value[6:]}") from None
