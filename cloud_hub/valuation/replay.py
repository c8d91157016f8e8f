"""The auditor's replay: a CSV of dated stock movements valued by the same core the hub uses.

Rule kept here: a file with any bad row values nothing; every bad row is named by its line
(the header is line 1) and the answer is the errors alone. Columns: docs/valuation.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from cloud_hub.valuation.book import Book
from cloud_hub.valuation.model import (
    Kind,
    Method,
    Movement,
    Position,
    ValuationError,
    an,
    cents,
)
from cloud_hub.valuation.render import render_json, render_text

COLUMNS = ("date", "warehouse", "sku", "kind", "quantity", "unit_cost", "currency", "rate",
           "to_warehouse", "ref", "amount")
REQUIRED = ("date", "warehouse", "sku", "kind", "quantity")
MAX_ERRORS = 100  # named one by one; the rest counted
Fail = Callable[[str], ValuationError]
_CURRENCY = re.compile(r"[A-Z]{3}")
# which optional cells each kind takes (a filled cell a kind does not take is refused, so
# nobody believes a unit cost on an issue changed anything)
_TAKES = {
    Kind.RECEIPT: {"unit_cost", "currency", "rate", "ref"},
    Kind.ADJUST_IN: {"unit_cost", "currency", "rate", "ref"},
    Kind.ISSUE: {"ref"},
    Kind.ADJUST_OUT: {"ref"},
    Kind.TRANSFER: {"to_warehouse", "ref"},
    Kind.LANDED_COST: {"currency", "ref", "amount"},
}


class ReplayError(ValueError):
    """The file is refused; `errors` are (line, message), line 1 being the header."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {n}: {m}" for n, m in errors[:3]))
        self.errors = errors


@dataclass(frozen=True, slots=True)
class Outcome:
    book: Book

    @property
    def positions(self) -> list[Position]:
        return self.book.positions()


def base_currency_code(text: str) -> str:
    code = text.strip().upper()
    if not _CURRENCY.fullmatch(code):
        raise ValueError(f"a base currency is a 3-letter ISO 4217 code, got {text!r}")
    return code


def command(text: str, method: str, base_currency: str, *, as_json: bool) -> tuple[int, str]:
    """The CLI's body: (exit status, text). 0 and the valuation, or 2 and the errors."""
    try:
        outcome = replay(text, Method(method), base_currency_code(base_currency))
    except ReplayError as exc:
        shown = [f"line {n}: {m}" for n, m in exc.errors[:MAX_ERRORS]]
        if len(exc.errors) > MAX_ERRORS:
            shown.append(f"... and {len(exc.errors) - MAX_ERRORS} more bad rows")
        return 2, "\n".join(shown)
    except ValueError as exc:
        return 2, str(exc)
    return 0, render_json(outcome.book) if as_json else render_text(outcome.book)


def replay(text: str, method: Method, base_currency: str) -> Outcome:
    """Value the CSV `text` (a leading BOM is ignored); ReplayError names every bad row."""
    movements: list[Movement] = []
    errors: list[tuple[int, str]] = []
    for line, row in _rows(text.removeprefix("\ufeff"), errors):
        try:
            movements.append(parse_row(line, row, base_currency))
        except ValuationError as exc:
            errors.append((exc.key, exc.message))
    movements.sort(key=lambda m: (m.at, m.key))  # date order, ties in file order
    book = Book(method, base_currency)
    for movement in movements:
        try:
            book.apply(movement)
        except ValuationError as exc:  # the book is unchanged: go on to find more bad rows
            errors.append((exc.key, exc.message))
    if errors:
        raise ReplayError(sorted(errors))
    return Outcome(book)


def _rows(text: str, errors: list[tuple[int, str]]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ReplayError([(1, "the file is empty: a header row is expected")]) from None
    except csv.Error as exc:
        raise ReplayError([(1, f"unreadable CSV: {exc}")]) from None
    problems = [f"column {name!r} twice" for name in sorted(set(header))
                if name and header.count(name) > 1]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)} "
                        f"(columns: {', '.join(COLUMNS)}, any order)")
    if problems:
        raise ReplayError([(1, "; ".join(problems))])
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) > len(header):
                    errors.append((line, f"{len(cells)} cells, the header has {len(header)}"))
                else:
                    padded = cells + [""] * (len(header) - len(cells))
                    yield line, {name: cell.strip() for name, cell in zip(header, padded,
                                                                          strict=True)}
            line = reader.line_num + 1
    except csv.Error as exc:
        errors.append((line, f"unreadable CSV: {exc}"))


def parse_row(line: int, row: dict[str, str], base_currency: str) -> Movement:
    """One row as a Movement; ValuationError (with `line`) names the first bad cell."""
    def fail(message: str) -> ValuationError:
        return ValuationError(line, message)

    try:
        kind = Kind(row["kind"].lower())
    except ValueError:
        raise fail(f"unknown kind {row['kind']!r} (one of {', '.join(Kind)})") from None
    extra = [c for c in ("unit_cost", "currency", "rate", "to_warehouse", "ref", "amount")
             if row.get(c) and c not in _TAKES[kind]]
    if extra:
        raise fail(f"{an(kind)} takes no {', '.join(extra)}")
    at = _date(row["date"], fail)
    if kind is not Kind.LANDED_COST:
        for column in ("warehouse", "sku"):
            if not row[column]:
                raise fail(f"{an(kind)} needs a {column}")
    quantity = _decimal(row, "quantity", fail)
    if kind is Kind.LANDED_COST:
        if quantity is not None:
            raise fail("a landed_cost takes no quantity: its amount is spread over its "
                       "receipt's quantity")
    elif quantity is None or quantity <= 0:
        raise fail(f"quantity must be a positive number, got {row['quantity']!r}")
    unit_cost = _decimal(row, "unit_cost", fail)
    if kind in (Kind.RECEIPT, Kind.ADJUST_IN) and unit_cost is None:
        raise fail(f"{an(kind)} needs a unit_cost")
    if unit_cost is not None and unit_cost < 0:
        raise fail(f"unit_cost must not be negative, got {row['unit_cost']!r}")
    currency = row.get("currency", "").upper() or None
    if currency is not None and not _CURRENCY.fullmatch(currency):
        raise fail(f"currency is a 3-letter ISO 4217 code, got {row['currency']!r}")
    rate = _decimal(row, "rate", fail)
    if rate is not None and rate <= 0:
        raise fail(f"rate must be positive, got {row['rate']!r}")
    if currency not in (None, base_currency) and rate is None and kind is not Kind.LANDED_COST:
        raise fail(f"currency {currency} needs a rate (base {base_currency} per one {currency})")
    if currency in (None, base_currency) and rate is not None and rate != 1:
        raise fail(f"a cost in the base currency {base_currency} takes no rate")
    if kind is Kind.LANDED_COST and currency not in (None, base_currency):
        raise fail(f"a landed_cost amount is in the base currency {base_currency}")
    to_warehouse = row.get("to_warehouse") or None
    if kind is Kind.TRANSFER and to_warehouse is None:
        raise fail("a transfer needs a to_warehouse")
    amount = _decimal(row, "amount", fail)
    if kind is Kind.LANDED_COST:
        if not row.get("ref"):
            raise fail("a landed_cost names its receipt in ref")
        if amount is None or cents(amount) <= 0:
            raise fail(f"a landed_cost needs a positive amount, got {row.get('amount', '')!r}")
    return Movement(line, at, row["warehouse"], row["sku"], kind,
                    quantity if quantity is not None else Decimal(0), unit_cost, currency, rate,
                    to_warehouse, row.get("ref") or None, amount)


def _decimal(row: dict[str, str], column: str, fail: Fail) -> Decimal | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise fail(f"{column} is not a number: {text!r}")
    return value


def _date(text: str, fail: Fail) -> datetime:
    """An ISO date (its midnight) or datetime; one with an offset is taken to UTC, one
    without is taken as UTC already."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"date is not an ISO date or datetime: {text!r}") from None
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at
