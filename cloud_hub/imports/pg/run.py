"""Running one import: read the file, check it, plan it against the database and, unless it
is a dry run or anything is wrong, write it in one transaction with its record.

Rule kept here: all or nothing per file. Every fault — of the file, a header, a cell, a row
against stored data, a move the ledger would reject — is reported and nothing is written; a
clean file is written whole, in one transaction with its row in `imports`; opening stock goes
through the ledger's one apply entry point (ApplyService.transaction) in that transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from cloud_hub.imports.check import Checked, RowError, check_sheet
from cloud_hub.imports.kinds import KINDS
from cloud_hub.imports.pg.kinds import WRITERS, Planned
from cloud_hub.imports.plan import Fate
from cloud_hub.imports.report import ImportReport
from cloud_hub.imports.sheet import DEFAULT_MAX_BYTES, FileRefused, read_sheet
from cloud_hub.ledger import BatchResult, MoveStatus
from cloud_hub.ledger.pg.apply import ApplyService
from protocol.events import StockMoved

ApplyMoves = Callable[[list[StockMoved]], None]
WRITE_TIMEOUT_MS = 15 * 60 * 1000

# An import's moves are applied as one batch in the import's transaction: one decide over the
# file, one COPY of its moves, one upsert of its balances.


@dataclass(frozen=True, slots=True)
class ImportFile:
    kind: str
    path: Path
    name: str = ""  # as the user called it (an upload's file name)
    user: str | None = None
    dry_run: bool = False
    encoding: str | None = None
    max_bytes: int = DEFAULT_MAX_BYTES


class Aborted(Exception):
    """The ledger refused a move while writing: the transaction is rolled back."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) refused by the ledger")
        self.errors = errors


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def run_import(conn: psycopg.Connection, apply: ApplyService | None, request: ImportFile,
               now: datetime, admit: Callable[[Collection[str]], None] | None = None
               ) -> ImportReport:
    """Import `request.path` as `request.kind` on `conn` (autocommit, idle). `admit` is told
    the warehouses the rows touch before anything is written (REST checks the caller's
    scope there; it raises to refuse)."""
    kind = KINDS.get(request.kind)
    if kind is None:
        raise ValueError(f"unknown import kind {request.kind!r} (known: {', '.join(KINDS)})")
    report = ImportReport(kind.name, dry_run=request.dry_run)
    try:
        report.file_sha256 = sha256(request.path)
        sheet = read_sheet(request.path, sheet=kind.name, encoding=request.encoding,
                           max_bytes=request.max_bytes)
        checked = check_sheet(kind, sheet)
    except FileRefused as exc:
        return report.refused(str(exc))
    report.rows = checked.total
    report.errors = list(checked.errors)
    if any(e.row == sheet.header_row for e in checked.errors) and not checked.rows:
        return report  # the header could not be read: no row could be
    io = WRITERS[kind.name]
    if request.dry_run:
        planned = io.plan(conn, checked, now, request.user)
        return _planned(report, planned, admit)
    if kind.name == "opening_stock" and apply is None:
        raise ValueError("opening stock is applied through the ledger: no ApplyService given")
    try:
        if apply is not None:
            with apply.transaction(conn) as posting:
                _write(conn, report, request, checked, now, admit,
                       lambda moves: _apply(posting.apply, moves, request.user))
        else:
            with conn.transaction():
                _write(conn, report, request, checked, now, admit, None)
    except _Refused:
        report.import_id = None
    except Aborted as exc:
        report.errors += exc.errors
    return report


class _Refused(Exception):
    """Planning found errors inside the writing transaction: leave it, rolled back."""


def _planned(report: ImportReport, planned: Planned,
             admit: Callable[[Collection[str]], None] | None) -> ImportReport:
    if admit is not None and planned.warehouses:
        admit(planned.warehouses)
    report.errors += planned.plan.errors
    report.fates = dict(planned.plan.fates)
    return report


def _write(conn: psycopg.Connection, report: ImportReport, request: ImportFile,
           checked: Checked, now: datetime, admit: Callable[[Collection[str]], None] | None,
           apply_moves: ApplyMoves | None) -> None:
    io = WRITERS[report.kind]
    # A big file's statements (500k balance rows in one upsert) may outlast the API pool's
    # statement timeout; the size cap bounds them instead.
    conn.execute(f"SET LOCAL statement_timeout = {WRITE_TIMEOUT_MS}")
    planned = io.plan(conn, checked, now, request.user)
    _planned(report, planned, admit)
    if report.errors:
        raise _Refused
    io.write(conn, planned)
    if planned.moves:
        assert apply_moves is not None
        apply_moves(planned.moves)
    row = conn.execute(
        "INSERT INTO imports (kind, file_name, file_sha256, user_name, started_at, rows, "
        "created, updated, unchanged, warehouses) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, "
        "%s) RETURNING import_id",
        (report.kind, request.name or request.path.name, report.file_sha256, request.user, now,
         report.rows, report.count(Fate.CREATED), report.count(Fate.UPDATED),
         report.count(Fate.UNCHANGED), sorted(planned.warehouses))).fetchone()
    report.import_id = row[0] if row else None


def _apply(apply: Callable[[list[StockMoved], str | None], BatchResult],
           moves: list[StockMoved], user: str | None) -> None:
    by_id = {m.event_id: m for m in moves}
    refused: list[RowError] = []
    result = apply(moves, user)
    for outcome in result.outcomes:
        if outcome.status is MoveStatus.REJECTED:
            move = by_id[outcome.event_id]
            what = move.item.sku_key if move.item else move.unit.key if move.unit else ""
            refused.append(RowError(None, None, f"the ledger refused the opening of {what} "
                                    f"at {move.to_location}: {outcome.reason}"))
    if refused:
        raise Aborted(refused)
