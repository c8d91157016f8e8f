"""The trace's pure core: what a unit carried, folded from its moves as the ledger decided them."""

from __future__ import annotations

import json

from cloud_hub.trace.model import Direction, LotKey, MoveRow, micros
from cloud_hub.trace.timeline import assemble, fold_unit
from tests.ledger.factories import at

L = LotKey("S", "L1")
OTHER = LotKey("S", "L2")


def row(seq: int, reason: str, frm: str | None, to: str | None, *, unit: str | None = "P",
        item: LotKey | None = None, qty: int | None = None,
        contents: list[tuple[str, str, int]] | None = None) -> MoveRow:
    return MoveRow(seq, f"e{seq}", micros(at(seq)), reason, unit, item.sku if item else None,
                   item.lot if item else None, str(qty) if qty is not None else None,
                   "available", None, frm, to, None, None,
                   json.dumps([{"sku": sku, "lot": lot, "quantity": q} for sku, lot, q in contents])
                   if contents is not None else None)


PALLET = [
    row(1, "receive", None, "DOCK", contents=[("S", "L1", 5), ("S", "L2", 7)]),
    row(2, "putaway", "DOCK", "BIN", ),
    row(3, "pick", "BIN", "STAGE", item=L, qty=5),  # all of L1 out of the pallet
    row(4, "transfer", "BIN", "BIN-2"),  # the pallet moves on without L1
]


def test_a_unit_carries_a_lot_only_while_it_holds_some() -> None:
    carried = fold_unit(PALLET, frozenset({L}))
    assert [(s.kind, s.quantity, s.via_unit) for s in carried.steps] == [
        ("receive", 5, True), ("putaway", 5, True)]
    assert carried.kinds == {3: "unpack"}


def test_declared_contents_count_only_for_an_empty_unit() -> None:
    refilled = [*PALLET, row(5, "transfer", "BIN-2", "BIN-3",
                             contents=[("S", "L1", 9)])]
    # the pallet still holds L2: the ledger ignores contents declared for a unit that holds stock
    steps = fold_unit(refilled, frozenset({L})).steps
    assert [s.seq for s in steps] == [1, 2]


def test_packing_is_into_the_unit_at_the_moves_destination() -> None:
    carton = [row(1, "transfer", None, "PACK", unit="C"),
              row(2, "pick", "STAGE", "PACK", unit="C", item=L, qty=3),
              row(3, "ship", "PACK", None, unit="C")]
    trace = assemble([L], [carton[1]], {"C": carton}, Direction.BOTH)
    assert [(s.kind, s.quantity, s.via_unit) for s in trace.steps] == [
        ("pack", 3, False), ("ship", 3, True)]
    assert trace.units == ("C",)


def test_directions_of_a_lot() -> None:
    items = [PALLET[2]]
    back = assemble([L], items, {"P": PALLET}, Direction.BACKWARD)
    forward = assemble([L], items, {"P": PALLET}, Direction.FORWARD)
    assert [s.kind for s in back.steps] == ["receive"]
    assert [s.kind for s in forward.steps] == ["putaway", "unpack"]
    assert OTHER not in back.lots


def test_a_page_says_where_the_next_begins() -> None:
    trace = assemble([L], [PALLET[2]], {"P": PALLET}, Direction.BOTH, limit=2)
    assert len(trace.steps) == 2 and trace.next_offset == 2 and trace.total_steps == 3
    last = assemble([L], [PALLET[2]], {"P": PALLET}, Direction.BOTH, offset=2, limit=2)
    assert [s.kind for s in last.steps] == ["unpack"] and last.next_offset is None
