"""What a task screen shows for a flow: a title, the one thing to do, the facts, the buttons.

Rule kept here: a blind step never shows its expected quantity; the headline always names
exactly one action.
"""

from __future__ import annotations

from dataclasses import dataclass

from pda_app.flows.feedback import Feedback
from pda_app.flows.policy import policy
from pda_app.flows.task import Phase, TaskFlow
from protocol.tasks import Instruction, TaskStep


@dataclass(frozen=True, slots=True)
class StepView:
    title: str
    headline: str
    lines: tuple[str, ...]
    feedback: Feedback
    actions: tuple[str, ...]  # "confirm", "short", "skip", "tasks"
    expect: str  # the instruction or phase the input field waits for


def view(flow: TaskFlow) -> StepView:
    task, step = flow.task, flow.step
    rule = policy(task.kind)
    total = len(task.steps)
    position = f" {step.sequence}/{total}" if step is not None else ""
    title = f"{rule.title}{position} · {task.reference or task.task_id}"
    lines = _facts(step, flow) if step is not None else ()
    return StepView(title, _headline(flow, step), lines, flow.feedback, _actions(flow),
                    (flow.expect.value if flow.expect else flow.phase.value))


def _headline(flow: TaskFlow, step: TaskStep | None) -> str:
    if flow.phase is Phase.FINISHED:
        drop = next((s.to_location for s in flow.task.steps if s.to_location), None)
        if drop and policy(flow.task.kind).screen == "picking":
            return f"Task done: take it to {drop}"
        return "Task done"
    if flow.phase is Phase.STOPPED:
        return "Stop: this task is not yours any more"
    if step is None:
        return "No step"
    if flow.phase is Phase.READY:
        return "Press CONFIRM"
    if flow.phase is Phase.SHORT:
        return "Short pick? Press SHORT PICK or key again"
    if flow.phase is Phase.OVERRIDE:
        return f"Key a reason to use bin {flow.got.bin}"
    return _prompt(flow.expect, step)


def _prompt(expect: Instruction | None, step: TaskStep) -> str:
    match expect:
        case Instruction.SCAN_LOCATION:
            return f"Go to {step.location} and scan it"
        case Instruction.SCAN_UNIT:
            named = f" {step.unit.sscc or step.unit.epc}" if step.unit else ""
            return f"Scan pallet{named}"
        case Instruction.SCAN_ITEM:
            return f"Scan item {step.sku or step.gtin or ''}".rstrip()
        case Instruction.ENTER_LOT:
            return f"Scan lot {step.lot}" if step.lot else "Scan or key the lot"
        case Instruction.ENTER_QUANTITY:
            if step.blind or step.remaining_quantity is None:
                return "Count, then key the quantity"
            return f"Key quantity: {step.remaining_quantity} {step.uom}"
        case Instruction.SCAN_BIN:
            return f"Take it to {step.to_location} and scan the bin"
        case _:
            return "Scan"


def _facts(step: TaskStep, flow: TaskFlow) -> tuple[str, ...]:
    lines = []
    if step.location:
        lines.append(f"Location  {step.location}")
    if step.sku or step.gtin:
        lines.append(f"Item  {step.sku or ''} {step.description or ''}".rstrip())
    if step.lot:
        expiry = f"  exp {step.expiry.isoformat()}" if step.expiry else ""
        lines.append(f"Lot  {step.lot}{expiry}")
    if not step.blind and step.remaining_quantity is not None:
        lines.append(f"Quantity  {step.remaining_quantity} {step.uom}")
    elif step.blind:
        lines.append("Blind count")
    if step.to_location:
        lines.append(f"To  {step.to_location}")
    if flow.got.quantity is not None:
        lines.append(f"Keyed  {flow.got.quantity} {step.uom}")
    return tuple(lines)


def _actions(flow: TaskFlow) -> tuple[str, ...]:
    if flow.phase is Phase.READY:
        return ("confirm", "skip")
    if flow.phase is Phase.SHORT:
        return ("short", "skip")
    if flow.phase in (Phase.FINISHED, Phase.STOPPED):
        return ("tasks",)
    return ("skip",)
