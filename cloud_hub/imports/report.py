"""What an import answers: the counts, every error as {row, column, reason}, and each row's fate.

Rule kept here: one shape for the CLI's --json and the REST answer; `row` is the spreadsheet
row (the header is row 1) and null for a fault of the file as a whole; the errors are listed
in row order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cloud_hub.imports.check import RowError
from cloud_hub.imports.plan import Fate


@dataclass(slots=True)
class ImportReport:
    kind: str
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    fates: dict[int, Fate] = field(default_factory=dict)
    dry_run: bool = False
    import_id: int | None = None  # the record of a run that wrote
    file_sha256: str = ""

    def count(self, fate: Fate) -> int:
        return 0 if self.errors else sum(1 for f in self.fates.values() if f is fate)

    def refused(self, reason: str) -> ImportReport:
        self.errors.append(RowError(None, None, reason))
        return self

    def summary(self) -> dict[str, object]:
        """The CLI's --json object, exactly: kind, rows, created, updated, unchanged, errors.
        With errors nothing was (or would be) written: the counts are 0."""
        return {"kind": self.kind, "rows": self.rows, "created": self.count(Fate.CREATED),
                "updated": self.count(Fate.UPDATED), "unchanged": self.count(Fate.UNCHANGED),
                "errors": [e.as_dict() for e in sorted(self.errors, key=_order)]}

    def detail(self) -> dict[str, object]:
        """The REST answer: the summary, whether it was a dry run, the import's record id and
        each row's fate (every row: created, updated, unchanged or error)."""
        failed = {e.row for e in self.errors if e.row is not None}
        fates = {**{n: f.value for n, f in self.fates.items()}, **{n: "error" for n in failed}}
        return {**self.summary(), "dry_run": self.dry_run, "import_id": self.import_id,
                "file_sha256": self.file_sha256,
                "fates": [{"row": n, "fate": fates[n]} for n in sorted(fates)]}


def _order(e: RowError) -> tuple[int, str, str]:
    return (-1 if e.row is None else e.row, e.column or "", e.reason)
