"""Held stock refuses to be picked: the pure check (what to ask the hub, how its balances rows
decide) and the flow going back to the item scan with a sentence saying what to do."""

from __future__ import annotations

import pytest

from pda_app.flows import held
from pda_app.flows import task as flows
from pda_app.flows.feedback import Local, Tone
from pda_app.flows.task import Phase
from protocol.tasks import Instruction, TaskKind
from tests.pda.tasks_factory import GTIN, TODAY, step, task

GS = "\x1d"
ASKED = held.HeldQuery("SKU-1", "A-01-02", "L1")


def row(status: str, quantity: float, lot: str = "L1",
        location: str = "A-01-02") -> dict[str, object]:
    return {"sku": "SKU-1", "lot": lot, "location": location, "status": status,
            "quantity": quantity}


@pytest.mark.parametrize(("rows", "refused"), [
    ([row("quarantine", 10)], "Lot L1 at A-01-02 is on hold (10 quarantine): do not pick it"),
    ([row("quarantine", 4), row("damaged", 1)], "(1 damaged, 4 quarantine)"),
    ([row("available", 2), row("quarantine", 8)], None),  # some is free: the pick goes on
    ([row("available", 5)], None),
    ([], None),  # the hub knows of none: its ledger decides on confirm
    ([row("quarantine", 10, lot="L2")], None),  # another lot's hold is not this one's
    ([row("quarantine", 10, location="B-1")], None),
    (["garbage", None, {"location": "A-01-02", "sku": "SKU-1", "lot": "L1",
                        "status": "quarantine", "quantity": "x"}], None),
])
def test_refusal_reads_the_bins_balances(rows: list[object], refused: str | None) -> None:
    said = held.refusal(ASKED, rows)
    if refused is None:
        assert said is None
    else:
        assert said is not None and refused in said and "press SKIP" in said


def test_the_item_scan_of_a_pick_asks_once_and_a_hold_sends_it_back_to_the_item() -> None:
    flow = flows.start(task(TaskKind.PICK, step(lot="L1")), "ann")
    at_bin = flows.scan(flow, "A-01-02", TODAY)
    assert held.query(flow, at_bin) is None  # only the location so far
    item = flows.scan(at_bin, f"01{GTIN}10L1", TODAY)
    asked = held.query(at_bin, item)
    assert asked == ASKED
    assert asked.params("WH1") == {"sku": "SKU-1", "location": "A-01-02", "lot": "L1",
                                   "warehouse": "WH1"}
    refused = flows.refuse_held(item, held.refusal(asked, [row("quarantine", 10)]) or "")
    assert refused.phase is Phase.SCANNING and refused.expect is Instruction.SCAN_ITEM
    assert refused.got.location == "A-01-02" and refused.got.gtin is None
    assert refused.feedback.tone is Tone.ERROR and refused.feedback.code == Local.HELD
    again = flows.scan(refused, f"01{GTIN}10L1", TODAY)
    assert held.query(refused, again) == ASKED  # a rescan is checked again
    assert held.query(item, flows.scan(item, "5", TODAY)) is None  # the quantity: not again


def test_other_task_kinds_are_not_asked() -> None:
    flow = flows.start(task(TaskKind.COUNT, step()), "ann")
    at_bin = flows.scan(flow, "A-01-02", TODAY)
    assert held.query(at_bin, flows.scan(at_bin, GTIN, TODAY)) is None
