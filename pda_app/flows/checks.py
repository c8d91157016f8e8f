"""The checks a scan meets at each prompt of a step, mirroring the hub's (cloud_hub/work/steps.py).

Rule kept here: a check either returns what was collected or raises Refusal with the hub's
result code and a sentence telling the picker what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from pda_app.flows.feedback import Feedback, Local
from pda_app.flows.policy import Over, policy
from pda_app.flows.scan import Scan, read_quantity, same_gtin
from protocol.events import UnitRef
from protocol.tasks import Instruction, ResultCode, StepState, Task, TaskKind, TaskStep

ZERO = Decimal(0)
_EXPIRY_KINDS = (TaskKind.PICK, TaskKind.REPLENISH, TaskKind.RECEIVE)


@dataclass(frozen=True, slots=True)
class Collected:
    """What has been scanned or keyed on the current step so far."""

    location: str | None = None
    unit: UnitRef | None = None
    gtin: str | None = None
    sku: str | None = None
    lot: str | None = None
    expiry: date | None = None  # the item label's (AI 17): the hub's lot master hears it
    serial: str | None = None  # the item label's (AI 21)
    quantity: Decimal | None = None
    bin: str | None = None
    override_reason: str | None = None
    short: bool = False


class Refusal(Exception):
    def __init__(self, code: ResultCode | Local, message: str, value: Decimal | None = None):
        super().__init__(message)
        self.code, self.message, self.value = code, message, value


Checked = tuple[Collected, tuple[Instruction, ...], Feedback]


def check(prompt: Instruction, step: TaskStep, kind: TaskKind, seen: Scan, got: Collected,
          today: date) -> Checked:
    """Check one scan against the prompt it answers; extra prompts it fills come back too."""
    if not seen.readable:
        raise Refusal(Local.UNREADABLE, f"Could not read that ({seen.error}): scan again")
    if prompt is Instruction.SCAN_LOCATION:
        return _location(step, seen, got)
    if prompt is Instruction.SCAN_UNIT:
        return _unit(step, seen, got)
    if prompt is Instruction.SCAN_ITEM:
        return _item(step, kind, seen, got, today)
    if prompt is Instruction.ENTER_LOT:
        lot = seen.lot or seen.text
        _check_lot(step, kind, lot, seen.expiry, today)
        return (replace(got, lot=lot, expiry=seen.expiry or got.expiry), (),
                Feedback.ok(Local.SCANNED, f"Lot {lot}"))
    if prompt is Instruction.ENTER_QUANTITY:
        quantity = seen.quantity if seen.quantity is not None else read_quantity(seen.text)
        if quantity is None:
            raise Refusal(Local.NOT_A_QUANTITY, f"{seen.text!r} is not a quantity: key a number")
        return quantity_checked(step, kind, quantity, got)
    if prompt is Instruction.SCAN_BIN:
        return _bin(step, seen, got)
    raise Refusal(ResultCode.INVALID, f"This PDA cannot do {prompt.value!r} yet")


def _location(step: TaskStep, seen: Scan, got: Collected) -> Checked:
    wanted = step.location or ""
    if seen.text.casefold() != wanted.casefold():
        raise Refusal(ResultCode.WRONG_LOCATION,
                      f"Wrong location {seen.text}: go to {wanted} and scan its label")
    return replace(got, location=wanted), (), Feedback.ok(Local.SCANNED, f"At {wanted}")


def _unit(step: TaskStep, seen: Scan, got: Collected) -> Checked:
    if not seen.is_unit:
        raise Refusal(Local.NOT_A_UNIT, "That is not a pallet label: scan the SSCC or the tag")
    unit = UnitRef(sscc=seen.sscc) if seen.sscc else UnitRef(epc=seen.epc)
    want = step.unit
    if want is not None and not _same_unit(want, unit):
        raise Refusal(ResultCode.WRONG_UNIT, f"Wrong pallet: find {_unit_label(want)}")
    return replace(got, unit=unit), (), Feedback.ok(Local.SCANNED, f"Pallet {_unit_label(unit)}")


def _item(step: TaskStep, kind: TaskKind, seen: Scan, got: Collected, today: date) -> Checked:
    if seen.is_unit and seen.gtin is None:
        raise Refusal(ResultCode.WRONG_ITEM, f"That is a pallet label: scan the item {step.sku}")
    if seen.gtin is not None:
        if step.gtin is not None and not same_gtin(seen.gtin, step.gtin):
            raise Refusal(ResultCode.WRONG_ITEM, f"Wrong item: this line wants {_item_name(step)}")
        got = replace(got, gtin=step.gtin if step.gtin else seen.gtin,
                      expiry=seen.expiry or got.expiry, serial=seen.serial or got.serial)
    elif step.sku is not None and seen.text != step.sku:
        raise Refusal(ResultCode.WRONG_ITEM,
                      f"Wrong item {seen.text}: this line wants {_item_name(step)}")
    else:
        got = replace(got, sku=seen.text)
    filled: list[Instruction] = []
    notes = [f"Item {step.sku or seen.text}"]
    if seen.lot is not None or seen.expiry is not None:
        _check_lot(step, kind, seen.lot, seen.expiry, today)
        if seen.lot is not None:
            got, notes = replace(got, lot=seen.lot), [*notes, f"lot {seen.lot}"]
            filled.append(Instruction.ENTER_LOT)
    elif step.expiry is not None:
        _check_lot(step, kind, None, None, today)
    if seen.quantity is not None and Instruction.ENTER_QUANTITY in step.instructions:
        got, _, said = quantity_checked(step, kind, seen.quantity, got)
        filled.append(Instruction.ENTER_QUANTITY)
        said = Feedback(said.tone, said.code, ", ".join(notes) + f"; {said.message}")
        return got, tuple(filled), said
    return got, tuple(filled), Feedback.ok(Local.SCANNED, ", ".join(notes))


def _check_lot(step: TaskStep, kind: TaskKind, lot: str | None, expiry: date | None,
               today: date) -> None:
    if step.lot and lot is not None and lot != step.lot:
        raise Refusal(ResultCode.WRONG_LOT, f"Wrong lot {lot}: take lot {step.lot}")
    if kind not in _EXPIRY_KINDS:
        return
    for when in (step.expiry, expiry):
        if when is not None and when < today:
            raise Refusal(ResultCode.EXPIRED_LOT,
                          f"Lot {lot or step.lot or ''} expired on {when.isoformat()}: do not "
                          "take it — set it aside and press SKIP to tell the supervisor")


def quantity_checked(step: TaskStep, kind: TaskKind, quantity: Decimal, got: Collected) -> Checked:
    """A keyed or label quantity against what remains, as the task kind's policy says."""
    rule = policy(kind)
    remaining = step.remaining_quantity
    if quantity == ZERO and not rule.ask_short and kind is not TaskKind.COUNT:
        raise Refusal(Local.NOT_A_QUANTITY, "Key a quantity above 0")
    taken = replace(got, quantity=quantity)
    said = Feedback.ok(Local.SCANNED, f"{quantity} {step.uom}")
    if remaining is not None and quantity > remaining:
        if rule.over is Over.REFUSE:
            raise Refusal(ResultCode.QUANTITY_OVER,
                          f"Too many: {remaining} {step.uom} remain, you keyed {quantity}")
        if rule.over is Over.WARN:
            said = Feedback.warn(Local.SCANNED, f"{quantity} {step.uom} is more than the "
                                 f"{remaining} expected: it will be flagged")
    elif remaining is not None and quantity < remaining and rule.ask_short:
        raise Refusal(ResultCode.SHORT_PICK,
                      f"Only {quantity} of {remaining} {step.uom}? Press SHORT PICK if the "
                      "bin has no more, or key the right quantity", value=quantity)
    return taken, (), said


def _bin(step: TaskStep, seen: Scan, got: Collected) -> Checked:
    wanted = step.to_location or ""
    if seen.text.casefold() == wanted.casefold():
        return replace(got, bin=wanted), (), Feedback.ok(Local.SCANNED, f"Bin {wanted}")
    if step.override_allowed:
        raise Refusal(ResultCode.OVERRIDE_NOT_ALLOWED,
                      f"Bin {seen.text} is not the suggested {wanted}: key a reason to use "
                      f"it, or scan {wanted}")
    raise Refusal(ResultCode.WRONG_LOCATION, f"Wrong bin {seen.text}: put it in {wanted}")


def advance(step: TaskStep, got: Collected) -> TaskStep:
    """The step as the hub will see it once this confirmation is applied (optimistic)."""
    quantity = got.quantity if got.quantity is not None else (step.remaining_quantity or ZERO)
    done = step.done_quantity + quantity
    if step.blind or step.remaining_quantity is None:
        return step.model_copy(update={"done_quantity": done, "state": StepState.DONE})
    remaining = max(ZERO, step.remaining_quantity - quantity)
    state = StepState.DONE if remaining == ZERO else (
        StepState.SHORT if got.short else StepState.PARTIAL)
    return step.model_copy(update={"done_quantity": done, "remaining_quantity": remaining,
                                   "state": state})


def summary(verb: str, step: TaskStep, got: Collected) -> str:
    what = step.sku or got.sku or got.gtin or (got.unit and _unit_label(got.unit)) or "it"
    amount = f"{got.quantity} {step.uom} of " if got.quantity is not None else ""
    where = f" at {got.bin}" if got.bin else ""
    return f"{verb.capitalize()} {amount}{what}{where}" + (" (short)" if got.short else "")


def stop_advice(code: ResultCode, task: Task, user: str) -> str:
    """What the picker should do when the task was taken away from them."""
    picked = any(s.done_quantity > ZERO for s in task.steps)
    back = (" Put back what you already took for it to where you took it from." if picked
            and task.kind in (TaskKind.PICK, TaskKind.REPLENISH) else "")
    if code is ResultCode.TASK_CANCELLED:
        then = " Then take the next task." if back else " Leave it and take the next task."
        return f"The office cancelled task {task.task_id}.{back}{then}"
    if code is ResultCode.TASK_REASSIGNED:
        who = task.assigned_to if task.assigned_to and task.assigned_to != user else "someone else"
        return (f"Task {task.task_id} now belongs to {who}. Stop here and hand what you hold "
                "to them or to your supervisor.")
    return f"Task {task.task_id} is no longer yours: take it again from the task list."


def _same_unit(a: UnitRef, b: UnitRef) -> bool:
    if a.sscc and b.sscc:
        return a.sscc == b.sscc
    return bool(a.epc and b.epc and a.epc.upper() == b.epc.upper())


def _unit_label(unit: UnitRef) -> str:
    return f"SSCC {unit.sscc}" if unit.sscc else f"tag {unit.epc}"


def _item_name(step: TaskStep) -> str:
    return " ".join(x for x in (step.sku, step.description and f"({step.description})") if x)
