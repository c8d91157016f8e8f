"""POST /api/v1/moves: moves over REST, read by the rules of MQTT ingest.

Rule kept here: the same validation, clock tolerance and idempotency as MQTT ingest; the
caller is admitted per decoded event's warehouse, and every event that can apply does — each
one that cannot is reported by its index, never silently dropped.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from cloud_hub.auth.api.access import IN_EVENTS, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import SettingsDep
from cloud_hub.ingest.api.schemas import MovesPosted
from cloud_hub.ingest.messages import ahead_of_clock
from cloud_hub.ingest.pg.isolate import apply_isolated
from cloud_hub.ledger.api.deps import ApplyDep
from protocol.codec import MAX_PAYLOAD_BYTES, decode_message

router = APIRouter(prefix="/api/v1", tags=["ledger"])
MAX_POST_BYTES = 16 * MAX_PAYLOAD_BYTES
MAX_POST_EVENTS = 10_000


@router.post("/moves", response_model=MovesPosted)
async def post_moves(request: Request, service: ApplyDep, settings: SettingsDep,
                     access: Annotated[Access, guard(Permission.POST_MOVES, IN_EVENTS)]
                     ) -> dict[str, Any]:
    """One StockMoved, a JSON array, or {"events": [...]}: the same validation and
    idempotency as MQTT ingest. Events that fail validation, are dated beyond the hub's clock
    plus HUB_CLOCK_TOLERANCE_S, or that the ledger cannot store are reported in `invalid` by
    their index; every other event applies. `unknown_skus` names the items of applied events
    that the catalog does not hold (they apply all the same: add them with POST /skus)."""
    body = await request.body()
    if len(body) > MAX_POST_BYTES:
        raise HTTPException(413, f"body is over {MAX_POST_BYTES} bytes; send smaller batches")
    decoded = decode_message(body, max_bytes=MAX_POST_BYTES, max_events=MAX_POST_EVENTS)
    access.admit(e.warehouse for e in decoded.events)  # as decoded: what would be applied
    invalid = [{"index": r.index, "reason": r.reason} for r in decoded.rejected]
    bad = {r.index for r in decoded.rejected}
    positions = [i for i in range(len(decoded.events) + len(bad)) if i not in bad]
    now, tolerance = datetime.now(UTC), timedelta(seconds=settings.clock_tolerance_s)
    events, index_of = [], {}
    for index, event in zip(positions, decoded.events, strict=True):
        if (reason := ahead_of_clock(event, now, tolerance)) is not None:
            invalid.append({"index": index, "reason": reason})
        else:
            events.append(event)
            index_of[event.event_id] = index
    result, failed = await apply_isolated(service, events, access.name)
    invalid += [{"index": index_of[e.event_id], "reason": reason} for e, reason in failed]
    outcomes = [{"event_id": str(o.event_id), "status": o.status.value, "code": o.code,
                 "reason": o.reason} for o in result.outcomes]
    kept = {o.event_id for o in result.outcomes if o.status.value in ("applied", "late")}
    unknown = await asyncio.to_thread(service.unknown_items,
                                      [e for e in events if e.event_id in kept])
    return {"applied": result.applied, "late": result.late, "rejected": result.rejected,
            "duplicates": [str(d) for d in result.duplicates],
            "invalid": sorted(invalid, key=lambda i: i["index"]), "outcomes": outcomes,
            "unknown_skus": unknown}
