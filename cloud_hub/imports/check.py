"""A sheet read against its kind: the header understood (any order and case, trimmed, known
other names), every row's cells read, and every fault reported as {row, column, reason}.

Rule kept here: a fault is never silent and never guessed around — an unknown or repeated
column, a missing required one, a cell that is not what its column holds, a key given on two
rows of one file: each is an error naming the spreadsheet row (the header is row 1) and the
column. Rows with a fault are not passed on; the caller writes nothing when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cloud_hub.imports.cells import CellError, Raw, Value
from cloud_hub.imports.kinds import Column, Kind
from cloud_hub.imports.sheet import FileRefused, Sheet

MAX_ROWS = 1_000_000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int | None  # the spreadsheet row (the header is 1); None: the file as a whole
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Row:
    number: int
    values: Mapping[str, Value]

    def get(self, name: str) -> Value:
        return self.values.get(name)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)


@dataclass(slots=True)
class Checked:
    """The rows that read cleanly, every error found, and how many data rows the file has."""

    kind: Kind
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    present: frozenset[str] = frozenset()  # the columns the file has


def normal(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace(".", " ").split())


def read_header(kind: Kind, header: list[Raw], row: int = 1
                ) -> tuple[dict[int, str], list[RowError]]:
    """{cell position: column name} and the header's errors."""
    known = kind.names
    positions: dict[int, str] = {}
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    last = max((i for i, c in enumerate(header) if c not in (None, "")), default=-1)
    for i, cell in enumerate(header[:last + 1]):
        given = "" if cell is None else str(cell).strip()
        if not given:
            errors.append(RowError(row, None, f"column {i + 1} has no name"))
            continue
        name = known.get(normal(given))
        if name is None:
            errors.append(RowError(row, given, f"unknown column for {kind.name} (known: "
                                   f"{', '.join(c.name for c in kind.columns)})"))
            continue
        if name in seen:
            errors.append(RowError(row, given, f"column {name} is named twice "
                                   f"({seen[name]!r} and {given!r})"))
            continue
        seen[name] = given
        positions[i] = name
    for column in kind.columns:
        if column.required and column.name not in seen:
            errors.append(RowError(row, column.name, "required column missing"))
    return positions, errors


def check_sheet(kind: Kind, sheet: Sheet, max_rows: int = MAX_ROWS) -> Checked:
    """Every row of `sheet` read as `kind`; header faults stop there (rows cannot be read)."""
    out = Checked(kind)
    positions, out.errors = read_header(kind, sheet.header, sheet.header_row)
    out.present = frozenset(positions.values())
    if out.errors:
        return out
    readers = {i: kind.column(n) for i, n in positions.items()}
    required = [c.name for c in kind.columns if c.required]
    width = max(positions) + 1
    for number, cells in sheet.rows:
        if not any(c not in (None, "") for c in cells):
            continue  # a blank row says nothing
        out.total += 1
        if out.total > max_rows:
            raise FileRefused(f"more than {max_rows:,} rows: split the file")
        row, errors = _row(number, cells, readers, width, required)
        if errors:
            out.errors += errors
        else:
            out.rows.append(row)
    if out.total == 0:
        out.errors.append(RowError(sheet.header_row, None, "the file has a header and no rows"))
    out.rows, twice = unique(kind, out.rows)
    out.errors += twice
    return out


def _row(number: int, cells: list[Raw], readers: dict[int, Column], width: int,
         required: list[str]) -> tuple[Row, list[RowError]]:
    values: dict[str, Value] = {}
    errors: list[RowError] = []
    if any(c not in (None, "") for c in cells[width:]):
        errors.append(RowError(number, None, "the row has cells beyond the named columns"))
    for i, column in readers.items():
        raw = cells[i] if i < len(cells) else None
        try:
            values[column.name] = column.read(raw)
        except CellError as exc:
            errors.append(RowError(number, column.name, str(exc)))
    for name in required:
        if values.get(name) is None and not any(e.column == name for e in errors):
            errors.append(RowError(number, name, "required: the cell is empty"))
    return Row(number, values), errors


def key_of(kind: Kind, row: Row) -> tuple[str, ...]:
    return tuple("" if row.get(k) is None else str(row.get(k)) for k in kind.key)


def unique(kind: Kind, rows: Iterable[Row]) -> tuple[list[Row], list[RowError]]:
    """A key on two rows of one file is ambiguous: the later rows are errors naming the first."""
    first: dict[tuple[str, ...], int] = {}
    kept: list[Row] = []
    errors: list[RowError] = []
    for row in rows:
        key = key_of(kind, row)
        if key in first:
            named = ", ".join(f"{k}={v!r}" for k, v in zip(kind.key, key, strict=True) if v)
            errors.append(RowError(row.number, kind.key[0], f"{named} is also on row "
                                   f"{first[key]}: one row per {' + '.join(kind.key)}"))
        else:
            first[key] = row.number
            kept.append(row)
    return kept, errors
