"""Warehouses' master data as the hub holds it: locations and SKUs, the things moves refer to.

Rule kept here (pure): a batch of locations is written parents first, and a code given twice
in one batch is refused — which of the two was meant cannot be guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

LOCATION_KINDS = ("zone", "aisle", "rack", "bin", "dock_door", "portal", "staging", "area",
                  "packing", "transit")  # transit: stock shipped to this warehouse, on its way


@dataclass(frozen=True, slots=True)
class Location:
    code: str
    warehouse: str
    kind: str
    parent: str | None = None
    name: str = ""
    x: float | None = None
    y: float | None = None
    width: float | None = None
    depth: float | None = None
    capacity: Decimal | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    active: bool = True


@dataclass(frozen=True, slots=True)
class Sku:
    sku: str
    gtin: str | None = None
    description: str = ""
    uom: str = "EA"
    category: str | None = None
    unit_value: Decimal | None = None


def parents_first(locations: Sequence[Location]) -> list[Location]:
    by_code = {loc.code: loc for loc in locations}
    if len(by_code) != len(locations):  # which of the two was meant? say so, drop neither
        twice = sorted(c for c, n in Counter(loc.code for loc in locations).items() if n > 1)
        raise ValueError(f"location(s) given twice: {', '.join(twice)}")
    ordered: list[Location] = []
    seen: set[str] = set()

    def visit(loc: Location, path: tuple[str, ...]) -> None:
        if loc.code in seen:
            return
        if loc.code in path:
            raise ValueError(f"location {loc.code} is its own ancestor")
        parent = by_code.get(loc.parent or "")
        if parent is not None:
            visit(parent, (*path, loc.code))
        seen.add(loc.code)
        ordered.append(loc)

    for loc in locations:
        visit(loc, ())
    return ordered
