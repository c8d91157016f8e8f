"""Rows of a lot-master import (CSV or JSON) read and checked before any SQL sees them.

Rule kept here: every row is bounded and checked on its own; a bad row is named in the report
(its 1-based number and why) and the good rows still go in. A file with more than MAX_ROWS rows,
or a CSV without the `sku` and `lot` columns, is refused as a whole.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

MAX_ROWS = 5_000
MAX_BYTES = 2_000_000
MAX_TEXT = 128
COLUMNS = ("sku", "lot", "expiry", "production_date", "best_before", "supplier", "origin")
DATES = ("expiry", "production_date", "best_before")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ImportRefused(ValueError):
    """The file as a whole cannot be read (too big, wrong shape)."""


@dataclass(frozen=True, slots=True)
class LotRow:
    number: int  # 1-based, as a person counts the rows of the file
    sku: str
    lot: str
    expiry: date | None = None
    production_date: date | None = None
    best_before: date | None = None
    supplier: str | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    number: int
    error: str


def _text(raw: object, name: str, required: bool) -> str | None:
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if required:
            raise ValueError(f"{name} is missing")
        return None
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be text")
    value = raw.strip()
    if len(value) > MAX_TEXT:
        raise ValueError(f"{name} is longer than {MAX_TEXT} characters")
    if _CONTROL.search(value):
        raise ValueError(f"{name} holds control characters")
    return value


def _date(raw: object, name: str) -> date | None:
    text = _text(raw, name, False)
    if text is None:
        return None
    try:
        return date.fromisoformat(text) if len(text) == 10 else _bad_date(name, text)
    except ValueError:
        return _bad_date(name, text)


def _bad_date(name: str, text: str) -> date:
    raise ValueError(f"{name} {text[:20]!r} is not a date (YYYY-MM-DD)")


def read_row(number: int, raw: object) -> LotRow | BadRow:
    """One row (a mapping of column to value) as a LotRow, or why it is bad."""
    if not isinstance(raw, Mapping):
        return BadRow(number, "a row must be an object of column: value")
    unknown = sorted(str(k)[:32] for k in raw if k not in COLUMNS)
    if unknown:
        return BadRow(number, f"unknown column(s): {', '.join(unknown[:5])}")
    try:
        sku = _text(raw.get("sku"), "sku", True)
        lot = _text(raw.get("lot"), "lot", True)
        assert sku is not None and lot is not None
        dates = {name: _date(raw.get(name), name) for name in DATES}
        return LotRow(number, sku, lot, dates["expiry"], dates["production_date"],
                      dates["best_before"], _text(raw.get("supplier"), "supplier", False),
                      _text(raw.get("origin"), "origin", False))
    except ValueError as exc:
        return BadRow(number, str(exc))


def read_rows(raws: Iterable[object]) -> list[LotRow | BadRow]:
    out: list[LotRow | BadRow] = []
    for number, raw in enumerate(raws, start=1):
        if number > MAX_ROWS:
            raise ImportRefused(f"more than {MAX_ROWS} rows; split the file")
        out.append(read_row(number, raw))
    return out


def read_csv(text: str) -> list[LotRow | BadRow]:
    """A CSV with a header row naming its columns (`sku` and `lot` required)."""
    if len(text) > MAX_BYTES:
        raise ImportRefused(f"larger than {MAX_BYTES} bytes; split the file")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "sku" not in header or "lot" not in header:
        raise ImportRefused("the CSV needs a header row with the columns sku and lot")
    out: list[LotRow | BadRow] = []
    for number, row in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise ImportRefused(f"more than {MAX_ROWS} rows; split the file")
        if None in row:
            out.append(BadRow(number, "more values than the header has columns"))
        else:
            out.append(read_row(number, {k: v for k, v in row.items() if v is not None}))
    return out
