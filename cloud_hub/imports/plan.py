"""What an import would do to what is stored: each row's fate (created, updated, unchanged)
and the records to write, decided against the stored rows the caller read.

Rule kept here: a column the file does not have keeps the stored value; a column it has with an
empty cell sets the column's default. A row equal to what is stored is `unchanged` and is not
written, so running the same file twice changes nothing the second time. Faults found against
stored data (an unknown SKU, a GTIN another item owns, units that loop) are row errors too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from cloud_hub.catalog.uom import Conversion, UomError, resolve
from cloud_hub.imports.cells import Value
from cloud_hub.imports.check import Checked, Row, RowError, key_of

Key = tuple[str, ...]
Record = dict[str, Value]


class Fate(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class Plan:
    """Each row's fate, the errors, and the records to write (created and updated only)."""

    fates: dict[int, Fate] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    writes: list[tuple[Row, Record]] = field(default_factory=list)

    def count(self, fate: Fate) -> int:
        return sum(1 for f in self.fates.values() if f is fate)

    def refuse(self, row: Row, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row.number, column, reason))
        self.fates.pop(row.number, None)

    def settle(self) -> None:
        """Drop the writes of rows refused since they were planned."""
        bad = {e.row for e in self.errors}
        self.writes = [(r, rec) for r, rec in self.writes if r.number not in bad]


DEFAULTS: dict[str, Record] = {
    "skus": {"name": "", "base_uom": "EA", "lot_tracked": False, "serial_tracked": False,
             "expiry_tracked": False, "active": True},
    "uoms": {},
    "locations": {"name": "", "active": True},
    "customers": {"postcode": ""},
    "suppliers": {"name": "", "currency": "EUR", "active": True},
    "supplier_skus": {"lead_time_sd_days": Decimal(0), "moq": Decimal(0),
                      "pack_multiple": Decimal(1), "currency": "EUR",
                      "preferred": False},
}


def diff(checked: Checked, stored: Mapping[Key, Mapping[str, Value]]) -> Plan:
    """Fates of the checked rows against the stored records (keyed as the kind keys rows)."""
    kind = checked.kind
    defaults = DEFAULTS.get(kind.name, {})
    plan = Plan()
    names = [c.name for c in kind.columns]
    for row in checked.rows:
        before = stored.get(key_of(kind, row))
        after: Record = {n: defaults.get(n) for n in names} if before is None else \
            {n: before.get(n, defaults.get(n)) for n in names}
        for name in checked.present:
            value = row.get(name)
            after[name] = defaults.get(name) if value is None else value
        if before is None:
            plan.fates[row.number] = Fate.CREATED
        elif all(after[n] == before.get(n, defaults.get(n)) for n in names):
            plan.fates[row.number] = Fate.UNCHANGED
            continue
        else:
            plan.fates[row.number] = Fate.UPDATED
        plan.writes.append((row, after))
    return plan


def check_gtins(plan: Plan, rows: Iterable[Row], level: str | None,
                owners: Mapping[str, tuple[str, str | None]]) -> None:
    """A GTIN names one packaging level of one SKU: refuse a row whose GTIN another level owns
    (stored: `owners`, gtin -> (sku, uom or None for the base), or an earlier row)."""
    claimed: dict[str, tuple[tuple[str, str | None], int]] = {}
    for row in rows:
        gtin = row.text("gtin")
        if gtin is None:
            continue
        mine = (str(row.get("sku")), row.text(level) if level else None)
        owner = owners.get(gtin)
        if owner is not None and owner != mine:
            plan.refuse(row, "gtin", f"GTIN {gtin} belongs to SKU {owner[0]}"
                        + (f" unit {owner[1]}" if owner[1] else ""))
        elif gtin in claimed and claimed[gtin][0] != mine:
            plan.refuse(row, "gtin", f"GTIN {gtin} is also on row {claimed[gtin][1]}")
        else:
            claimed.setdefault(gtin, (mine, row.number))


def check_uoms(plan: Plan, checked: Checked, bases: Mapping[str, str],
               stored: Mapping[Key, Mapping[str, Value]]) -> None:
    """Every SKU a uoms row names exists, and its units — stored ones with this file's on top —
    resolve to whole base units without a loop or a zero factor."""
    after = {row.number: rec for row, rec in plan.writes}
    by_sku: dict[str, list[Row]] = defaultdict(list)
    for row in checked.rows:
        by_sku[str(row.get("sku"))].append(row)
    for sku, rows in by_sku.items():
        base = bases.get(sku)
        if base is None:
            for row in rows:
                plan.refuse(row, "sku", f"unknown SKU {sku}: import it (kind skus) first")
            continue
        units: dict[str, Mapping[str, Value]] = {k[1]: v for k, v in stored.items()
                                                 if k[0] == sku}
        for row in rows:
            units[str(row.get("uom"))] = after.get(row.number, row.values)
        try:
            resolve(base, [_conversion(sku, uom, v) for uom, v in units.items()])
        except UomError as exc:
            at = next((r for r in rows if r.get("uom") == exc.uom), rows[0])
            plan.refuse(at, "factor", str(exc))
    plan.settle()


def _conversion(sku: str, uom: str, values: Mapping[str, Value]) -> Conversion:
    factor = values.get("factor")
    per = values.get("per")
    gtin = values.get("gtin")
    return Conversion(sku, uom, factor if isinstance(factor, Decimal) else Decimal(0),
                      str(per) if per else None, str(gtin) if gtin else None)
