"""Held stock is not picked: when a pick's item is scanned, the lot at that bin is checked
against the hub's balances, and stock that is all on hold (quarantine, damaged, recalled…)
refuses with a sentence saying what to do.

Rule kept here (pure): the flow says what to ask (`query`), the hub's balances rows decide
(`refusal`); no answer (offline) refuses nothing — the hub's ledger refuses it on confirm.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pda_app.flows.task import TaskFlow
from protocol.tasks import TaskKind

PICKING = (TaskKind.PICK, TaskKind.REPLENISH)
AVAILABLE = "available"


@dataclass(frozen=True, slots=True)
class HeldQuery:
    sku: str
    location: str
    lot: str | None  # None: any lot of the SKU at the location

    def params(self, warehouse: str | None) -> dict[str, str]:
        out = {"sku": self.sku, "location": self.location}
        if self.lot:
            out["lot"] = self.lot
        if warehouse:
            out["warehouse"] = warehouse
        return out


def query(before: TaskFlow, after: TaskFlow) -> HeldQuery | None:
    """What to ask the hub when this scan has just named the item of a pick step."""
    step = after.step
    if after.task.kind not in PICKING or step is None or step.sku is None:
        return None
    if before.step_id != after.step_id or _has_item(before) or not _has_item(after):
        return None
    location = after.got.location or step.location
    if not location:
        return None
    return HeldQuery(step.sku, location, after.got.lot or step.lot)


def refusal(asked: HeldQuery, rows: Sequence[object]) -> str | None:
    """The sentence refusing the pick when nothing of it at the bin is available but some is
    held; None when it may be picked (or the hub knows of none: the ledger decides)."""
    available, held = Decimal(0), dict[str, Decimal]()
    for row in rows:
        if not isinstance(row, Mapping) or row.get("location") != asked.location:
            continue
        if row.get("sku") != asked.sku or (asked.lot and row.get("lot") != asked.lot):
            continue
        quantity = _decimal(row.get("quantity"))
        status = str(row.get("status") or AVAILABLE)
        if status == AVAILABLE:
            available += quantity
        elif quantity > 0:
            held[status] = held.get(status, Decimal(0)) + quantity
    if available > 0 or not held:
        return None
    what = f"Lot {asked.lot}" if asked.lot else asked.sku
    why = ", ".join(f"{_text(q)} {status}" for status, q in sorted(held.items()))
    return (f"{what} at {asked.location} is on hold ({why}): do not pick it. Leave it where "
            "it is and press SKIP to tell the supervisor")


def _has_item(flow: TaskFlow) -> bool:
    return flow.got.gtin is not None or flow.got.sku is not None


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _text(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())
