"""Units of measure of a SKU: each named unit is a whole number of base units (EA, BOX = 12 EA,
PAL = 40 BOX), and each packaging level may carry its own GTIN (GS1 packaging hierarchy).

Rule kept here (pure): quantities are stored in the base unit; a quantity in any unit converts
to base units only when it is a whole number of them (half a box of 12 is 6 EA; a third of a
box of 10 is refused), and a chain of conversions that loops, or a factor that is not a
positive number, is refused with the units it names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal


class UomError(ValueError):
    """A unit the SKU does not know, a quantity that is not whole in base units, or a set of
    conversions that cannot be resolved (a loop, a zero or negative factor); `uom` names the
    unit at fault."""

    def __init__(self, message: str, uom: str | None = None) -> None:
        super().__init__(message)
        self.uom = uom


@dataclass(frozen=True, slots=True)
class UnitOfMeasure:
    """`uom` of `sku` holds `factor` base units (resolved through the chain it was given in)."""

    sku: str
    uom: str
    factor: Decimal
    gtin: str | None = None


@dataclass(frozen=True, slots=True)
class Conversion:
    """A conversion as written: one `uom` is `factor` of `per` (another unit, or the base)."""

    sku: str
    uom: str
    factor: Decimal
    per: str | None = None  # None: the SKU's base unit
    gtin: str | None = None


def resolve(base_uom: str, conversions: Iterable[Conversion]) -> dict[str, UnitOfMeasure]:
    """Every unit of one SKU in base units: {uom: UnitOfMeasure}, the base unit as 1. Raises
    UomError naming the unit at fault for a zero or negative factor, a unit defined twice, one
    per a unit nobody defined, or a loop (PAL per BOX, BOX per PAL)."""
    given: dict[str, Conversion] = {}
    sku, base_gtin = "", None
    for c in conversions:
        sku = c.sku
        if not c.factor.is_finite() or c.factor <= 0:
            raise UomError(f"unit {c.uom}: the factor must be a positive number, not {c.factor}",
                           c.uom)
        if c.uom == base_uom:
            if c.factor != 1 or (c.per not in (None, base_uom)):
                raise UomError(f"unit {c.uom} is the base unit: its factor is 1", c.uom)
            base_gtin = c.gtin
            continue
        if c.uom in given:
            raise UomError(f"unit {c.uom} is defined twice", c.uom)
        given[c.uom] = c
    out = {base_uom: UnitOfMeasure(sku, base_uom, Decimal(1), base_gtin)}

    def factor_of(uom: str, path: tuple[str, ...]) -> Decimal:
        if uom == base_uom:
            return Decimal(1)
        if uom in path:
            raise UomError(f"unit {path[0]}: conversions loop ({' -> '.join((*path, uom))})",
                           path[0])
        c = given.get(uom)
        if c is None:
            raise UomError(f"unit {path[-1]} counts in {uom}, which is not defined for this SKU",
                           path[-1])
        return c.factor * factor_of(c.per or base_uom, (*path, uom))

    for c in given.values():
        factor = factor_of(c.uom, ())
        if factor != factor.to_integral_value():
            raise UomError(f"unit {c.uom} is {factor.normalize()} {base_uom}: every unit must be "
                           f"a whole number of base units (make the smallest unit the base)", c.uom)
        out[c.uom] = UnitOfMeasure(sku, c.uom, factor.quantize(Decimal(1)), c.gtin)
    return out


def to_base(units: Mapping[str, UnitOfMeasure], quantity: Decimal, uom: str) -> Decimal:
    """`quantity` of `uom` in base units; UomError when the unit is unknown or the result is
    not a whole number of base units."""
    unit = units.get(uom)
    if unit is None:
        known = ", ".join(sorted(units)) or "none"
        raise UomError(f"unit {uom!r} is not one of this SKU's units ({known})")
    base = quantity * unit.factor
    if base != base.to_integral_value():
        raise UomError(f"{quantity} {uom} is {base.normalize()} base units: not a whole number")
    return base.quantize(Decimal(1))


def by_gtin(units: Iterable[UnitOfMeasure]) -> dict[str, UnitOfMeasure]:
    """The packaging level a scanned GTIN names."""
    return {u.gtin: u for u in units if u.gtin}
