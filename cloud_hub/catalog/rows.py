"""Locations as a client sends them (JSON or CSV rows), and the per-row report of a CSV import.

Rule kept here: nothing a client sent is dropped without a word — every row that is not
written is reported with its line, the column at fault and why; a column or cell the import
does not understand refuses the row (or the file) instead of being ignored.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cloud_hub.catalog.model import Location

CodeStr = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/ ]+$")]
Kind = Literal["zone", "aisle", "rack", "bin", "dock_door", "portal", "staging", "area", "packing",
               "transit"]  # transit: stock between warehouses (cloud_hub/supply/transfer.py)
REQUIRED_COLUMNS = ("code", "warehouse", "kind")
MAX_ROWS = 200_000


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: CodeStr
    warehouse: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    kind: Kind
    parent: CodeStr | None = None
    name: str = Field(default="", max_length=200)
    x: float | None = Field(default=None, allow_inf_nan=False)
    y: float | None = Field(default=None, allow_inf_nan=False)
    width: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    depth: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    capacity: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)
    attributes: dict[str, Any] = Field(default_factory=dict)
    active: bool = True

    @model_validator(mode="after")
    def _not_own_parent(self) -> LocationIn:
        if self.parent == self.code:
            raise ValueError(f"location {self.code} cannot be its own parent")
        return self

    def to_location(self) -> Location:
        return Location(**self.model_dump())


# A CSV cell is text: attributes (a JSON object) have no column.
CSV_COLUMNS = frozenset(LocationIn.model_fields) - {"attributes"}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # the CSV line (the header is line 1)
    code: str | None  # the location code the row names, when it has one
    column: str | None  # the column at fault; None when it is the row as a whole
    error: str

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "code": self.code, "column": self.column, "error": self.error}


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    location: LocationIn


class CsvRefused(ValueError):
    """The file as a whole cannot be read as a locations CSV (the header, the encoding)."""


def header_problems(fields: list[str] | None) -> str | None:
    if not fields:
        return "the CSV is empty: the first line must name the columns"
    names = [f.strip() for f in fields]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return f"the header must name {', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"
    unknown = sorted({n for n in names if n not in CSV_COLUMNS})
    if unknown:
        return (f"unknown column(s) {', '.join(repr(u) for u in unknown)} "
                f"(known: {', '.join(sorted(CSV_COLUMNS))})")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"column(s) named twice: {', '.join(twice)}"
    return None


def parse_csv(text: str) -> tuple[list[CsvRow], list[RowError]]:
    """Every row of a locations CSV, validated alone: the good ones and a report of the rest.
    Raises CsvRefused when the file itself is unusable."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        problem = header_problems(header)
        if problem is not None:
            raise CsvRefused(problem)
        assert header is not None
        names = [h.strip() for h in header]
        good: list[CsvRow] = []
        errors: list[RowError] = []
        for cells in reader:
            line = reader.line_num
            if len(good) + len(errors) >= MAX_ROWS:
                raise CsvRefused(f"more than {MAX_ROWS} rows: split the file")
            if not any(c.strip() for c in cells):
                continue  # a blank line says nothing
            row = _row(line, names, cells)
            if isinstance(row, RowError):
                errors.append(row)
            else:
                good.append(row)
    except csv.Error as exc:
        raise CsvRefused(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return good, errors


def _row(line: int, names: list[str], cells: list[str]) -> CsvRow | RowError:
    values = dict(zip(names, cells, strict=False))
    code = values.get("code", "").strip() or None
    if len(cells) != len(names):
        return RowError(line, code, None, f"the row has {len(cells)} cells; the header names "
                                          f"{len(names)} columns")
    for name, value in values.items():
        if "\x00" in value:
            return RowError(line, code, name, "text may not contain NUL characters")
    clean = {k: v for k, v in values.items() if v.strip() != ""}
    try:
        return CsvRow(line, LocationIn.model_validate(clean))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        column = str(first["loc"][0]) if first["loc"] else None
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'row'}: "
                            f"{e['msg'].removeprefix('Value error, ')}"
                            for e in exc.errors(include_url=False))
        return RowError(line, code, column, reasons)


def duplicates(rows: list[CsvRow]) -> tuple[list[CsvRow], list[RowError]]:
    """A code on two rows of one file is ambiguous (which one is meant?): all of them are
    refused, each naming the other lines."""
    lines: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        lines[row.location.code].append(row.line)
    keep = [r for r in rows if len(lines[r.location.code]) == 1]
    refused = [RowError(r.line, r.location.code, "code",
                        f"code {r.location.code!r} is also on line(s) "
                        f"{', '.join(str(n) for n in lines[r.location.code] if n != r.line)}: "
                        "one row per location")
               for r in rows if len(lines[r.location.code]) > 1]
    return keep, refused
