"""Portal passes and zone moves as StockMoved events (the wire contract), ids and time given.

Rule kept here: occurred_at comes from the reads (the moment the tag crossed), never the clock.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from edge.epc import unit_ref_for
from edge.portal.tracker import PortalPass
from edge.portal.zone import ZoneMove
from protocol import Reason, Source, SourceKind, StockMoved


def utc_from_us(time_us: int) -> datetime:
    """Reader timestamps (µs since the epoch, UTC) as an aware datetime."""
    return datetime.fromtimestamp(time_us / 1_000_000, tz=UTC)


def pass_to_event(
    passed: PortalPass, warehouse: str, gateway_id: str, event_id: UUID, now: datetime
) -> StockMoved:
    """One pass through a dock door as a portal_pass move of the tagged unit.

    occurred_at is when the tag crossed by the reader's clock; a reader clock running ahead
    of the gateway's (`now`) is clamped to `now`, since nothing is observed in the future."""
    crossed = utc_from_us(passed.crossed_us or passed.last_us)
    return StockMoved(
        event_id=event_id,
        occurred_at=min(crossed, now),
        warehouse=warehouse,
        source=Source(kind=SourceKind.RFID, device_id=gateway_id, read_point=passed.portal_id),
        unit=unit_ref_for(passed.epc_hex),
        from_location=passed.from_location,
        to_location=passed.to_location,
        reason=Reason.PORTAL_PASS,
        confidence=passed.confidence,
    )


def zone_move_to_event(
    move: ZoneMove, warehouse: str, gateway_id: str, event_id: UUID, now: datetime
) -> StockMoved | None:
    """A zone change as a sighting move (None when both ends map to the same location)."""
    if move.from_location == move.to_location:
        return None
    return StockMoved(
        event_id=event_id,
        occurred_at=min(utc_from_us(move.time_us), now),
        warehouse=warehouse,
        source=Source(kind=SourceKind.RFID, device_id=gateway_id,
                      read_point=move.to_zone or move.from_zone),
        unit=unit_ref_for(move.epc_hex),
        from_location=move.from_location,
        to_location=move.to_location,
        reason=Reason.SIGHTING,
        confidence=move.confidence,
    )
