"""A recall: every remaining available quantity of a lot put on hold, as ledger moves.

Rules kept here:

- A hold is a status change the ledger applies like any other move (reason `adjust`, task
  `recall:<id>`, the caller as user), so the ledger stays a fold of its moves and nothing that
  was recorded is lost. The hold status is `quarantine` (the ledger has no `recalled` status
  yet): not pickable, not ATP, shown as held on the map; release is the receipt release's kind
  of move back to available.
- A unit holding nothing but the lot is held whole (a unit move with `to_status`, as a receipt
  release does). A unit holding other stock too cannot have one line's status changed inside it:
  its share of the lot is taken out of it, held loose at the unit's place (said in the report).
- Loose stock is a location's available balance of the lot less what its units hold.
- Event ids derive from the recall id and the place, so repeating a recall applies nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import NAMESPACE_URL, uuid5

from cloud_hub.trace.model import LotKey, Report
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus, UnitRef

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class UnitShare:
    """A unit's available quantity of the lot, where it stands, and whether it holds only it."""

    unit: str
    location: str
    quantity: Decimal
    only_this_lot: bool


@dataclass(frozen=True, slots=True)
class HoldPlan:
    moves: tuple[StockMoved, ...]
    held_whole_units: tuple[str, ...]
    taken_out_of: tuple[str, ...]  # mixed units whose share was held loose at their place
    quantity: Decimal


def unit_ref(key: str) -> UnitRef:
    if key.startswith("sscc:"):
        return UnitRef(sscc=key[5:])
    if key.startswith("epc:"):
        return UnitRef(epc=key[4:])
    raise ValueError(f"unit {key} is neither sscc: nor epc:")


def plan_hold(recall_id: str, warehouse: str, key: LotKey, balances: dict[str, Decimal],
              units: list[UnitShare], *, occurred_at: datetime, user: str,
              device_id: str) -> HoldPlan:
    """The moves that hold `key`'s available stock: `balances` location → available quantity
    (units' contents included, as the ledger's balances are), `units` the units holding some."""
    def move(place: str, what: str, *, unit: UnitRef | None = None,
             item: ItemLine | None = None) -> StockMoved:
        return StockMoved(
            event_id=uuid5(NAMESPACE_URL, f"stockpulse:recall:{recall_id}:{place}:{what}"),
            occurred_at=occurred_at, warehouse=warehouse,
            source=Source(kind=SourceKind.SYSTEM, device_id=device_id), unit=unit, item=item,
            from_location=place, to_location=place, to_status=StockStatus.QUARANTINE,
            reason=Reason.ADJUST, task_id=f"recall:{recall_id}", user=user)

    def item(qty: Decimal) -> ItemLine:
        return ItemLine(sku=key.sku, lot=key.lot or None, quantity=qty,
                        status=StockStatus.AVAILABLE)

    moves: list[StockMoved] = []
    whole: list[str] = []
    mixed: list[str] = []
    in_units: dict[str, Decimal] = {}
    total = ZERO
    for share in sorted(units, key=lambda s: s.unit):
        in_units[share.location] = in_units.get(share.location, ZERO) + share.quantity
        total += share.quantity
        if share.only_this_lot:
            whole.append(share.unit)
            moves.append(move(share.location, share.unit, unit=unit_ref(share.unit)))
        else:
            mixed.append(share.unit)
            moves.append(move(share.location, share.unit, unit=unit_ref(share.unit),
                              item=item(share.quantity)))
    for place in sorted(balances):
        loose = balances[place] - in_units.get(place, ZERO)
        if loose > ZERO:
            total += loose
            moves.append(move(place, "loose", item=item(loose)))
    return HoldPlan(tuple(moves), tuple(whole), tuple(mixed), total)


def received(report: Report) -> Decimal:
    """What came in of the lot: its receive steps (a pallet's: what it declared of the lot)."""
    return sum((s.quantity or ZERO for s in report.trace.steps if s.kind == "receive"), ZERO)


def shipped_by_order(report: Report) -> dict[str, Decimal]:
    """What left on which order (shipment moves of task `ship:<order>`); `""`: no order named."""
    out: dict[str, Decimal] = {}
    for step in report.trace.steps:
        if step.kind == "ship" and step.quantity is not None:
            out[step.order or ""] = out.get(step.order or "", ZERO) + step.quantity
    return out
