"""Units of measure (cloud_hub/catalog/uom.py): conversions resolved to whole base units,
loops and zero factors refused, quantities converted only when whole in base units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloud_hub.catalog.uom import Conversion, UomError, by_gtin, resolve, to_base

D = Decimal


def c(uom: str, factor: str, per: str | None = None, gtin: str | None = None) -> Conversion:
    return Conversion("S1", uom, D(factor), per, gtin)


def test_a_chain_resolves_to_base_units() -> None:
    units = resolve("EA", [c("BOX", "12", gtin="14006381333938"), c("PAL", "40", "BOX")])
    assert {u: x.factor for u, x in units.items()} == {"EA": 1, "BOX": 12, "PAL": 480}
    assert by_gtin(units.values())["14006381333938"].uom == "BOX"


@pytest.mark.parametrize(("quantity", "uom", "base"), [
    ("5", "EA", 5), ("5", "BOX", 60), ("0.5", "BOX", 6), ("2", "PAL", 960)])
def test_quantities_convert_to_base(quantity: str, uom: str, base: int) -> None:
    units = resolve("EA", [c("BOX", "12"), c("PAL", "40", "BOX")])
    assert to_base(units, D(quantity), uom) == base


@pytest.mark.parametrize(("quantity", "uom", "reason"), [
    ("0.5", "EA", "not a whole number"), ("0.1", "BOX", "not a whole number"),
    ("1", "CASE", "not one of this SKU's units")])
def test_what_cannot_be_booked_in_base_units_is_refused(quantity: str, uom: str,
                                                        reason: str) -> None:
    units = resolve("EA", [c("BOX", "12")])
    with pytest.raises(UomError, match=reason):
        to_base(units, D(quantity), uom)


@pytest.mark.parametrize(("conversions", "at", "reason"), [
    ([c("BOX", "4", "PAL"), c("PAL", "2", "BOX")], "BOX", "loop"),
    ([c("BOX", "2", "BOX")], "BOX", "loop"),
    ([c("BOX", "0")], "BOX", "positive"),
    ([c("BOX", "-12")], "BOX", "positive"),
    ([c("PAL", "40", "CASE")], "PAL", "not defined"),
    ([c("HALF", "0.5")], "HALF", "whole number of base units"),
    ([c("EA", "2")], "EA", "base unit"),
])
def test_conversions_that_cannot_resolve_name_the_unit(conversions: list[Conversion], at: str,
                                                       reason: str) -> None:
    with pytest.raises(UomError, match=reason) as caught:
        resolve("EA", conversions)
    assert caught.value.uom == at


def test_an_opening_move_built_without_validation_equals_a_validated_one() -> None:
    """opening._move builds StockMoved with model_construct: it must be the event that
    validation of its own JSON gives back (an item with cost; a unit with contents)."""
    import uuid
    from datetime import UTC, datetime

    from cloud_hub.imports.check import Row
    from cloud_hub.imports.opening import _move
    from protocol.events import ItemLine, StockMoved

    now = datetime(2026, 12, 7, tzinfo=UTC)
    line = ItemLine(sku="S1", lot="L1", quantity=D(12), uom="EA")
    item_row = Row(2, {"sku": "S1", "location": "B1"})
    unit_row = Row(3, {"sku": "S1", "location": "B1", "sscc": "340123450000000101"})
    for group in ([(item_row, line, D("0.5"))], [(unit_row, line, None), (unit_row, line,
                                                                          D(2))]):
        built = _move(uuid.uuid4(), group, "B1", "WH1", now, "ann")  # type: ignore[arg-type]
        again = StockMoved.model_validate_json(built.model_dump_json(by_alias=True))
        assert again == built
        assert again.model_dump(by_alias=True) == built.model_dump(by_alias=True)
