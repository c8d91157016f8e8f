"""Opening stock rows as ledger moves (cloud_hub/imports/opening.py), decided against stored
SKUs, units and locations: ids that make a second import unchanged, and each row refused with
its reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cloud_hub.catalog.uom import Conversion, resolve
from cloud_hub.imports.check import Checked, Row
from cloud_hub.imports.kinds import OPENING_STOCK
from cloud_hub.imports.opening import SkuRules, Stored, event_id, plan_opening
from cloud_hub.imports.plan import Fate

D = Decimal
NOW = datetime(2026, 12, 7, tzinfo=UTC)
SSCC = "340123450000000101"


def rows(*values: dict[str, Any]) -> Checked:
    base = {"lot": None, "serial": None, "sscc": None, "status": None, "uom": None}
    return Checked(OPENING_STOCK, [Row(n, {**base, **v}) for n, v in enumerate(values, 2)])


def stored(booked: dict[Any, Decimal | None] | None = None) -> Stored:
    units = {"MILK": resolve("EA", [Conversion("MILK", "BOX", D(12))])}
    return Stored({"MILK": SkuRules("EA", lot_tracked=True)}, units,
                  {"B1": "WH1", "B2": "WH1"}, booked or {}, {})


def test_rows_become_moves_in_base_units_and_a_unit_gathers_its_rows() -> None:
    checked = rows({"sku": "MILK", "location": "B1", "quantity": D(2), "uom": "BOX", "lot": "L1",
                    "cost": D(6)},
                   {"sku": "MILK", "location": "B2", "quantity": D(5), "lot": "L1", "sscc": SSCC},
                   {"sku": "MILK", "location": "B2", "quantity": D(7), "lot": "L2", "sscc": SSCC})
    plan, moves = plan_opening(checked, stored(), NOW, "ann")
    assert plan.errors == [] and set(plan.fates.values()) == {Fate.CREATED}
    loose, unit = moves
    assert loose.item is not None and (loose.item.quantity, loose.item.uom) == (D(24), "EA")
    assert loose.extras == {"unit_cost": "0.5"}
    assert unit.unit is not None and [c.quantity for c in unit.contents] == [D(5), D(7)]


def test_the_same_stock_again_is_unchanged_and_another_quantity_is_refused() -> None:
    row = {"sku": "MILK", "location": "B1", "quantity": D(3), "lot": "L1"}
    eid = event_id(rows(row).rows[0])
    assert eid == event_id(rows({**row, "status": "available"}).rows[0])  # blank is available
    plan, moves = plan_opening(rows(row), stored({eid: D(3)}), NOW, None)
    assert (plan.fates, moves) == ({2: Fate.UNCHANGED}, [])
    plan, moves = plan_opening(rows({**row, "quantity": D(4)}), stored({eid: D(3)}), NOW, None)
    assert [(e.row, e.column) for e in plan.errors] == [(2, "quantity")] and moves == []


def test_each_fault_names_its_row_and_column() -> None:
    checked = rows(
        {"sku": "MILK", "location": "B1", "quantity": D(1), "lot": "L1"},
        {"sku": "MILK", "location": "B1", "quantity": D(1), "lot": "L1",
         "status": "available"},  # the same stock as row 2
        {"sku": "MILK", "location": "B1", "quantity": D(1)},  # lot-tracked: no lot
        {"sku": "TEA", "location": "B1", "quantity": D(1)},  # unknown SKU
        {"sku": "MILK", "location": "B9", "quantity": D(1), "lot": "L1"},  # unknown place
        {"sku": "MILK", "location": "B1", "quantity": D(1), "lot": "L3", "warehouse": "WH2"},
        {"sku": "MILK", "location": "B1", "quantity": D("0.1"), "uom": "BOX", "lot": "L4"},
        {"sku": "MILK", "location": "B1", "quantity": D(2), "lot": "L5", "serial": "S1"},
        {"sku": "MILK", "location": "B1", "quantity": D(1), "lot": "L6", "sscc": SSCC},
        {"sku": "MILK", "location": "B2", "quantity": D(1), "lot": "L7", "sscc": SSCC})
    plan, _ = plan_opening(checked, stored(), NOW, None)
    assert sorted((e.row, e.column) for e in plan.errors) == [
        (3, "status"), (4, "lot"), (5, "sku"), (6, "location"), (7, "warehouse"),
        (8, "quantity"), (9, "quantity"), (11, "location")]
