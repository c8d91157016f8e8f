"""The task flow: a pure state machine that walks a task's steps scan by scan.

Rule kept here: `scan`, `short`, `confirm`, `answer` and `refresh` each return a new TaskFlow
with exactly one Feedback; nothing here reads the clock, makes ids or does I/O — `today`,
`now` and idempotency keys are passed in. A confirmed step is applied optimistically (the
confirmation may sit in the offline queue) and rolled back if the hub later refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from pda_app.flows import checks
from pda_app.flows.checks import Collected, Refusal
from pda_app.flows.feedback import Feedback, Local
from pda_app.flows.policy import policy
from pda_app.flows.scan import read_scan
from protocol.tasks import (
    ConfirmationResult,
    Instruction,
    ResultCode,
    SkipReason,
    SkipRequest,
    StepConfirmation,
    StepState,
    Task,
    TaskState,
    TaskStep,
)

ZERO = Decimal(0)
OPEN_STEPS = (StepState.PENDING, StepState.PARTIAL)
STOPPING = (ResultCode.TASK_CANCELLED, ResultCode.TASK_REASSIGNED, ResultCode.TASK_NOT_CLAIMED)


class Phase(StrEnum):
    SCANNING = "scanning"  # waiting for the scan named by `expect`
    SHORT = "short"  # fewer than remaining: declare a short pick or key again
    OVERRIDE = "override"  # another bin than suggested: key a reason or scan the right bin
    READY = "ready"  # everything scanned: press confirm
    FINISHED = "finished"  # every step confirmed (some may still be in the queue)
    STOPPED = "stopped"  # cancelled or reassigned: the feedback says what to do


@dataclass(frozen=True, slots=True)
class TaskFlow:
    task: Task
    user: str
    phase: Phase
    feedback: Feedback
    step_id: str | None = None
    prompts: tuple[Instruction, ...] = ()  # still to answer on this step, in order
    got: Collected = field(default_factory=Collected)
    sent: tuple[tuple[UUID, TaskStep], ...] = ()  # each unanswered step as it was before

    @property
    def step(self) -> TaskStep | None:
        return next((s for s in self.task.steps if s.step_id == self.step_id), None)

    @property
    def expect(self) -> Instruction | None:
        return self.prompts[0] if self.phase is Phase.SCANNING and self.prompts else None

    @property
    def unanswered(self) -> int:
        return len(self.sent)


def start(task: Task, user: str) -> TaskFlow:
    """The flow of a task just taken (or reopened): at its first open step."""
    flow = TaskFlow(task, user, Phase.SCANNING, Feedback.info(Local.SCANNED, ""))
    stopped = _stop_reason(task, user)
    if stopped is not None:
        return _stopped(flow, stopped)
    return _next_step(flow, Feedback.info(Local.SCANNED, f"{policy(task.kind).title} started"))


def scan(flow: TaskFlow, raw: str, today: date) -> TaskFlow:
    """One scan (or keyed entry ending in Enter) in the current phase."""
    if flow.phase is Phase.SHORT:
        return _answer_prompt(replace(flow, phase=Phase.SCANNING),
                              Instruction.ENTER_QUANTITY, raw, today)
    if flow.phase is Phase.OVERRIDE:
        return _override(flow, raw)
    if flow.phase is Phase.READY:
        return replace(flow, feedback=Feedback.info(Local.READY, "All scanned: press CONFIRM"))
    if flow.phase is not Phase.SCANNING or flow.expect is None:
        return replace(flow, feedback=Feedback.info(Local.IGNORED, "Nothing to scan here"))
    return _answer_prompt(flow, flow.expect, raw, today)


def short(flow: TaskFlow) -> TaskFlow:
    """The picker declares there is no more: close the step short (backorder + count)."""
    if flow.phase is not Phase.SHORT:
        return replace(flow, feedback=Feedback.info(Local.IGNORED, "No short pick to declare"))
    got = replace(flow.got, short=True)
    return _ready(replace(flow, got=got), Feedback.warn(
        ResultCode.SHORT_PICK, f"Short pick of {got.quantity}: press CONFIRM"))


def confirm(flow: TaskFlow, key: UUID, now: datetime,
            device_id: str) -> tuple[TaskFlow, StepConfirmation | None]:
    """Press CONFIRM: the confirmation to queue, and the flow moved on to the next step."""
    step = flow.step
    if flow.phase is not Phase.READY or step is None:
        return replace(flow, feedback=Feedback.info(Local.IGNORED, "Nothing to confirm yet")), None
    got = flow.got
    rule = policy(flow.task.kind)
    location = got.bin if rule.location_is_bin else got.location
    conf = StepConfirmation(
        idempotency_key=key, task_id=flow.task.task_id, step_id=step.step_id,
        scanned_location=location, scanned_unit=got.unit, scanned_gtin=got.gtin,
        scanned_sku=got.sku, lot=got.lot, expiry=got.expiry, serial=got.serial,
        quantity=got.quantity, short=got.short,
        occurred_at=now, device_id=device_id, override_reason=got.override_reason)
    task = _with_step(flow.task, checks.advance(step, got))
    moved = replace(flow, task=task, sent=(*flow.sent, (key, step)))
    said = checks.summary(rule.verb, step, got)
    return _next_step(moved, Feedback.ok(Local.SENT, said)), conf


def answer(flow: TaskFlow, result: ConfirmationResult) -> TaskFlow:
    """The hub's answer to one of this flow's confirmations (now or after an offline replay)."""
    if result.task_id != flow.task.task_id:
        return flow
    before = dict(flow.sent).get(result.idempotency_key)
    flow = replace(flow, sent=tuple(p for p in flow.sent if p[0] != result.idempotency_key))
    if result.accepted:
        return _accepted(flow, result)
    if result.code in STOPPING:
        return _stopped(flow, result.code, result.message)
    if result.code is ResultCode.ALREADY_APPLIED or before is None:
        return replace(flow, feedback=Feedback.warn(result.code, result.message))
    task = _with_step(flow.task, before)
    return _begin(replace(flow, task=task), before, Feedback.error(result.code, result.message))


def refresh(flow: TaskFlow, task: Task) -> TaskFlow:
    """The hub's current view of the task: stop if it was cancelled or given to someone else."""
    if task.task_id != flow.task.task_id:
        return flow
    stopped = _stop_reason(task, flow.user)
    if stopped is not None and flow.phase is not Phase.STOPPED:
        return _stopped(replace(flow, task=task), stopped)
    return flow


def refuse_held(flow: TaskFlow, message: str) -> TaskFlow:
    """The item just scanned is on hold at this bin: back to scanning the item (the location
    stays scanned), told in red why and what to do."""
    step = flow.step
    if step is None:
        return flow
    skip = (Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION) if flow.got.location else \
        (Instruction.GO_TO_LOCATION,)
    prompts = tuple(i for i in step.instructions if i not in skip)
    return replace(flow, phase=Phase.SCANNING, prompts=prompts,
                   got=Collected(location=flow.got.location),
                   feedback=Feedback.error(Local.HELD, message))


# --- inside ---------------------------------------------------------------------------------

def _answer_prompt(flow: TaskFlow, prompt: Instruction, raw: str, today: date) -> TaskFlow:
    step = flow.step
    assert step is not None  # SCANNING always has a step
    seen = read_scan(raw, today)
    try:
        got, filled, note = checks.check(prompt, step, flow.task.kind, seen, flow.got, today)
    except Refusal as refusal:
        if refusal.code is ResultCode.SHORT_PICK:
            asked = replace(flow, phase=Phase.SHORT, got=replace(flow.got, quantity=refusal.value))
            return replace(asked, feedback=Feedback.warn(Local.SHORT_ASKED, refusal.message))
        if refusal.code is ResultCode.OVERRIDE_NOT_ALLOWED and step.override_allowed:
            asked = replace(flow, phase=Phase.OVERRIDE, got=replace(flow.got, bin=seen.text))
            return replace(asked, feedback=Feedback.warn(Local.OVERRIDE_ASKED, refusal.message))
        return replace(flow, feedback=Feedback.error(refusal.code, refusal.message))
    prompts = tuple(p for p in flow.prompts if p is not prompt and p not in filled)
    flow = replace(flow, got=got, prompts=prompts)
    if not prompts:
        return _ready(flow, note)
    return replace(flow, feedback=note)


def _override(flow: TaskFlow, raw: str) -> TaskFlow:
    step = flow.step
    text = raw.strip()
    if step is not None and text == step.to_location:
        flow = replace(flow, phase=Phase.SCANNING, got=replace(flow.got, bin=text))
        return _answer_done(flow, Instruction.SCAN_BIN,
                            Feedback.ok(Local.SCANNED, f"Bin {text} is right"))
    if len(text) < 3:
        return replace(flow, feedback=Feedback.error(
            Local.OVERRIDE_ASKED, "Key a reason (3 letters or more), or scan the suggested bin"))
    flow = replace(flow, phase=Phase.SCANNING, got=replace(flow.got, override_reason=text))
    return _answer_done(flow, Instruction.SCAN_BIN,
                        Feedback.warn(ResultCode.OVERRIDDEN, f"Using bin {flow.got.bin}: {text}"))


def _answer_done(flow: TaskFlow, prompt: Instruction, note: Feedback) -> TaskFlow:
    prompts = tuple(p for p in flow.prompts if p is not prompt)
    flow = replace(flow, prompts=prompts)
    return _ready(flow, note) if not prompts else replace(flow, feedback=note)


def _ready(flow: TaskFlow, note: Feedback) -> TaskFlow:
    message = f"{note.message} — press CONFIRM" if note.message else "Press CONFIRM"
    return replace(flow, phase=Phase.READY, prompts=(),
                   feedback=Feedback(note.tone, note.code, message))


def _next_step(flow: TaskFlow, note: Feedback) -> TaskFlow:
    step = flow.task.current_step
    if step is None:
        where = _drop_point(flow.task)
        done = f"{note.message}. Task complete" + (f": take it to {where}" if where else "")
        return replace(flow, phase=Phase.FINISHED, step_id=None, prompts=(), got=Collected(),
                       feedback=Feedback(note.tone, Local.FINISHED, done.lstrip(". ")))
    return _begin(flow, step, note)


def _begin(flow: TaskFlow, step: TaskStep, note: Feedback) -> TaskFlow:
    prompts = tuple(i for i in step.instructions if i is not Instruction.GO_TO_LOCATION)
    flow = replace(flow, step_id=step.step_id, prompts=prompts, got=Collected(),
                   phase=Phase.SCANNING, feedback=note)
    return flow if prompts else _ready(flow, note)


def _accepted(flow: TaskFlow, result: ConfirmationResult) -> TaskFlow:
    step = next((s for s in flow.task.steps if s.step_id == result.step_id), None)
    if step is not None and result.step_state is not None:
        update: dict[str, object] = {"state": result.step_state}
        if result.remaining_quantity is not None and not step.blind:
            update["remaining_quantity"] = result.remaining_quantity
        flow = replace(flow, task=_with_step(flow.task, step.model_copy(update=update)))
    tone = Feedback.warn if result.code is ResultCode.SHORT_PICK else Feedback.ok
    return replace(flow, feedback=tone(result.code, result.message))


def _with_step(task: Task, step: TaskStep) -> Task:
    steps = tuple(step if s.step_id == step.step_id else s for s in task.steps)
    return task.model_copy(update={"steps": steps})


def _drop_point(task: Task) -> str | None:
    return next((s.to_location for s in task.steps
                 if s.to_location and policy(task.kind).screen == "picking"), None)


def _stop_reason(task: Task, user: str) -> ResultCode | None:
    if task.state is TaskState.CANCELLED:
        return ResultCode.TASK_CANCELLED
    if task.assigned_to is not None and task.assigned_to != user:
        return ResultCode.TASK_REASSIGNED
    return None


def _stopped(flow: TaskFlow, code: ResultCode, hub_says: str = "") -> TaskFlow:
    advice = checks.stop_advice(code, flow.task, flow.user)
    message = f"{hub_says}. {advice}" if hub_says else advice
    return replace(flow, phase=Phase.STOPPED, prompts=(), got=Collected(),
                   feedback=Feedback.error(code, message))


def skip(flow: TaskFlow, reason: SkipReason, note: str, key: UUID, now: datetime,
         device_id: str) -> tuple[TaskFlow, SkipRequest | None]:
    """Put the task aside (it goes back to the pool) with a reason the supervisor sees."""
    if flow.phase in (Phase.FINISHED, Phase.STOPPED):
        return replace(flow, feedback=Feedback.info(Local.IGNORED, "Nothing to skip")), None
    request = SkipRequest(idempotency_key=key, reason=reason, step_id=flow.step_id,
                          note=note or None, occurred_at=now, device_id=device_id)
    done = replace(flow, phase=Phase.FINISHED, step_id=None, prompts=(), got=Collected(),
                   feedback=Feedback.warn(Local.FINISHED,
                                          f"Task {flow.task.task_id} put aside: {reason.value}"))
    return done, request
