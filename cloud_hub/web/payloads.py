"""JSON shapes of the map and dashboard endpoints, shared by the hub and the test servers.

Rule kept here: big lists travel as rows of plain values under a `columns` header (20,000 bins
parse in milliseconds in a browser); quantities are JSON numbers, times ISO 8601 with offset.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from cloud_hub.catalog.model import Location

LAYOUT_COLUMNS = ("code", "kind", "parent", "name", "x", "y", "width", "depth", "gateway",
                  "zone_type", "capacity")
UNIT_COLUMNS = ("unit_key", "location", "since", "status")
BALANCE_COLUMNS = ("location", "sku", "lot", "status", "quantity")
STATUS_RANK = {"available": 0, "quarantine": 1, "damaged": 2, "recalled": 3}


def number(value: Decimal | float | int | None) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def worst_status(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: STATUS_RANK.get(s, 0), default="available")


def _text(attributes: Mapping[str, object], key: str) -> str | None:
    value = attributes.get(key)
    return str(value) if value not in (None, "") else None


def layout_row(code: str, kind: str, parent: str | None, name: str, x: float | None,
               y: float | None, width: float | None, depth: float | None,
               attributes: Mapping[str, object], capacity: Decimal | float | None) -> list[object]:
    return [code, kind, parent, name, x, y, width, depth, _text(attributes, "gateway"),
            _text(attributes, "zone_type"), number(capacity)]


def location_layout_row(loc: Location) -> list[object]:
    return layout_row(loc.code, loc.kind, loc.parent, loc.name, loc.x, loc.y, loc.width,
                      loc.depth, loc.attributes, loc.capacity)


def layout_payload(warehouse: str, rows: list[list[object]]) -> dict[str, object]:
    return {"warehouse": warehouse, "columns": list(LAYOUT_COLUMNS), "rows": rows}


def location_dict(loc: Location) -> dict[str, object]:
    return {"code": loc.code, "warehouse": loc.warehouse, "kind": loc.kind, "parent": loc.parent,
            "name": loc.name, "x": loc.x, "y": loc.y, "width": loc.width, "depth": loc.depth,
            "capacity": number(loc.capacity), "attributes": dict(loc.attributes),
            "active": loc.active}
