"""A recall's ledger moves: hold (available → recalled), release (recalled → available) and
scrap (recalled → out of stock) of a lot's stock, or of single serialised items.

Rules kept here:

- Every status change is a move the ledger applies like any other (reason `adjust`, task
  `recall:<id>`, the caller as user, the recall's reason as `reason_note`), so the ledger stays
  a fold of its moves and nothing that was recorded is lost.
- A unit holding nothing but the lot (in the status being changed) changes whole: a unit move
  with `to_status` (or, for a scrap, a unit move out of stock). A unit holding other stock too
  cannot have one line's status changed inside it: its share of the lot is taken out of it and
  changed loose at the unit's place (said in the report).
- Loose stock is a location's balance of the lot in that status less what its units hold.
- Event ids derive from the recall id, the phase, its round and the place. A step reads the
  stock in its from-status under the recall's lock, so repeating it finds nothing to change;
  a repeated hold (a new round) holds only what arrived since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, uuid5

from cloud_hub.trace.model import LotKey, Report
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus, UnitRef

ZERO = Decimal(0)
ONE = Decimal(1)


class Phase(StrEnum):
    HOLD = "hold"  # available → recalled
    RELEASE = "release"  # recalled → available
    SCRAP = "scrap"  # recalled → out of stock

    @property
    def from_status(self) -> StockStatus:
        return StockStatus.AVAILABLE if self is Phase.HOLD else StockStatus.RECALLED

    @property
    def to_status(self) -> StockStatus | None:
        """The status the stock takes (None: it leaves stock)."""
        return {Phase.HOLD: StockStatus.RECALLED, Phase.RELEASE: StockStatus.AVAILABLE,
                Phase.SCRAP: None}[self]


@dataclass(frozen=True, slots=True)
class UnitShare:
    """A unit's quantity of the lot (in the phase's from-status), where it stands, and whether
    it holds only it."""

    unit: str
    location: str
    quantity: Decimal
    only_this_lot: bool


@dataclass(frozen=True, slots=True)
class SerialAt:
    """One serialised item as the serials projection has it: where it lies, in which unit."""

    sku: str
    serial: str
    lot: str
    location: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class StatusPlan:
    moves: tuple[StockMoved, ...]
    whole_units: tuple[str, ...]
    taken_out_of: tuple[str, ...]  # mixed units whose share was changed loose at their place
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Stamp:
    """Who changes the status, when, why, from which device: the same on every move."""

    recall_id: str
    warehouse: str
    occurred_at: datetime
    user: str
    device_id: str
    note: str = ""
    round: int = 1  # the hold's round: repeating a recall holds stock that arrived since


def unit_ref(key: str) -> UnitRef:
    if key.startswith("sscc:"):
        return UnitRef(sscc=key[5:])
    if key.startswith("epc:"):
        return UnitRef(epc=key[4:])
    raise ValueError(f"unit {key} is neither sscc: nor epc:")


def _move(stamp: Stamp, phase: Phase, place: str, what: str, *, unit: UnitRef | None = None,
          item: ItemLine | None = None, leaves: bool = False,
          to_status: StockStatus | None = None) -> StockMoved:
    extra = {"reason_note": stamp.note} if stamp.note else {}
    name = f"stockpulse:recall:{stamp.recall_id}:{phase}:{stamp.round}:{place}:{what}"
    return StockMoved(
        event_id=uuid5(NAMESPACE_URL, name),
        occurred_at=stamp.occurred_at, warehouse=stamp.warehouse,
        source=Source(kind=SourceKind.SYSTEM, device_id=stamp.device_id), unit=unit, item=item,
        from_location=place, to_location=None if leaves else place, to_status=to_status,
        reason=Reason.ADJUST, task_id=f"recall:{stamp.recall_id}", user=stamp.user, **extra)


def plan_lot(stamp: Stamp, phase: Phase, key: LotKey, balances: dict[str, Decimal],
             units: list[UnitShare]) -> StatusPlan:
    """The moves that change `key`'s stock in the phase's from-status: `balances` location →
    quantity (units' contents included, as the ledger's balances are), `units` the units
    holding some."""
    def item(qty: Decimal) -> ItemLine:
        return ItemLine(sku=key.sku, lot=key.lot or None, quantity=qty, status=phase.from_status)

    scrap = phase is Phase.SCRAP
    moves: list[StockMoved] = []
    whole: list[str] = []
    mixed: list[str] = []
    in_units: dict[str, Decimal] = {}
    total = ZERO
    for share in sorted(units, key=lambda s: s.unit):
        total += share.quantity
        if share.only_this_lot:
            in_units[share.location] = in_units.get(share.location, ZERO) + share.quantity
            whole.append(share.unit)
            moves.append(_move(stamp, phase, share.location, share.unit, leaves=scrap,
                               unit=unit_ref(share.unit), to_status=phase.to_status))
        else:  # taken out loose at its place; a scrap then takes it with the loose stock
            if not scrap:
                in_units[share.location] = in_units.get(share.location, ZERO) + share.quantity
            mixed.append(share.unit)
            moves.append(_move(stamp, phase, share.location, share.unit,
                               unit=unit_ref(share.unit), item=item(share.quantity),
                               to_status=phase.to_status))
            if scrap:
                total -= share.quantity  # counted once, with the loose stock it joins
    for place in sorted(balances):
        loose = balances[place] - in_units.get(place, ZERO)
        if loose > ZERO:
            total += loose
            moves.append(_move(stamp, phase, place, "loose", item=item(loose), leaves=scrap,
                               to_status=phase.to_status))
    return StatusPlan(tuple(moves), tuple(whole), tuple(mixed), total)


def plan_serials(stamp: Stamp, phase: Phase, found: list[SerialAt]) -> StatusPlan:
    """One move per serialised item (quantity 1, its serial named, so its history shows it):
    out of its unit when packed (the ledger cannot change one line inside a unit), then loose."""
    moves: list[StockMoved] = []
    mixed: list[str] = []
    for s in sorted(found, key=lambda s: (s.sku, s.serial)):
        line = ItemLine(sku=s.sku, lot=s.lot or None, serial=s.serial, quantity=ONE,
                        status=phase.from_status)
        what = f"serial:{s.sku}:{s.serial}"
        if s.unit is not None:
            mixed.append(s.unit)
            moves.append(_move(stamp, phase, s.location, what, unit=unit_ref(s.unit), item=line,
                               to_status=phase.to_status if phase is not Phase.SCRAP else None))
            if phase is Phase.SCRAP:
                moves.append(_move(stamp, phase, s.location, what + ":out", item=line,
                                   leaves=True))
        else:
            moves.append(_move(stamp, phase, s.location, what, item=line,
                               leaves=phase is Phase.SCRAP, to_status=phase.to_status))
    return StatusPlan(tuple(moves), (), tuple(sorted(set(mixed))), Decimal(len(found)))


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
