"""What a scan at a fixed station means: the scanned unit or item arrived at its location.

Pure: the event id and the time are passed in. A label that names nothing we can move is
refused with LabelRejected (the adapter counts it), never an exception of another kind.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import ValidationError

from edge.gs1 import label_subject
from edge.settings import ScannerSettings
from protocol import ItemLine, Source, SourceKind, StockMoved
from protocol.codec import describe
from protocol.labels import LabelError, read_label


class LabelRejected(ValueError):
    """A scan that is not a GS1 label naming a unit or an item; `reason` says why."""


def station_move(text: str, station: ScannerSettings, warehouse: str, *, event_id: UUID,
                 now: datetime) -> StockMoved:
    """One scan at `station` -> the StockMoved it means (unit or item to the station)."""
    try:
        subject = label_subject(read_label(text, today=now.date()))
    except LabelError as exc:
        raise LabelRejected(str(exc)) from None
    unit, item = (None, subject) if isinstance(subject, ItemLine) else (subject, None)
    try:
        return StockMoved(
            event_id=event_id, occurred_at=now, warehouse=warehouse,
            source=Source(kind=SourceKind.BARCODE, device_id=station.id,
                          read_point=station.read_point or station.location),
            unit=unit, item=item,
            from_location=station.from_location, to_location=station.location,
            reason=station.item_reason if item is not None else station.unit_reason,
        )
    except ValidationError as exc:
        raise LabelRejected(describe(exc)) from None
