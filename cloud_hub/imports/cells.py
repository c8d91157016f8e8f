"""One spreadsheet cell read as what its column holds: text, yes/no, a number, a date, a GTIN.

Rule kept here: nothing in a cell is ever evaluated. Text that looks like a formula (it starts
with =, +, -, @) is kept as the text it is, and `safe_cell` escapes it whenever it is written
back out; where a number or a date is expected such a cell is refused with the reason.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from protocol.labels.gs1 import check_digit_ok

# What a spreadsheet takes as a formula when a cell starts with it (OWASP "CSV injection"),
# tab and carriage return included.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TRUE = frozenset({"true", "yes", "y", "1", "x", "on"})
FALSE = frozenset({"false", "no", "n", "0", "off"})

Raw = str | int | float | bool | date | datetime | time | timedelta | None  # CSV's, calamine's
Value = str | Decimal | bool | date | None


class CellError(ValueError):
    """The cell is not what its column holds; the message says why, for a person."""


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_START)


def safe_cell(value: object) -> object:
    """A value to write into CSV or XLSX: text a spreadsheet would run as a formula gets a
    leading apostrophe, so it is shown as the text it is, never evaluated."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def text(raw: Raw) -> str | None:
    """A cell as text, None when empty. A number a spreadsheet stored for a code (12345.0) is
    the code 12345; NUL characters are refused."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError("not a finite number")
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime | date | time):
        return raw.isoformat()
    if isinstance(raw, timedelta):
        raise CellError("a duration, not text")
    value = str(raw).strip()
    if "\x00" in value:
        raise CellError("text may not contain NUL characters")
    return value or None


def boolean(raw: Raw) -> bool | None:
    if isinstance(raw, bool):
        return raw
    value = text(raw)
    if value is None:
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise CellError(f"{value!r} is not yes or no (true/false, yes/no, 1/0)")


def number(raw: Raw) -> Decimal | None:
    """A finite decimal number; a formula-looking cell, a thousands separator or a unit
    glued to the number is refused (the import never guesses)."""
    if isinstance(raw, bool | date | time | timedelta):
        raise CellError(f"{text(raw) if not isinstance(raw, timedelta) else raw} is not a number")
    if isinstance(raw, int | float):
        value = Decimal(str(raw)) if isinstance(raw, float) else Decimal(raw)
    else:
        cell = text(raw)
        if cell is None:
            return None
        if cell.startswith(("=", "@")):
            raise CellError(f"{cell!r} is a formula, not a number: the file must hold values "
                            "(formulas are never evaluated)")
        try:
            value = Decimal(cell)
        except InvalidOperation:
            raise CellError(f"{cell!r} is not a number") from None
    if not value.is_finite():
        raise CellError(f"{value} is not a finite number")
    return value


def positive(raw: Raw) -> Decimal | None:
    value = number(raw)
    if value is not None and value <= 0:
        raise CellError(f"{value} must be greater than zero")
    return value


def non_negative(raw: Raw) -> Decimal | None:
    value = number(raw)
    if value is not None and value < 0:
        raise CellError(f"{value} may not be negative")
    return value


def day(raw: Raw) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    value = text(raw)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10] if len(value) > 10 and value[10] in "T " else value)
    except ValueError:
        raise CellError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def gtin(raw: Raw) -> str | None:
    """A GTIN-8, -12, -13 or -14 whose check digit is right (GS1 General Specifications §7.9);
    a number cell is read as its digits."""
    value = text(raw)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) not in (8, 12, 13, 14):
        raise CellError(f"{value!r} is not a GTIN (8, 12, 13 or 14 digits)")
    if not check_digit_ok(value):
        raise CellError(f"GTIN {value} has a wrong check digit")
    return value


def code(raw: Raw) -> str | None:
    """A key (SKU, location, customer code): text of at most 128 characters."""
    value = text(raw)
    if value is not None and len(value) > 128:
        raise CellError("at most 128 characters")
    return value


def sscc(raw: Raw) -> str | None:
    value = text(raw)
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) == 18):
        raise CellError(f"{value!r} is not an SSCC (18 digits)")
    if not check_digit_ok(value):
        raise CellError(f"SSCC {value} has a wrong check digit")
    return value
