"""One ledger move as EPCIS 2.0 events (JSON-LD dicts), with the CBV names of what happened.

Rule kept here: every move becomes the events a GS1 reader would expect of it, named only with
CBV 2.0 words (bizStep, disposition, bizTransaction type) and the URIs of identifiers.py:

- a move of loose stock or of a unit: one ObjectEvent (action OBSERVE), the stock's class and
  quantity in `quantityList` (an LGTIN when the SKU has a GTIN and the move a lot), a unit or a
  serial in `epcList`;
- an item quantity put into a unit: an AggregationEvent ADD (bizStep packing, parentID the
  unit), after the ObjectEvent of its way there when it came from another place; taken out of a
  unit: an AggregationEvent DELETE (unpacking) at the unit's place, then the ObjectEvent of its
  way on when it went elsewhere;
- a change of stock status (hold, quarantine, damage, release): `persistentDisposition` set (or
  unset on release), bizStep holding for a hold that is the move's whole point (an adjustment).

Nothing here reads a clock or the database: the row and the location names are passed in.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from cloud_hub.epcis.identifiers import (
    class_uri,
    device_uri,
    location_uri,
    order_uri,
    serial_uri,
    transaction,
    unit_uri,
)
from protocol.events import BIZ_STEPS, Reason

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
SCHEMA_VERSION = "2.0"
# The CBV disposition of stock in each ledger status: stock in a warehouse is sellable but not
# accessible to consumers; a quarantine is a hold (non_sellable_other); damage is damage; a
# recall's hold is CBV 2.0's `recalled` (set as a persistent disposition until released).
DISPOSITIONS: dict[str, str] = {"available": "sellable_not_accessible",
                                "quarantine": "non_sellable_other", "damaged": "damaged",
                                "recalled": "recalled"}
EVENT_TYPES = ("ObjectEvent", "AggregationEvent")
_UOM_OK = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_STEPS: dict[str, str] = {str(reason): step for reason, step in BIZ_STEPS.items()}
_AGGREGATION_NS = uuid.UUID("5f2c3f0e-6c7e-4d55-9a55-2f6a0c3b9e11")


class MoveRow(NamedTuple):
    """A `moves` row as the export reads it (cloud_hub/epcis/pg/export.py: EXPORT_COLUMNS).
    Times are ISO 8601 UTC text; `unit_place` is where the unit was when the move was applied
    (only read for an item moved into or out of a unit)."""

    seq: int
    event_id: str
    event_time: str
    record_time: str
    warehouse: str
    source_kind: str
    device_id: str
    read_point: str | None
    unit_key: str | None
    sku: str | None
    gtin: str | None
    lot: str | None
    quantity: float | None
    uom: str | None
    status: str | None
    to_status: str | None
    serial: str | None
    contents: str | None  # the unit's declared contents, JSON text
    from_location: str | None
    to_location: str | None
    reason: str
    task_id: str | None
    unit_place: str | None
    orders: list[str] | None = None  # a pick's: the orders its task's step picked for


class _Fixed(NamedTuple):
    """What an ObjectEvent says that depends only on the move's reason, statuses, places and
    device: the same for most of an export's moves, so made once (Places.fixed)."""

    biz_step: str
    disposition: str
    persistent: dict[str, list[str]] | None
    read_point: dict[str, str]
    biz_location: dict[str, str] | None


FIXED_MAX = 65_536  # distinct (reason, statuses, places, device) kept: bounded memory


@dataclass(frozen=True, slots=True)
class Places:
    """How the export names places: the catalog's GLNs (code → (GLN, extension)) of the
    warehouse; every other place by its `urn:stockpulse:loc:` name. It also keeps the fixed
    parts of events already made: events share those dicts, which nothing changes once made
    (they are only encoded and read by the query's filters)."""

    glns: dict[str, tuple[str, str]]
    _fixed: dict[tuple[str | None, ...], _Fixed] = field(default_factory=dict, compare=False,
                                                         repr=False)

    def uri(self, warehouse: str, code: str) -> str:
        return location_uri(warehouse, code, self.glns.get(code))

    def fixed(self, row: MoveRow) -> _Fixed:
        point = row.read_point
        key = (row.reason, row.status, row.to_status, row.to_location, point,
               row.device_id if point is None else None, row.warehouse)
        found = self._fixed.get(key)
        if found is None:
            if len(self._fixed) >= FIXED_MAX:
                self._fixed.clear()
            found = self._fixed[key] = _fixed_of(row, self)
        return found


NO_GLNS = Places({})


def _fixed_of(row: MoveRow, places: Places) -> _Fixed:
    step = _biz_step(row)
    changed, persistent = _status_change(row)
    point = row.read_point
    read_point = {"id": places.uri(row.warehouse, point) if point
                  else device_uri(row.warehouse, row.device_id)}
    biz = row.to_location
    return _Fixed(step, changed or _disposition(row, step), persistent, read_point,
                  {"id": places.uri(row.warehouse, biz)} if biz is not None else None)


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _quantity(cls: str, qty: float | None, uom: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": cls, "quantity": _number(qty or 0.0)}
    # EA (each) is a count of instances, which EPCIS writes without a uom; a uom that is not a
    # UN/ECE Rec 20 code (2-3 capitals or digits) cannot be named and is left out (docs/epcis.md)
    if uom and uom != "EA" and 2 <= len(uom) <= 3 and set(uom) <= _UOM_OK:
        element["uom"] = uom
    return element


def _gtin_of(sku: str, gtin: str | None) -> str | None:
    if gtin is not None:
        return gtin
    return sku[5:] if sku.startswith("gtin:") else None


def _what(row: MoveRow) -> tuple[list[str], list[dict[str, Any]]]:
    """(instance URIs, class quantities) of the stock an item line moved."""
    assert row.sku is not None
    gtin = _gtin_of(row.sku, row.gtin)
    if row.serial is not None:
        return [serial_uri(row.sku, gtin, row.serial)], []
    return [], [_quantity(class_uri(row.sku, gtin, row.lot), row.quantity, row.uom)]


def _declared(contents: str | None) -> list[dict[str, Any]]:
    """The class quantities a unit's declared contents name."""
    if not contents:
        return []
    out = []
    for line in json.loads(contents):
        sku = line.get("sku") or f"gtin:{line.get('gtin')}"
        gtin = _gtin_of(sku, line.get("gtin"))
        out.append(_quantity(class_uri(sku, gtin, line.get("lot")), float(line["quantity"]),
                             line.get("uom")))
    return out


def _base(row: MoveRow, kind: str, event_id: str) -> dict[str, Any]:
    return {"type": kind, "eventTime": row.event_time, "eventTimeZoneOffset": "+00:00",
            "recordTime": row.record_time, "eventID": event_id}


def _where(event: dict[str, Any], row: MoveRow, places: Places, biz: str | None) -> None:
    point, warehouse = row.read_point, row.warehouse
    event["readPoint"] = {"id": places.uri(warehouse, point) if point
                          else device_uri(warehouse, row.device_id)}
    if biz is not None:
        event["bizLocation"] = {"id": places.uri(warehouse, biz)}
    if row.task_id is not None:
        _transaction(event, row)


def _transaction(event: dict[str, Any], row: MoveRow) -> None:
    found = transaction(row.task_id, row.warehouse)
    listed = [{"type": found[0], "bizTransaction": found[1]}] if found is not None else []
    if row.orders:
        listed += [{"type": "po", "bizTransaction": order_uri(row.warehouse, order)}
                   for order in row.orders]
    if listed:
        event["bizTransactionList"] = listed


def _status_change(row: MoveRow) -> tuple[str | None, dict[str, list[str]] | None]:
    """(the disposition after the move, its persistentDisposition) for a status change."""
    after = row.to_status
    if after is None or after == row.status:
        return None, None
    disposition = DISPOSITIONS.get(after, "unknown")
    if after == "available":
        before = DISPOSITIONS.get(row.status or "")
        return disposition, ({"unset": [before]} if before else None)
    return disposition, {"set": [disposition]}


def _biz_step(row: MoveRow) -> str:
    reason = row.reason  # a Reason's value: BIZ_STEPS's StrEnum keys hash and compare as it
    if reason == Reason.PORTAL_PASS and row.to_location is None:
        return "departing"
    if reason == Reason.ADJUST and row.to_status is not None and row.to_status != row.status:
        return "holding" if row.to_status != "available" else "inspecting"
    return _STEPS[reason]


def _disposition(row: MoveRow, step: str) -> str:
    if step in ("shipping", "departing"):
        return "in_transit"
    if step == "picking":
        return "in_progress"
    return DISPOSITIONS.get(row.to_status or row.status or "available", "unknown")


def object_event(row: MoveRow, places: Places, event_id: str) -> dict[str, Any]:
    event = _base(row, "ObjectEvent", event_id)
    epcs: list[str] = [unit_uri(row.unit_key)] if row.unit_key is not None else []
    quantities = _declared(row.contents)
    if row.sku is not None:
        more, quantities = _what(row)
        epcs += more
    if epcs or not quantities:
        event["epcList"] = epcs
    if quantities:
        event["quantityList"] = quantities
    event["action"] = "OBSERVE"
    fixed = places.fixed(row)
    event["bizStep"] = fixed.biz_step
    event["disposition"] = fixed.disposition
    if fixed.persistent is not None:
        event["persistentDisposition"] = fixed.persistent
    event["readPoint"] = fixed.read_point
    if fixed.biz_location is not None:
        event["bizLocation"] = fixed.biz_location
    if row.task_id is not None:
        _transaction(event, row)
    return event


def aggregation_event(row: MoveRow, places: Places, event_id: str, *, add: bool) -> dict[str, Any]:
    assert row.unit_key is not None
    event = _base(row, "AggregationEvent", event_id)
    event["parentID"] = unit_uri(row.unit_key)
    epcs, quantities = _what(row)
    if epcs:
        event["childEPCs"] = epcs
    if quantities:
        event["childQuantityList"] = quantities
    event["action"] = "ADD" if add else "DELETE"
    event["bizStep"] = "packing" if add else "unpacking"
    event["disposition"] = "in_progress"
    _where(event, row, places, row.unit_place)
    return event


def events_of(row: MoveRow, places: Places) -> list[dict[str, Any]]:
    """The EPCIS events of one move, in the order they happened."""
    own = f"urn:uuid:{row.event_id}"
    if row.unit_key is None or row.sku is None or row.unit_place is None:
        return [object_event(row, places, own)]
    if row.unit_place == row.from_location:  # the ledger's own order (ledger/decide.py)
        add = False
    elif row.unit_place == row.to_location:
        add = True
    else:  # not a packing the ledger could have applied: the move as it was told
        return [object_event(row, places, own)]
    aggregation_id = f"urn:uuid:{aggregation_uuid(row.event_id)}"
    aggregation = aggregation_event(row, places, aggregation_id if row.from_location !=
                                    row.to_location else own, add=add)
    if row.from_location == row.to_location:
        return [aggregation]
    way = object_event(row._replace(unit_key=None), places, own)
    return [way, aggregation] if add else [aggregation, way]


def aggregation_uuid(event_id: str) -> str:
    """uuid5(_AGGREGATION_NS, event_id) as text (RFC 4122 §4.3), without building UUID objects:
    one per packing move of an export."""
    digest = bytearray(hashlib.sha1(_AGGREGATION_NS.bytes + event_id.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def document_head(creation_date: str) -> bytes:
    """An EPCISDocument up to the first event of its event list."""
    head = {"@context": [CONTEXT], "type": "EPCISDocument", "schemaVersion": SCHEMA_VERSION,
            "creationDate": creation_date}
    text = json.dumps(head, separators=(",", ":"))
    return (text[:-1] + ',"epcisBody":{"eventList":[').encode()


DOCUMENT_TAIL = b"]}}\n"


def encode_events(events: Iterable[dict[str, Any]], first: bool) -> bytes:
    """Events as the next piece of an event list (a leading comma unless they are the first).
    orjson writes UTF-8 straight to bytes, ~8x the standard library's encoder here (its share
    of an export's time was the largest one)."""
    text = orjson.dumps(list(events))[1:-1]
    if not text:
        return b""
    return text if first else b"," + text

