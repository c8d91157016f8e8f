"""What task steps are checked against and what they lead to: the context of a confirmation,
the hub-only facts of a step, follow-up effects, and the checks every task kind shares.

Rule kept here: a check either passes or raises Refused with the code the PDA shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid5

from cloud_hub.catalog.uom import UnitOfMeasure, UomError, to_base
from cloud_hub.work.model import ZERO, Bin, BinLoad, SkuProfile
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus, UnitRef
from protocol.tasks import ResultCode, StepConfirmation, Task, TaskStep


@dataclass(frozen=True, slots=True)
class StepLink:
    """What the hub knows about a step that the PDA does not see."""

    order_id: str | None = None
    line_no: int | None = None
    receipt_id: str | None = None
    receipt_line: str | None = None
    hidden_expected: Decimal | None = None  # a blind count's expected quantity
    stock_status: StockStatus = StockStatus.AVAILABLE  # status of the stock being moved
    to_status: StockStatus | None = None  # e.g. quarantine on receipt
    unit_key: str | None = None  # pick out of this unit


@dataclass(frozen=True, slots=True)
class WorkTask:
    task: Task
    links: Mapping[str, StepLink] = field(default_factory=dict)

    def link(self, step_id: str) -> StepLink:
        return self.links.get(step_id, StepLink())


@dataclass(frozen=True, slots=True)
class ConfirmContext:
    user: str
    today: date
    may_override: bool = False
    gtins: Mapping[str, str] = field(default_factory=dict)  # GTIN → SKU
    levels: Mapping[str, UnitOfMeasure] = field(default_factory=dict)  # GTIN → packaging level
    units: Mapping[str, Mapping[str, UnitOfMeasure]] = field(default_factory=dict)  # per SKU
    profiles: Mapping[str, SkuProfile] = field(default_factory=dict)
    bins: Mapping[str, Bin] = field(default_factory=dict)
    loads: Mapping[str, BinLoad] = field(default_factory=dict)
    recalled: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (sku, lot) → recall
    recalled_serials: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (sku, serial)


@dataclass(frozen=True, slots=True)
class Backorder:
    order_id: str
    line_no: int
    sku: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class CountNeeded:
    task_id: str
    location: str
    sku: str | None
    why: str


@dataclass(frozen=True, slots=True)
class Picked:
    order_id: str
    line_no: int
    quantity: Decimal
    sku: str = ""
    lot: str = ""
    location: str = ""  # where the picked stock now lies (staging)


@dataclass(frozen=True, slots=True)
class Received:
    receipt_id: str
    line_id: str
    quantity: Decimal
    unit_key: str | None
    location: str


@dataclass(frozen=True, slots=True)
class Counted:
    step_id: str
    location: str
    sku: str
    lot: str
    counted: Decimal


Effect = Backorder | CountNeeded | Picked | Received | Counted


class Refused(Exception):
    def __init__(self, code: ResultCode, message: str) -> None:
        self.code, self.message = code, message


def derived_id(key: UUID, purpose: str) -> UUID:
    """A stable id made from an idempotency key: replays make the same events and tasks."""
    return uuid5(key, purpose)


# --- checks shared by the kinds ------------------------------------------------------------

def in_base_units(step: TaskStep, conf: StepConfirmation, ctx: ConfirmContext
                  ) -> StepConfirmation:
    """The confirmation with its quantity in the step's (base) unit: a quantity entered in
    another of the SKU's units (`uom`), or counted in the packaging level whose GTIN was scanned
    (a box's GTIN and no quantity: one box), is converted; one that is not a whole number of
    base units, or names a unit the SKU does not have, is refused."""
    level = ctx.levels.get(conf.scanned_gtin) if conf.scanned_gtin else None
    if level is not None and level.sku != step.sku:
        level = None  # another SKU's GTIN: check_item says so
    uom = conf.uom or (level.uom if level is not None else None)
    if uom is None or (uom == step.uom and conf.quantity is None):
        return conf if conf.uom is None else conf.model_copy(update={"uom": None})
    qty = conf.quantity if conf.quantity is not None else \
        (Decimal(1) if conf.uom is None else None)
    if qty is None:
        raise Refused(ResultCode.INVALID, f"enter how many {uom}")
    units = dict(ctx.units.get(step.sku or "", {}))
    units.setdefault(step.uom, UnitOfMeasure(step.sku or "", step.uom, Decimal(1)))
    if level is not None:
        units.setdefault(level.uom, level)
    try:
        base = to_base(units, qty, uom)
    except UomError as exc:
        raise Refused(ResultCode.INVALID, str(exc)) from None
    return conf.model_copy(update={"quantity": base, "uom": None})


def check_location(step: TaskStep, conf: StepConfirmation) -> None:
    if conf.scanned_location is None:
        raise Refused(ResultCode.INVALID, f"scan the location label {step.location}")
    if conf.scanned_location != step.location:
        raise Refused(ResultCode.WRONG_LOCATION,
                      f"wrong location: you scanned {conf.scanned_location}, "
                      f"go to {step.location}")


def check_item(step: TaskStep, conf: StepConfirmation, ctx: ConfirmContext) -> None:
    if conf.scanned_gtin is None and conf.scanned_sku is None:
        raise Refused(ResultCode.INVALID, f"scan the item ({step.sku})")
    if conf.scanned_gtin is not None:
        sku = ctx.gtins.get(conf.scanned_gtin)
        ok = conf.scanned_gtin == step.gtin or (sku is not None and sku == step.sku)
    else:
        ok = conf.scanned_sku == step.sku
    if not ok:
        raise Refused(ResultCode.WRONG_ITEM, f"wrong item: this step wants {step.sku}")


def check_lot(step: TaskStep, conf: StepConfirmation, ctx: ConfirmContext) -> str:
    if step.lot and conf.lot is not None and conf.lot != step.lot:
        raise Refused(ResultCode.WRONG_LOT, f"wrong lot: take lot {step.lot}, not {conf.lot}")
    if step.expiry is not None and step.expiry < ctx.today:
        raise Refused(ResultCode.EXPIRED_LOT,
                      f"lot {step.lot} expired on {step.expiry.isoformat()}; do not ship it")
    return step.lot or conf.lot or ""


def check_recall(step: TaskStep, conf: StepConfirmation, ctx: ConfirmContext) -> None:
    """A recalled lot or serial is never picked, whatever state its step is in."""
    sku = step.sku or ""
    for lot in {step.lot or "", conf.lot or ""} - {""}:
        if (sku, lot) in ctx.recalled:
            raise Refused(ResultCode.RECALLED,
                          f"lot {lot} of {sku} is recalled ({ctx.recalled[(sku, lot)]}): do not "
                          "pick it; leave it where it is")
    if conf.serial and (sku, conf.serial) in ctx.recalled_serials:
        raise Refused(ResultCode.RECALLED,
                      f"serial {conf.serial} of {sku} is recalled "
                      f"({ctx.recalled_serials[(sku, conf.serial)]}): do not pick it")


def check_unit(step: TaskStep, conf: StepConfirmation) -> None:
    if step.unit is None or conf.scanned_unit is None:
        return
    if conf.scanned_unit.key != step.unit.key and not (
            step.unit.epc and conf.scanned_unit.epc
            and step.unit.epc.upper() == conf.scanned_unit.epc.upper()):
        raise Refused(ResultCode.WRONG_UNIT, "wrong pallet: scan the one this task names")


def quantity(step: TaskStep, conf: StepConfirmation, *, default_all: bool) -> Decimal:
    remaining = step.remaining_quantity
    if conf.quantity is None:
        if default_all and remaining is not None:
            return remaining
        raise Refused(ResultCode.INVALID, "enter the quantity")
    if remaining is not None and conf.quantity > remaining:
        raise Refused(ResultCode.QUANTITY_OVER,
                      f"too many: {remaining} {step.uom} remain, you entered {conf.quantity}")
    if conf.quantity == ZERO and not conf.short:
        raise Refused(ResultCode.INVALID, "a quantity of 0 needs 'short' (nothing there)")
    return conf.quantity


def make_move(conf: StepConfirmation, task: Task, n: int, reason: Reason, *,
              item: ItemLine | None, unit: UnitRef | None, src: str | None, dst: str | None,
              user: str, to_status: StockStatus | None = None,
              contents: tuple[ItemLine, ...] = ()) -> StockMoved:
    """The n-th ledger move of a confirmation, as the PDA user saw it."""
    return StockMoved(
        event_id=derived_id(conf.idempotency_key, f"move-{n}"), occurred_at=conf.occurred_at,
        warehouse=task.warehouse, source=Source(kind=SourceKind.PDA, device_id=conf.device_id),
        unit=unit, item=item, contents=contents, from_location=src, to_location=dst,
        to_status=to_status, reason=reason, task_id=task.task_id, user=user)


def unit_ref(key: str) -> UnitRef:
    kind, _, value = key.partition(":")
    return UnitRef(sscc=value) if kind == "sscc" else UnitRef(epc=value)


