"""BOMs: explosion with levels, scrap, phantoms and alternates; effectivity; where-used;
low-level codes; loops and unknown units refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cloud_hub.mrp.bom import BomCycle, BomError, Boms, Component, Requirement, Revision, Use

JAN, JUN = date(2027, 1, 1), date(2027, 6, 1)


def bike() -> Boms:
    return Boms([
        Revision("BIKE", "A", (Component("FRAME", D(1)), Component("WHEEL", D(2)),
                               Component("KIT", D(1), alternates=("KIT2",)))),
        Revision("WHEEL", "A", (Component("RIM", D(1)), Component("SPOKE", D(32), D("0.05")))),
        Revision("KIT", "A", (Component("BOLT", D(6)),)),
    ], phantoms=["KIT"])


def test_explode_lists_every_level_with_scrap_and_marks_phantoms() -> None:
    assert bike().explode("BIKE", D(10), JAN) == [
        Requirement(1, "BIKE", "FRAME", D(10), False),
        Requirement(1, "BIKE", "WHEEL", D(20), False),
        Requirement(2, "WHEEL", "RIM", D(20), False),
        Requirement(2, "WHEEL", "SPOKE", D("672.00"), False),  # 20 × 32 × 1.05
        Requirement(1, "BIKE", "KIT", D(10), True, ("KIT2",)),
        Requirement(2, "KIT", "BOLT", D(60), False),
    ]


def test_planned_lines_go_through_phantoms() -> None:
    assert dict(bike().planned_lines("BIKE", JAN)) == {"FRAME": D(1), "WHEEL": D(2),
                                                       "BOLT": D(6)}


def test_the_revision_effective_on_the_day_is_exploded() -> None:
    boms = Boms([Revision("P", "1", (Component("OLD", D(1)),), None, JUN),
                 Revision("P", "2", (Component("NEW", D(3)),), JUN, None)])
    assert [r.item for r in boms.explode("P", D(1), JAN)] == ["OLD"]
    assert [(r.item, r.quantity) for r in boms.explode("P", D(1), JUN)] == [("NEW", D(3))]
    assert boms.revision("P", date(2026, 1, 1)).revision == "1"  # type: ignore[union-attr]


def test_overlapping_revisions_are_refused() -> None:
    with pytest.raises(BomError, match="revisions 1 and 2 are both effective"):
        Boms([Revision("P", "1", (Component("A", D(1)),), None, JUN),
              Revision("P", "2", (Component("A", D(1)),), date(2027, 5, 1), None)])


def test_where_used_names_each_parent_revision() -> None:
    boms = Boms([Revision("P", "1", (Component("X", D(2)),), None, JUN),
                 Revision("P", "2", (Component("X", D(3)),), JUN, None),
                 Revision("Q", "1", (Component("X", D(1), D("0.1")),))])
    assert boms.where_used("X") == [Use("P", "1", D(2), None, JUN), Use("P", "2", D(3), JUN, None),
                                    Use("Q", "1", D("1.1"), None, None)]
    assert boms.where_used("NOTHING") == []


def test_low_level_codes_are_the_deepest_level() -> None:
    # SPOKE is at level 2 under BIKE and level 1 under SERVICE-KIT: its code is 2
    boms = Boms([*bike().revisions("BIKE"), *bike().revisions("WHEEL"),
                 Revision("SERVICE-KIT", "A", (Component("SPOKE", D(4)),))])
    codes = boms.low_level_codes
    assert (codes["BIKE"], codes["SERVICE-KIT"], codes["WHEEL"], codes["SPOKE"]) == (0, 0, 1, 2)


@pytest.mark.parametrize(("edges", "path"), [
    ([("A", "B"), ("B", "C"), ("C", "A")], ("A", "B", "C", "A")),
    ([("A", "A")], ("A", "A")),
    # a loop below an innocent top, with a branch that leads nowhere
    ([("TOP", "B"), ("B", "X"), ("B", "C"), ("C", "D"), ("D", "B")], ("B", "C", "D", "B")),
])
def test_a_cycle_is_refused_with_the_path_that_loops(edges: list[tuple[str, str]],
                                                     path: tuple[str, ...]) -> None:
    with pytest.raises(BomCycle) as refused:
        Boms([Revision(p, "1", tuple(Component(c, D(1)) for q, c in edges if q == p))
              for p in dict.fromkeys(p for p, _ in edges)])
    assert refused.value.path == path
    assert str(refused.value) == "BOM cycle: " + " → ".join(path)


def test_a_cycle_through_a_later_revision_is_refused() -> None:
    with pytest.raises(BomCycle, match="A → B → A"):
        Boms([Revision("A", "1", (Component("B", D(1)),)),
              Revision("B", "1", (Component("C", D(1)),), None, JUN),
              Revision("B", "2", (Component("A", D(1)),), JUN, None)])


def test_units_are_converted_and_an_unknown_unit_is_refused() -> None:
    def grams_to_kg(item: str, q: D, unit: str) -> D | None:
        return q / 1000 if unit == "g" else None

    boms = Boms([Revision("P", "1", (Component("RESIN", D(250), unit="g"),))],
                convert=grams_to_kg)
    assert boms.explode("P", D(4), JAN)[0].quantity == D(1)
    with pytest.raises(BomError, match="no conversion from 'lb' to the base unit of RESIN"):
        Boms([Revision("P", "1", (Component("RESIN", D(1), unit="lb"),))], convert=grams_to_kg)
    with pytest.raises(BomError, match="quantity > 0"):
        Boms([Revision("P", "1", (Component("RESIN", D(0)),))])
