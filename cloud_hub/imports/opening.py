"""Opening stock rows as ledger moves (reason `opening`): the stock on hand the day the ledger
starts, so the ledger stays a fold of its moves.

Rule kept here (pure): a row's move has an id made from what it opens (location, SKU, lot,
serial, status; or the SSCC of a handling unit), never from the file or the day, so importing
the same stock again finds its move already booked (`unchanged`); the same place with another
quantity is an error (an opening is booked once: correct it with a count). Quantities are
booked in the SKU's base unit; a lot-, serial- or expiry-tracked SKU needs its lot, serial or
expiry; a serial is one base unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from cloud_hub.catalog.uom import UnitOfMeasure, UomError, to_base
from cloud_hub.imports.check import Checked, Row
from cloud_hub.imports.plan import Fate, Plan
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus, UnitRef

OPENING_NS = UUID("6f0c4c1e-4f57-4a55-9d1c-6f70656e696e")  # ids of opening moves
DEVICE = "import"
SOURCE = Source(kind=SourceKind.SYSTEM, device_id=DEVICE)


@dataclass(frozen=True, slots=True)
class SkuRules:
    base_uom: str
    lot_tracked: bool = False
    serial_tracked: bool = False
    expiry_tracked: bool = False


@dataclass(frozen=True, slots=True)
class Stored:
    """What the caller read: the SKUs, their units, active locations -> warehouse, the
    opening moves already booked (event id -> quantity, None for a unit's move), and each
    row's event id (row number -> event_id(row), made once for the read of `booked`)."""

    skus: Mapping[str, SkuRules]
    units: Mapping[str, Mapping[str, UnitOfMeasure]]
    locations: Mapping[str, str]
    booked: Mapping[UUID, Decimal | None]
    ids: Mapping[int, UUID]


def event_id(row: Row) -> UUID:
    sscc = row.text("sscc")
    if sscc:
        return uuid5(OPENING_NS, f"unit|{sscc}")
    parts = [row.text(k) or "" for k in ("location", "sku", "lot", "serial")]
    return uuid5(OPENING_NS, "item|" + "|".join((*parts, row.text("status") or "available")))


def plan_opening(checked: Checked, stored: Stored, now: datetime, user: str | None
                 ) -> tuple[Plan, list[StockMoved]]:
    """Each row's fate and the moves to apply (new ones only)."""
    plan = Plan()
    lines: dict[UUID, list[tuple[Row, ItemLine, Decimal | None]]] = {}
    where: dict[UUID, tuple[str, str, int]] = {}  # id -> (location, warehouse, first row)
    for row in checked.rows:
        made = _line(plan, row, stored)
        if made is None:
            continue
        line, warehouse, cost = made
        location = str(row.get("location"))
        eid = stored.ids.get(row.number) or event_id(row)
        first = where.setdefault(eid, (location, warehouse, row.number))
        if first[2] != row.number and not row.get("sscc"):
            plan.refuse(row, "status", f"the same stock as row {first[2]} (a blank status is "
                                       "available): one row per place, SKU, lot and serial")
            continue
        if first[0] != location:
            plan.refuse(row, "location", f"unit {row.get('sscc')} is at {first[0]} on row "
                                         f"{first[2]}: a unit is in one place")
            continue
        lines.setdefault(eid, []).append((row, line, cost))
    moves: list[StockMoved] = []
    for eid, group in lines.items():
        location, warehouse, _ = where[eid]
        fate = _fate(plan, eid, group, stored.booked)
        if fate is None:
            continue
        for row, _, _ in group:
            plan.fates[row.number] = fate
        if fate is Fate.CREATED:
            moves.append(_move(eid, group, location, warehouse, now, user))
    return plan, moves


def _fate(plan: Plan, eid: UUID, group: list[tuple[Row, ItemLine, Decimal | None]],
          booked: Mapping[UUID, Decimal | None]) -> Fate | None:
    if eid not in booked:
        return Fate.CREATED
    quantity = booked[eid]
    row, line, _ = group[0]
    if row.get("sscc") or quantity == line.quantity:
        return Fate.UNCHANGED
    plan.refuse(row, "quantity", f"the opening stock of {row.get('sku')} at "
                                 f"{row.get('location')} is already booked as {quantity}: "
                                 "an opening is booked once (correct it with a count)")
    return None


def _line(plan: Plan, row: Row, stored: Stored
          ) -> tuple[ItemLine, str, Decimal | None] | None:
    sku = str(row.get("sku"))
    rules = stored.skus.get(sku)
    location = str(row.get("location"))
    warehouse = stored.locations.get(location)
    errors = len(plan.errors)
    if rules is None:
        plan.refuse(row, "sku", f"unknown SKU {sku}: import it (kind skus) first")
    if warehouse is None:
        plan.refuse(row, "location", f"unknown or inactive location {location}: import it "
                                     "(kind locations) first")
    elif row.get("warehouse") not in (None, warehouse):
        plan.refuse(row, "warehouse", f"location {location} is in warehouse {warehouse}")
    if rules is None or warehouse is None or len(plan.errors) > errors:
        return None
    quantity = row.get("quantity")
    assert isinstance(quantity, Decimal)
    uom = row.text("uom") or rules.base_uom
    try:
        base = to_base(stored.units.get(sku) or {rules.base_uom: UnitOfMeasure(
            sku, rules.base_uom, Decimal(1))}, quantity, uom)
    except UomError as exc:
        plan.refuse(row, "uom" if "not one of" in str(exc) else "quantity", str(exc))
        return None
    for flag, column in (("lot_tracked", "lot"), ("serial_tracked", "serial"),
                         ("expiry_tracked", "expiry")):
        if getattr(rules, flag) and row.get(column) is None:
            plan.refuse(row, column, f"SKU {sku} is {flag.replace('_', ' ')}: "
                                     f"the {column} is required")
    if row.get("serial") is not None and base != 1:
        plan.refuse(row, "quantity", f"a serial is one {rules.base_uom}, not {base}")
    if len(plan.errors) > errors:
        return None
    expiry = row.get("expiry")
    cost = row.get("cost")
    per_base = (cost / (base / quantity)).normalize() if isinstance(cost, Decimal) else None
    return ItemLine(sku=sku, lot=row.text("lot"), serial=row.text("serial"),
                    expiry=expiry if isinstance(expiry, date) else None, quantity=base,
                    uom=rules.base_uom,
                    status=StockStatus(row.text("status") or "available")), warehouse, per_base


def _move(eid: UUID, group: list[tuple[Row, ItemLine, Decimal | None]], location: str,
          warehouse: str, now: datetime, user: str | None) -> StockMoved:
    row = group[0][0]
    sscc = row.text("sscc")
    costs = [str(c) if c is not None else None for _, _, c in group]
    extra: dict[str, Any] = {}  # fields the event contract does not name: kept as given
    if any(c is not None for c in costs):  # valuation reads it (issue 24); the ledger keeps it
        extra["unit_cost"] = costs if sscc else costs[0]
    # Built, not validated again: every field was checked on the way in (cells, the SKU and
    # location lookups, ItemLine), and what StockMoved's own validators require (an item or a
    # unit, a place, bounded extras) holds by construction — tests/imports compare it with a
    # validated copy. At 500k rows validation was a fifth of the planning.
    return StockMoved.model_construct(
        event_id=eid, occurred_at=now, warehouse=warehouse, source=SOURCE,
        unit=UnitRef(sscc=sscc) if sscc else None,
        contents=tuple(line for _, line, _ in group) if sscc else (),
        item=None if sscc else group[0][1], to_location=location, reason=Reason.OPENING,
        user=user, **extra)
