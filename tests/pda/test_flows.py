"""The PDA task flows, table-driven, without any UI: every scan answers what to show next."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from pda_app.flows import task as flows
from pda_app.flows.feedback import Local, Tone
from pda_app.flows.task import Phase, TaskFlow
from pda_app.flows.view import view
from protocol.tasks import (
    ConfirmationResult,
    Instruction,
    ResultCode,
    SkipReason,
    StepState,
    Task,
    TaskKind,
    TaskState,
)
from tests.pda.tasks_factory import (
    COUNT,
    GTIN,
    NOW,
    OTHER_GTIN,
    PICK_LOT,
    PUTAWAY,
    RECEIVE,
    TODAY,
    UNIT,
    In,
    step,
    task,
)

GS = "\x1d"
OTHER_SSCC = "106141411234567880"  # valid check digit, not UNIT
REPLENISH = (In.GO_TO_LOCATION, In.SCAN_LOCATION, In.SCAN_ITEM, In.ENTER_QUANTITY, In.SCAN_BIN)


def label(gtin: str = GTIN, lot: str | None = None, qty: int | None = None,
          expiry: str | None = None) -> str:
    """A GS1-128 label as a keyboard-wedge scanner types it: AIM id, GS after variable AIs."""
    parts = [f"]C101{gtin}"]
    if expiry:
        parts.append(f"17{expiry}")
    if lot:
        parts.append(f"10{lot}{GS}")
    if qty is not None:
        parts.append(f"30{qty}{GS}")
    return "".join(parts).rstrip(GS) + "\r\n"


def run(t: Task, scans: list[str], today: date = TODAY) -> TaskFlow:
    flow = flows.start(t, "ann")
    for raw in scans:
        flow = flows.short(flow) if raw == "<SHORT>" else flows.scan(flow, raw, today)
    return flow


@dataclass(frozen=True)
class Case:
    name: str
    task: Task
    scans: list[str]
    code: str  # the last feedback's code
    phase: Phase
    expect: Instruction | None = None
    tone: Tone | None = None
    got: dict[str, object] = field(default_factory=dict)
    today: date = TODAY


P = TaskKind.PICK
CASES = [
    # --- picking ---------------------------------------------------------------------------
    Case("pick happy path", task(P), ["A-01-02", GTIN, "5"], Local.SCANNED, Phase.READY,
         got={"location": "A-01-02", "gtin": GTIN, "quantity": Decimal(5)}),
    Case("wrong location", task(P), ["B-09-01"], ResultCode.WRONG_LOCATION, Phase.SCANNING,
         In.SCAN_LOCATION, Tone.ERROR),
    Case("location label read case-blind", task(P), ["a-01-02"], Local.SCANNED, Phase.SCANNING,
         In.SCAN_ITEM, Tone.OK, {"location": "A-01-02"}),
    # A scanner sending AIM ids: the id is not part of the location code or the GTIN.
    Case("location label as plain Code 128 with AIM id", task(P), ["]C0A-01-02\r"],
         Local.SCANNED, Phase.SCANNING, In.SCAN_ITEM, Tone.OK, {"location": "A-01-02"}),
    Case("location label as plain QR with AIM id", task(P), ["]Q1A-01-02\r"],
         Local.SCANNED, Phase.SCANNING, In.SCAN_ITEM, Tone.OK, {"location": "A-01-02"}),
    Case("EAN-13 with AIM id matches the GTIN", task(P, step(gtin="9506000134352")),
         ["A-01-02", "]E09506000134352\r"], Local.SCANNED, Phase.SCANNING, In.ENTER_QUANTITY,
         got={"gtin": "9506000134352"}),
    Case("wrong item by GTIN", task(P), ["A-01-02", OTHER_GTIN], ResultCode.WRONG_ITEM,
         Phase.SCANNING, In.SCAN_ITEM, Tone.ERROR),
    Case("wrong item by SKU", task(P), ["A-01-02", "SKU-2"], ResultCode.WRONG_ITEM,
         Phase.SCANNING, In.SCAN_ITEM),
    Case("item keyed as SKU", task(P), ["A-01-02", "SKU-1", "5"], Local.SCANNED, Phase.READY,
         got={"sku": "SKU-1", "gtin": None}),
    Case("GTIN-13 matches the 14-digit GTIN", task(P, step(gtin="9506000134352")),
         ["A-01-02", "9506000134352"], Local.SCANNED, Phase.SCANNING, In.ENTER_QUANTITY,
         got={"gtin": "9506000134352"}),
    Case("pallet label is not an item", task(P), ["A-01-02", UNIT.sscc or ""],
         ResultCode.WRONG_ITEM, Phase.SCANNING, In.SCAN_ITEM),
    Case("bad check digit unreadable", task(P), ["A-01-02", "0109506000134353"],
         Local.UNREADABLE, Phase.SCANNING, In.SCAN_ITEM, Tone.ERROR),
    Case("GS1 label fills item, lot and quantity", task(P, step(instructions=PICK_LOT, lot="L1")),
         ["A-01-02", label(lot="L1", qty=5)], Local.SCANNED, Phase.READY,
         got={"gtin": GTIN, "lot": "L1", "quantity": Decimal(5)}),
    Case("GS1 label with only lot leaves quantity", task(P, step(instructions=PICK_LOT, lot="L1")),
         ["A-01-02", label(lot="L1")], Local.SCANNED, Phase.SCANNING, In.ENTER_QUANTITY,
         got={"lot": "L1"}),
    Case("wrong lot on the label", task(P, step(instructions=PICK_LOT, lot="L1")),
         ["A-01-02", label(lot="L2", qty=5)], ResultCode.WRONG_LOT, Phase.SCANNING, In.SCAN_ITEM),
    Case("wrong lot keyed", task(P, step(instructions=PICK_LOT, lot="L1")),
         ["A-01-02", GTIN, "L2"], ResultCode.WRONG_LOT, Phase.SCANNING, In.ENTER_LOT),
    Case("right lot keyed", task(P, step(instructions=PICK_LOT, lot="L1")),
         ["A-01-02", GTIN, "L1", "5"], Local.SCANNED, Phase.READY, got={"lot": "L1"}),
    Case("expired lot on the task", task(P, step(lot="L1", expiry=date(2026, 5, 31))),
         ["A-01-02", GTIN], ResultCode.EXPIRED_LOT, Phase.SCANNING, In.SCAN_ITEM, Tone.ERROR),
    Case("expired lot on the label", task(P, step(instructions=PICK_LOT)),
         ["A-01-02", label(lot="L9", expiry="260101")], ResultCode.EXPIRED_LOT,
         Phase.SCANNING, In.SCAN_ITEM),
    Case("expiring today is fine", task(P, step(lot="L1", expiry=TODAY)),
         ["A-01-02", GTIN], Local.SCANNED, Phase.SCANNING, In.ENTER_QUANTITY),
    Case("quantity over", task(P), ["A-01-02", GTIN, "6"], ResultCode.QUANTITY_OVER,
         Phase.SCANNING, In.ENTER_QUANTITY, Tone.ERROR),
    Case("quantity over on the label", task(P), ["A-01-02", label(qty=9)],
         ResultCode.QUANTITY_OVER, Phase.SCANNING, In.SCAN_ITEM),
    Case("not a quantity", task(P), ["A-01-02", GTIN, "five"], Local.NOT_A_QUANTITY,
         Phase.SCANNING, In.ENTER_QUANTITY),
    Case("decimal comma quantity", task(P, step(uom="KGM")), ["A-01-02", GTIN, "2,5"],
         Local.SHORT_ASKED, Phase.SHORT, got={"quantity": Decimal("2.5")}),
    Case("fewer asks short pick", task(P), ["A-01-02", GTIN, "3"], Local.SHORT_ASKED,
         Phase.SHORT, None, Tone.WARN, {"quantity": Decimal(3), "short": False}),
    Case("nothing there asks short pick", task(P), ["A-01-02", GTIN, "0"], Local.SHORT_ASKED,
         Phase.SHORT, got={"quantity": Decimal(0)}),
    Case("short pick declared", task(P), ["A-01-02", GTIN, "3", "<SHORT>"],
         ResultCode.SHORT_PICK, Phase.READY, got={"quantity": Decimal(3), "short": True}),
    Case("short asked, then keyed right", task(P), ["A-01-02", GTIN, "3", "5"],
         Local.SCANNED, Phase.READY, got={"quantity": Decimal(5), "short": False}),
    Case("short asked, then keyed over", task(P), ["A-01-02", GTIN, "3", "7"],
         ResultCode.QUANTITY_OVER, Phase.SCANNING, In.ENTER_QUANTITY),
    Case("short without asking is ignored", task(P), ["A-01-02", "<SHORT>"], Local.IGNORED,
         Phase.SCANNING, In.SCAN_ITEM),
    Case("scan while ready says confirm", task(P), ["A-01-02", GTIN, "5", "A-01-02"],
         Local.READY, Phase.READY),
    Case("cancelled before start", task(P, state=TaskState.CANCELLED), [],
         ResultCode.TASK_CANCELLED, Phase.STOPPED, None, Tone.ERROR),
    Case("given to someone else", task(P, assigned_to="bob"), [], ResultCode.TASK_REASSIGNED,
         Phase.STOPPED),
    Case("scan after stop is ignored", task(P, state=TaskState.CANCELLED), ["A-01-02"],
         Local.IGNORED, Phase.STOPPED),
    Case("replenish wants the bin", task(TaskKind.REPLENISH, step(instructions=REPLENISH)),
         ["A-01-02", GTIN, "5", "PICKFACE-1"], ResultCode.WRONG_LOCATION, Phase.SCANNING,
         In.SCAN_BIN),
    Case("replenish happy", task(TaskKind.REPLENISH, step(instructions=REPLENISH)),
         ["A-01-02", GTIN, "5", "STAGE-1"], Local.SCANNED, Phase.READY, got={"bin": "STAGE-1"}),
    # --- receiving -------------------------------------------------------------------------
    Case("receive happy", task(TaskKind.RECEIVE, step(instructions=RECEIVE, location="DOCK-1",
                                                      expected_quantity=10,
                                                      remaining_quantity=10)),
         [UNIT.sscc or "", GTIN, "L7", "10"], Local.SCANNED, Phase.READY,
         got={"unit": UNIT, "lot": "L7", "quantity": Decimal(10)}),
    Case("receive GS1 pallet label with AI 00", task(TaskKind.RECEIVE, step(instructions=RECEIVE)),
         [f"]C100{UNIT.sscc}"], Local.SCANNED, Phase.SCANNING, In.SCAN_ITEM, got={"unit": UNIT}),
    Case("receive wants a pallet label", task(TaskKind.RECEIVE, step(instructions=RECEIVE)),
         ["DOCK-1"], Local.NOT_A_UNIT, Phase.SCANNING, In.SCAN_UNIT),
    Case("receive wrong pallet", task(TaskKind.RECEIVE, step(instructions=RECEIVE, unit=UNIT)),
         [OTHER_SSCC], ResultCode.WRONG_UNIT, Phase.SCANNING, In.SCAN_UNIT),
    Case("receive over is flagged, not refused", task(TaskKind.RECEIVE,
                                                       step(instructions=RECEIVE)),
         [OTHER_SSCC, GTIN, "L7", "8"], Local.SCANNED, Phase.READY, None, Tone.WARN),
    Case("receive under does not ask short", task(TaskKind.RECEIVE, step(instructions=RECEIVE)),
         [OTHER_SSCC, GTIN, "L7", "2"], Local.SCANNED, Phase.READY, None, Tone.OK),
    Case("receive zero refused", task(TaskKind.RECEIVE, step(instructions=RECEIVE)),
         [OTHER_SSCC, GTIN, "L7", "0"], Local.NOT_A_QUANTITY, Phase.SCANNING, In.ENTER_QUANTITY),
    Case("receive expired label", task(TaskKind.RECEIVE, step(instructions=RECEIVE)),
         [OTHER_SSCC, label(lot="L7", expiry="250101")], ResultCode.EXPIRED_LOT,
         Phase.SCANNING, In.SCAN_ITEM),
    # --- putaway ---------------------------------------------------------------------------
    Case("putaway happy", task(TaskKind.PUTAWAY, step(instructions=PUTAWAY, unit=UNIT,
                                                      to_location="B-02-03")),
         [UNIT.sscc or "", "B-02-03"], Local.SCANNED, Phase.READY,
         got={"unit": UNIT, "bin": "B-02-03"}),
    Case("putaway wrong bin", task(TaskKind.PUTAWAY, step(instructions=PUTAWAY,
                                                          to_location="B-02-03")),
         [UNIT.sscc or "", "B-02-04"], ResultCode.WRONG_LOCATION, Phase.SCANNING, In.SCAN_BIN),
    Case("putaway other bin asks a reason", task(TaskKind.PUTAWAY, step(
        instructions=PUTAWAY, to_location="B-02-03", override_allowed=True)),
         [UNIT.sscc or "", "B-02-04"], Local.OVERRIDE_ASKED, Phase.OVERRIDE, None, Tone.WARN),
    Case("override reason too short", task(TaskKind.PUTAWAY, step(
        instructions=PUTAWAY, to_location="B-02-03", override_allowed=True)),
         [UNIT.sscc or "", "B-02-04", "x"], Local.OVERRIDE_ASKED, Phase.OVERRIDE, None,
         Tone.ERROR),
    Case("override with a reason", task(TaskKind.PUTAWAY, step(
        instructions=PUTAWAY, to_location="B-02-03", override_allowed=True)),
         [UNIT.sscc or "", "B-02-04", "bin blocked"], ResultCode.OVERRIDDEN, Phase.READY,
         got={"bin": "B-02-04", "override_reason": "bin blocked"}),
    Case("override, then the suggested bin", task(TaskKind.PUTAWAY, step(
        instructions=PUTAWAY, to_location="B-02-03", override_allowed=True)),
         [UNIT.sscc or "", "B-02-04", "B-02-03"], Local.SCANNED, Phase.READY,
         got={"bin": "B-02-03", "override_reason": None}),
    # --- counting --------------------------------------------------------------------------
    Case("blind count any quantity", task(TaskKind.COUNT, step(instructions=COUNT, blind=True)),
         ["A-01-02", GTIN, "17"], Local.SCANNED, Phase.READY, got={"quantity": Decimal(17)}),
    Case("blind count of zero", task(TaskKind.COUNT, step(instructions=COUNT, blind=True)),
         ["A-01-02", GTIN, "0"], Local.SCANNED, Phase.READY, got={"quantity": Decimal(0)}),
    Case("count over the book is fine", task(TaskKind.COUNT, step(instructions=COUNT)),
         ["A-01-02", GTIN, "9"], Local.SCANNED, Phase.READY),
    Case("count ignores expiry", task(TaskKind.COUNT, step(
        instructions=COUNT, lot="L1", expiry=date(2020, 1, 1))),
         ["A-01-02", GTIN], Local.SCANNED, Phase.SCANNING, In.ENTER_QUANTITY),
    Case("count wrong location", task(TaskKind.COUNT, step(instructions=COUNT, blind=True)),
         ["A-01-03"], ResultCode.WRONG_LOCATION, Phase.SCANNING, In.SCAN_LOCATION),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_flow_case(case: Case) -> None:
    flow = run(case.task, case.scans, case.today)
    assert (flow.feedback.code, flow.phase) == (case.code, case.phase), flow.feedback.message
    assert flow.expect == case.expect
    assert flow.feedback.message
    if case.tone is not None:
        assert flow.feedback.tone == case.tone
    for name, value in case.got.items():
        assert getattr(flow.got, name) == value, name


def _confirmed(flow: TaskFlow) -> tuple[TaskFlow, object]:
    return flows.confirm(flow, uuid.uuid4(), NOW, "pda-1")


def test_confirm_builds_the_wire_confirmation_and_finishes() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "5"]))
    assert conf is not None
    assert (conf.task_id, conf.step_id, conf.scanned_location, conf.scanned_gtin) == (
        "T1", "s1", "A-01-02", GTIN)
    assert conf.quantity == 5 and not conf.short and conf.device_id == "pda-1"
    assert flow.phase is Phase.FINISHED and "STAGE-1" in flow.feedback.message
    assert flow.unanswered == 1


def test_confirm_moves_to_the_next_step() -> None:
    two = task(P, step(1), step(2, location="A-02-01", sku="SKU-2", gtin=OTHER_GTIN))
    flow, _ = _confirmed(run(two, ["A-01-02", GTIN, "5"]))
    assert flow.step_id == "s2" and flow.expect is In.SCAN_LOCATION
    assert view(flow).headline == "Go to A-02-01 and scan it"
    assert flow.feedback.code == Local.SENT


def test_short_pick_confirmation_closes_the_step_short() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "3", "<SHORT>"]))
    assert conf is not None and conf.short and conf.quantity == 3
    assert flow.task.steps[0].state is StepState.SHORT and flow.phase is Phase.FINISHED


def test_partial_receipt_keeps_the_line_open() -> None:
    t = task(TaskKind.RECEIVE, step(instructions=RECEIVE))
    flow, _ = _confirmed(run(t, [OTHER_SSCC, GTIN, "L7", "2"]))
    assert flow.step_id == "s1" and flow.expect is In.SCAN_UNIT
    assert flow.task.steps[0].remaining_quantity == 3


def test_a_receipt_sends_the_labels_expiry_and_serial_for_the_lot_master() -> None:
    t = task(TaskKind.RECEIVE, step(instructions=RECEIVE))
    item = label(lot="L7", expiry="271231").rstrip("\r\n") + f"{GS}21SN-0001\r\n"
    _, conf = _confirmed(run(t, [OTHER_SSCC, item, "1"]))
    assert conf is not None
    assert (conf.lot, conf.expiry, conf.serial, conf.quantity) == (
        "L7", date(2027, 12, 31), "SN-0001", 1)


def test_putaway_sends_the_bin_as_the_scanned_location() -> None:
    t = task(TaskKind.PUTAWAY, step(instructions=PUTAWAY, unit=UNIT, to_location="B-02-03",
                                    override_allowed=True))
    _, conf = _confirmed(run(t, [UNIT.sscc or "", "B-02-04", "bin blocked"]))
    assert conf is not None
    assert (conf.scanned_location, conf.override_reason) == ("B-02-04", "bin blocked")
    assert conf.scanned_unit == UNIT


def test_confirm_before_ready_sends_nothing() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02"]))
    assert conf is None and flow.feedback.code == Local.IGNORED


def _result(flow_conf: object, status: str, code: ResultCode, **kw: object) -> ConfirmationResult:
    return ConfirmationResult.model_validate({
        "idempotency_key": flow_conf.idempotency_key, "task_id": flow_conf.task_id,  # type: ignore[attr-defined]
        "step_id": flow_conf.step_id, "status": status, "code": code,  # type: ignore[attr-defined]
        "message": f"hub says {code}", **kw})


def test_rejection_rolls_the_step_back() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "5"]))
    flow = flows.answer(flow, _result(conf, "rejected", ResultCode.WRONG_LOCATION))
    assert flow.phase is Phase.SCANNING and flow.expect is In.SCAN_LOCATION
    assert flow.step is not None and flow.step.state is StepState.PENDING
    assert flow.step.remaining_quantity == 5 and flow.feedback.tone is Tone.ERROR
    assert flow.feedback.message == "hub says wrong_location" and flow.unanswered == 0


def test_acceptance_takes_the_hubs_word() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "5"]))
    flow = flows.answer(flow, _result(conf, "accepted", ResultCode.OK, step_state="done",
                                      remaining_quantity=0))
    assert flow.feedback.code == ResultCode.OK and flow.unanswered == 0
    assert flow.phase is Phase.FINISHED


@pytest.mark.parametrize("code", [ResultCode.TASK_CANCELLED, ResultCode.TASK_REASSIGNED,
                                  ResultCode.TASK_NOT_CLAIMED])
def test_task_taken_away_meanwhile_stops_the_flow(code: ResultCode) -> None:
    two = task(P, step(1), step(2, location="A-02-01"))
    flow, conf = _confirmed(run(two, ["A-01-02", GTIN, "5"]))
    flow = flows.answer(flow, _result(conf, "rejected", code))
    assert flow.phase is Phase.STOPPED and flow.feedback.code == code
    assert view(flow).actions == ("tasks",)
    assert flows.scan(flow, "A-02-01", TODAY).phase is Phase.STOPPED


def test_cancel_seen_on_refresh_says_put_back_what_was_picked() -> None:
    two = task(P, step(1), step(2, location="A-02-01"))
    flow, _ = _confirmed(run(two, ["A-01-02", GTIN, "5"]))
    cancelled = flow.task.model_copy(update={"state": TaskState.CANCELLED})
    flow = flows.refresh(flow, cancelled)
    assert flow.phase is Phase.STOPPED and "Put back" in flow.feedback.message


def test_refresh_with_no_change_keeps_the_scan_going() -> None:
    flow = run(task(P), ["A-01-02"])
    assert flows.refresh(flow, task(P)) == flow


def test_reassigned_names_the_new_owner() -> None:
    flow = flows.start(task(P, assigned_to="bob"), "ann")
    assert "bob" in flow.feedback.message


def test_already_applied_is_not_a_rollback() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "5"]))
    flow = flows.answer(flow, _result(conf, "rejected", ResultCode.ALREADY_APPLIED))
    assert flow.phase is Phase.FINISHED and flow.feedback.tone is Tone.WARN


def test_answer_for_another_task_changes_nothing() -> None:
    flow, conf = _confirmed(run(task(P), ["A-01-02", GTIN, "5"]))
    other = _result(conf, "rejected", ResultCode.TASK_CANCELLED).model_copy(
        update={"task_id": "T9"})
    assert flows.answer(flow, other) == flow


def test_skip_puts_the_task_aside() -> None:
    flow, request = flows.skip(run(task(P), ["A-01-02"]), SkipReason.ITEM_NOT_FOUND, "empty",
                               uuid.uuid4(), NOW, "pda-1")
    assert request is not None and request.step_id == "s1" and request.note == "empty"
    assert flow.phase is Phase.FINISHED
    again, none = flows.skip(flow, SkipReason.OTHER, "", uuid.uuid4(), NOW, "pda-1")
    assert none is None and again.feedback.code == Local.IGNORED


def test_blind_count_never_shows_the_book_quantity() -> None:
    flow = run(task(TaskKind.COUNT, step(instructions=COUNT, blind=True)), ["A-01-02", GTIN])
    shown = view(flow)
    assert shown.headline == "Count, then key the quantity"
    assert "Blind count" in shown.lines
    assert not any(line.startswith("Quantity") for line in shown.lines)


@pytest.mark.parametrize(("scans", "headline", "actions"), [
    ([], "Go to A-01-02 and scan it", ("skip",)),
    (["A-01-02"], "Scan item SKU-1", ("skip",)),
    (["A-01-02", GTIN], "Key quantity: 5 EA", ("skip",)),
    (["A-01-02", GTIN, "3"], "Short pick? Press SHORT PICK or key again", ("short", "skip")),
    (["A-01-02", GTIN, "5"], "Press CONFIRM", ("confirm", "skip")),
])
def test_pick_headlines_name_one_thing_to_do(scans: list[str], headline: str,
                                             actions: tuple[str, ...]) -> None:
    shown = view(run(task(P), scans))
    assert (shown.headline, shown.actions) == (headline, actions)
    assert shown.title == "Pick 1/1 · ORDER-7"
