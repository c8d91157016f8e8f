"""A downloadable template per kind, as CSV (UTF-8 with a BOM, which spreadsheet programs open
as UTF-8) and XLSX: the header row, one example row, and (XLSX) a sheet saying what each column
holds. Written from the kinds table, so a template always matches what the import reads.

Rule kept here: every cell written out passes through cells.safe_cell (text a spreadsheet would
run as a formula is escaped).
"""

from __future__ import annotations

import csv
import io

from cloud_hub.imports.cells import safe_cell
from cloud_hub.imports.kinds import Kind

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_rows(kind: Kind) -> list[list[object]]:
    return [[c.name for c in kind.columns], [safe_cell(c.example) for c in kind.columns]]


def csv_template(kind: Kind) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(template_rows(kind))
    return out.getvalue().encode("utf-8-sig")


def xlsx_template(kind: Kind) -> bytes:
    import openpyxl  # the hub's XLSX writer; only templates need it
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(kind.name)
    for row in template_rows(kind):
        sheet.append(row)
    about = book.create_sheet("columns")
    about.append(["column", "required", "also accepted as"])
    for c in kind.columns:
        about.append([c.name, "yes" if c.required else "no", ", ".join(c.aliases)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
