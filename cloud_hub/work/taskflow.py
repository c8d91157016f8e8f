"""The task state machine: what a PDA step confirmation does to a task, which ledger moves
it makes and which follow-up work it calls for.

Rule kept here: a confirmation is checked whole before anything changes; a rejected one
changes nothing and makes no move. Move and follow-up ids derive from the idempotency key,
so a replay can only ever produce the same events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from cloud_hub.work.model import ZERO, SkuProfile
from cloud_hub.work.putaway import check_scanned_bin
from cloud_hub.work.steps import (
    Backorder,
    ConfirmContext,
    Counted,
    CountNeeded,
    Effect,
    Picked,
    Received,
    Refused,
    WorkTask,
    check_item,
    check_location,
    check_lot,
    check_recall,
    check_unit,
    derived_id,
    in_base_units,
    make_move,
    quantity,
    unit_ref,
)
from protocol.events import ItemLine, Reason, StockMoved
from protocol.tasks import (
    ConfirmationResult,
    ResultCode,
    StepConfirmation,
    StepState,
    Task,
    TaskKind,
    TaskState,
    TaskStep,
)

OPEN_STEPS = (StepState.PENDING, StepState.PARTIAL)
CLOSED_TASKS = (TaskState.DONE, TaskState.CANCELLED, TaskState.SKIPPED)


@dataclass(frozen=True, slots=True)
class Decision:
    result: ConfirmationResult
    task: WorkTask
    moves: tuple[StockMoved, ...] = ()
    effects: tuple[Effect, ...] = ()


@dataclass(frozen=True, slots=True)
class _Done:
    quantity: Decimal
    moves: tuple[StockMoved, ...]
    effects: tuple[Effect, ...]
    code: ResultCode
    message: str
    short: bool = False


def confirm(work: WorkTask, conf: StepConfirmation, ctx: ConfirmContext) -> Decision:
    """Check a step confirmation and, when it holds, the task after it and its moves."""
    task = work.task
    step = next((s for s in task.steps if s.step_id == conf.step_id), None)
    try:
        if step is None or conf.task_id != task.task_id:
            raise Refused(ResultCode.UNKNOWN_STEP,
                          f"task {task.task_id} has no step {conf.step_id}")
        if task.kind is TaskKind.PICK:
            check_recall(step, conf, ctx)
        _check_task(task, step, ctx.user)
        done = _HANDLERS[task.kind](work, step, in_base_units(step, conf, ctx), ctx)
    except Refused as refused:
        return Decision(_result(conf, task, "rejected", refused.code, refused.message, step),
                        work)
    new_step = _advance(step, done.quantity, short=done.short)
    new_task = _with_step(task, new_step, ctx.user)
    follow = tuple(e.task_id for e in done.effects if isinstance(e, CountNeeded))
    result = _result(conf, new_task, "accepted", done.code, done.message, new_step,
                     moves=tuple(m.event_id for m in done.moves), follow=follow)
    return Decision(result, WorkTask(new_task, work.links), done.moves, done.effects)


def _check_task(task: Task, step: TaskStep, user: str) -> None:
    if task.state is TaskState.CANCELLED:
        why = f" ({task.note})" if task.note else ""
        raise Refused(ResultCode.TASK_CANCELLED, f"this task was cancelled{why}; leave it")
    if task.assigned_to is not None and task.assigned_to != user:
        raise Refused(ResultCode.TASK_REASSIGNED, f"this task now belongs to {task.assigned_to}")
    if task.state in CLOSED_TASKS or step.state not in OPEN_STEPS:
        raise Refused(ResultCode.ALREADY_APPLIED, f"step {step.sequence} is already done")


def _advance(step: TaskStep, qty: Decimal, *, short: bool) -> TaskStep:
    done = step.done_quantity + qty
    if step.blind or step.expected_quantity is None:
        return step.model_copy(update={"done_quantity": done, "state": StepState.DONE})
    remaining = max(ZERO, step.expected_quantity - done)
    open_state = StepState.SHORT if short else StepState.PARTIAL
    state = StepState.DONE if remaining == ZERO else open_state
    return step.model_copy(update={"done_quantity": done, "remaining_quantity": remaining,
                                   "state": state})


def _with_step(task: Task, new_step: TaskStep, user: str) -> Task:
    steps = tuple(new_step if s.step_id == new_step.step_id else s for s in task.steps)
    finished = all(s.state not in OPEN_STEPS for s in steps)
    return task.model_copy(update={
        "steps": steps, "assigned_to": task.assigned_to or user,
        "state": TaskState.DONE if finished else TaskState.IN_PROGRESS})


def _result(conf: StepConfirmation, task: Task, status: str, code: ResultCode, message: str,
            step: TaskStep | None, moves: tuple[UUID, ...] = (),
            follow: tuple[str, ...] = ()) -> ConfirmationResult:
    nxt = task.current_step
    return ConfirmationResult(
        idempotency_key=conf.idempotency_key, task_id=conf.task_id, step_id=conf.step_id,
        status=status, code=code, message=message,  # type: ignore[arg-type]
        task_state=task.state, step_state=step.state if step else None,
        remaining_quantity=None if step is None or step.blind else step.remaining_quantity,
        next_step_id=nxt.step_id if nxt else None, move_ids=moves, follow_up_task_ids=follow)


# --- one handler per task kind --------------------------------------------------------------

def _pick(work: WorkTask, step: TaskStep, conf: StepConfirmation, ctx: ConfirmContext) -> _Done:
    check_location(step, conf)
    check_item(step, conf, ctx)
    lot = check_lot(step, conf, ctx)
    qty = quantity(step, conf, default_all=False)
    link = work.link(step.step_id)
    remaining = step.remaining_quantity or ZERO
    moves: tuple[StockMoved, ...] = ()
    if qty > ZERO:
        item = ItemLine(sku=step.sku, lot=lot or None, quantity=qty, uom=step.uom,
                        status=link.stock_status)
        unit = unit_ref(link.unit_key) if link.unit_key else None
        moves = (make_move(conf, work.task, 0, Reason.PICK, item=item, unit=unit,
                           src=step.location, dst=step.to_location, user=ctx.user),)
    effects: list[Effect] = []
    if link.order_id is not None and link.line_no is not None and qty > ZERO:
        effects.append(Picked(link.order_id, link.line_no, qty, step.sku or "", lot,
                              step.to_location or ""))
    if qty < remaining and conf.short:
        missing = remaining - qty
        if link.order_id is not None and link.line_no is not None:
            effects.append(Backorder(link.order_id, link.line_no, step.sku or "", missing))
        count_id = str(derived_id(conf.idempotency_key, "short-count"))
        effects.append(CountNeeded(count_id, step.location or "", step.sku, "short_pick"))
        return _Done(qty, moves, tuple(effects), ResultCode.SHORT_PICK,
                     f"short by {missing}: backordered, {step.location} will be counted",
                     short=True)
    code = ResultCode.OK if qty == remaining else ResultCode.PARTIAL
    return _Done(qty, moves, tuple(effects), code,
                 f"picked {qty} {step.uom}" + ("" if code is ResultCode.OK
                                               else f", {remaining - qty} to go"))


def _putaway(work: WorkTask, step: TaskStep, conf: StepConfirmation,
             ctx: ConfirmContext) -> _Done:
    check_unit(step, conf)
    qty = step.remaining_quantity or step.expected_quantity or ZERO
    profile = ctx.profiles.get(step.sku or "", SkuProfile(step.sku or ""))
    verdict = check_scanned_bin(step.to_location or "", conf.scanned_location, profile=profile,
                                quantity=qty, bins=ctx.bins, loads=ctx.loads,
                                may_override=ctx.may_override,
                                override_reason=conf.override_reason)
    if not verdict.accepted:
        raise Refused(verdict.code, verdict.message)
    link = work.link(step.step_id)
    if step.unit is not None:
        move = make_move(conf, work.task, 0, Reason.PUTAWAY, item=None, unit=step.unit,
                         src=step.location, dst=conf.scanned_location, user=ctx.user)
    else:
        item = ItemLine(sku=step.sku, lot=step.lot, expiry=step.expiry, quantity=qty,
                        uom=step.uom, status=link.stock_status)
        move = make_move(conf, work.task, 0, Reason.PUTAWAY, item=item, unit=None,
                         src=step.location, dst=conf.scanned_location, user=ctx.user)
    return _Done(qty, (move,), (), verdict.code, verdict.message)


def _receive(work: WorkTask, step: TaskStep, conf: StepConfirmation,
             ctx: ConfirmContext) -> _Done:
    check_unit(step, conf)
    if step.unit is None:
        check_item(step, conf, ctx)
    lot = check_lot(step, conf, ctx)
    qty = conf.quantity if conf.quantity is not None else step.remaining_quantity
    if qty is None or qty <= ZERO:
        raise Refused(ResultCode.INVALID, "enter the quantity received")
    if conf.serial is not None and qty != 1:
        raise Refused(ResultCode.INVALID, f"serial {conf.serial} is one item, not {qty}")
    link = work.link(step.step_id)
    # The label's expiry, when the PDA read one, is what the lot master hears (a receipt that
    # said otherwise is a conflict there, not overwritten); else the receipt's.
    line = ItemLine(sku=step.sku, lot=lot or None, serial=conf.serial,
                    expiry=conf.expiry if conf.expiry is not None else step.expiry,
                    quantity=qty, uom=step.uom)
    unit = conf.scanned_unit or step.unit
    if unit is not None:
        move = make_move(conf, work.task, 0, Reason.RECEIVE, item=None, unit=unit, src=None,
                         dst=step.location, user=ctx.user, to_status=link.to_status,
                         contents=(line,))
    else:
        move = make_move(conf, work.task, 0, Reason.RECEIVE, item=line, unit=None, src=None,
                         dst=step.location, user=ctx.user, to_status=link.to_status)
    effects: tuple[Effect, ...] = ()
    if link.receipt_id and link.receipt_line:
        effects = (Received(link.receipt_id, link.receipt_line, qty,
                            unit.key if unit else None, step.location or ""),)
    over = step.remaining_quantity is not None and qty > step.remaining_quantity
    done_qty = min(qty, step.remaining_quantity) if step.remaining_quantity is not None else qty
    return _Done(done_qty, (move,), effects, ResultCode.OK,
                 f"received {qty} {step.uom}" + (" — more than expected, flagged" if over else ""))


def _count(work: WorkTask, step: TaskStep, conf: StepConfirmation,
           ctx: ConfirmContext) -> _Done:
    check_location(step, conf)
    if step.sku is not None:
        check_item(step, conf, ctx)
    if conf.quantity is None:
        raise Refused(ResultCode.INVALID, "enter the quantity you counted")
    sku = step.sku or conf.scanned_sku or ctx.gtins.get(conf.scanned_gtin or "", "")
    if not sku:
        raise Refused(ResultCode.INVALID, "scan the item you counted")
    counted = Counted(step.step_id, step.location or "", sku, step.lot or conf.lot or "",
                      conf.quantity)
    # The step's done_quantity records the count itself; the variance is decided by the hub
    # against the ledger (snapshot + moves during the count), not here.
    qty = step.remaining_quantity if step.remaining_quantity is not None else conf.quantity
    return _Done(qty, (), (counted,), ResultCode.OK, f"counted {conf.quantity} {step.uom}")


def _replenish(work: WorkTask, step: TaskStep, conf: StepConfirmation,
               ctx: ConfirmContext) -> _Done:
    check_location(step, conf)
    check_item(step, conf, ctx)
    lot = check_lot(step, conf, ctx)
    qty = quantity(step, conf, default_all=False)
    item = ItemLine(sku=step.sku, lot=lot or None, quantity=qty, uom=step.uom)
    move = make_move(conf, work.task, 0, Reason.TRANSFER, item=item, unit=None,
                     src=step.location, dst=step.to_location, user=ctx.user)
    return _Done(qty, (move,), (), ResultCode.OK, f"moved {qty} to {step.to_location}",
                 short=conf.short)


_Handler = Callable[[WorkTask, TaskStep, StepConfirmation, ConfirmContext], _Done]
_HANDLERS: dict[TaskKind, _Handler] = {
    TaskKind.PICK: _pick, TaskKind.PUTAWAY: _putaway, TaskKind.RECEIVE: _receive,
    TaskKind.COUNT: _count, TaskKind.REPLENISH: _replenish,
}
