"""A stored move and its event: the `moves` columns hold most of a StockMoved; `payload` holds
the rest.

Rule kept here: nothing of an event is lost between `rest_json` (what the row's columns
cannot say, as JSON, or None when they say it all) and `event_from_row` (the event again,
equal to the one applied). `payload` keeps the nesting of the event's JSON ({"item":
{"expiry": ...}}, {"contents": [...]}), so SQL reading those paths works on every row. Rows
written before migration 008 hold the whole event in `payload` (it has an "event_id"), and
are read as such.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from protocol.events import ItemLine, StockMoved

# What event_from_row reads, in this order.
EVENT_COLUMNS = ("event_id, occurred_at, warehouse, source_kind, device_id, read_point, unit_key, "
                 "sku, lot, quantity, stock_status, from_location, to_location, reason, task_id, "
                 "user_id, payload")
_DEFAULT_UOM = ItemLine.model_fields["uom"].default


def _line_json(line: ItemLine) -> dict[str, Any]:
    return line.model_dump(mode="json", exclude_none=True)


def _item_rest(item: ItemLine) -> dict[str, Any]:
    rest: dict[str, Any] = {}
    if item.sku is None:  # the sku column holds "gtin:<gtin>" then
        rest["sku"] = None
    if item.gtin is not None:
        rest["gtin"] = item.gtin
    if item.serial is not None:
        rest["serial"] = item.serial
    if item.expiry is not None:
        rest["expiry"] = item.expiry.isoformat()
    if item.production_date is not None:
        rest["production_date"] = item.production_date.isoformat()
    if item.best_before is not None:
        rest["best_before"] = item.best_before.isoformat()
    if item.uom != _DEFAULT_UOM:
        rest["uom"] = item.uom
    return rest


def rest_json(move: StockMoved) -> str | None:
    """The part of `move` its `moves` row's columns do not hold, as JSON; None if nothing."""
    item, unit, extra = move.item, move.unit, move.__pydantic_extra__
    if (move.sent_at is None and move.confidence is None and move.to_status is None
            and not move.contents and not extra and (unit is None or unit.epc is None)
            and (item is None or (item.sku is not None and item.gtin is None
                                  and item.serial is None and item.expiry is None
                                  and item.production_date is None
                                  and item.best_before is None
                                  and item.uom == _DEFAULT_UOM))):
        return None  # most events: the columns say it all
    rest: dict[str, Any] = {}
    if extra:  # fields this version does not know, as pydantic writes them
        whole = move.model_dump(mode="json", by_alias=True, exclude_none=True)
        rest.update((k, whole[k]) for k in extra)
    if move.sent_at is not None:
        rest["sent_at"] = move.sent_at.isoformat()
    if unit is not None and unit.epc is not None:  # the unit key keeps only one of the two
        rest["unit"] = {"epc": unit.epc}
    if move.contents:
        rest["contents"] = [_line_json(line) for line in move.contents]
    if item is not None and (part := _item_rest(item)):
        rest["item"] = part
    if move.to_status is not None:
        rest["to_status"] = move.to_status.value
    if move.confidence is not None:
        rest["confidence"] = move.confidence
    return json.dumps(rest, separators=(",", ":"), ensure_ascii=False)


def event_from_row(row: Sequence[Any]) -> StockMoved:
    """The event of a `moves` row read as EVENT_COLUMNS."""
    (event_id, occurred_at, warehouse, kind, device_id, read_point, unit_key, sku, lot, quantity,
     status, from_location, to_location, reason, task_id, user, payload) = row
    rest: dict[str, Any] = payload if isinstance(payload, dict) else \
        json.loads(payload) if payload else {}
    if "event_id" in rest:  # a row from before migration 008: the whole event
        return StockMoved.model_validate(rest)
    event: dict[str, Any] = {
        "event_id": event_id, "occurred_at": occurred_at, "warehouse": warehouse,
        "source": {"kind": kind, "device_id": device_id, "read_point": read_point},
        "from_location": from_location, "to_location": to_location, "reason": reason,
        "task_id": task_id, "user": user, **rest}
    if unit_key is not None:
        unit = dict(rest.get("unit", {}))
        if unit_key.startswith("sscc:"):
            unit["sscc"] = unit_key[5:]
        event["unit"] = unit
    if sku is not None:
        event["item"] = {"sku": sku, "lot": lot or None, "quantity": quantity,
                         "status": status, **rest.get("item", {})}
    return StockMoved.model_validate(event)
