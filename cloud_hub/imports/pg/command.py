"""`python -m cloud_hub import KIND FILE [--dry-run] [--json]`: the CLI's import command.

Rule kept here: --json prints exactly one object, {kind, rows, created, updated, unchanged,
errors}; the exit status is 2 when there is any error (nothing was written) and 0 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import getpass
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from cloud_hub.imports.kinds import KINDS
from cloud_hub.imports.plan import Fate
from cloud_hub.imports.report import ImportReport
from cloud_hub.imports.sheet import DEFAULT_MAX_BYTES
from cloud_hub.settings import HubSettings


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("import", help="import SKUs, units, locations, opening stock or "
                                      "customers from an XLSX or CSV file")
    p.add_argument("kind", choices=sorted(KINDS))
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true",
                   help="check and report every row's fate; write nothing")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--encoding", help="a CSV's encoding (default: UTF-8, then GB18030)")
    p.add_argument("--user", help="who imports (recorded; default: the login name)")
    p.add_argument("--max-mb", type=int, default=DEFAULT_MAX_BYTES // (1024 * 1024),
                   help="refuse larger files (default %(default)s)")
    p.set_defaults(func=cmd_import)


def cmd_import(settings: HubSettings, args: argparse.Namespace) -> int:
    from cloud_hub.db.database import open_pool, resolve_url
    from cloud_hub.imports.pg.run import ImportFile, run_import
    from cloud_hub.ledger.pg.apply import ApplyService
    if not args.file.is_file():
        return _answer(ImportReport(args.kind).refused(f"no file {args.file}"), args.json)
    request = ImportFile(args.kind, args.file, args.file.name,
                         args.user or f"cli:{getpass.getuser()}", args.dry_run, args.encoding,
                         args.max_mb * 1024 * 1024)
    pool = open_pool(resolve_url(settings.database_url), 1, 2)
    apply = ApplyService(pool) if args.kind == "opening_stock" and not args.dry_run else None
    try:
        with pool.connection() as conn, batch_gc():
            report = run_import(conn, apply, request, datetime.now(UTC))
    finally:
        if apply is not None:
            apply.close()
        pool.close()
    return _answer(report, args.json)


def _answer(report: ImportReport, as_json: bool) -> int:
    if as_json:
        print(json.dumps(report.summary()))
    else:
        _print(report)
    return 2 if report.errors else 0


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    """No cyclic garbage collection while one import runs in this process: its rows, moves and
    plans are millions of live objects that every full collection walked again (100k opening
    rows: planning 15.6 s with collections, 5.8 s without); they die by reference counting
    with the import. (The hub's serving process has its own policy: ops/gc_pauses.py.)"""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _print(report: ImportReport) -> None:
    for e in sorted(report.errors, key=lambda e: (e.row or 0, e.column or "")):
        where = "file" if e.row is None else f"row {e.row}"
        print(f"{where}{f' [{e.column}]' if e.column else ''}: {e.reason}", file=sys.stderr)
    s = report.summary()
    verb = "would be" if report.dry_run or report.errors else "were"
    print(f"{report.kind}: {s['rows']} row(s); created {s['created']}, updated "
          f"{s['updated']}, unchanged {s['unchanged']} {verb} written"
          + (f"; {len(report.errors)} error(s): nothing written" if report.errors else "")
          + (f" (import {report.import_id})" if report.import_id else ""))
    if report.dry_run and not report.errors:
        for number, fate in sorted(report.fates.items()):
            if fate is not Fate.UNCHANGED:
                print(f"  row {number}: {fate.value}")
