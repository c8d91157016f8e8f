"""The supervisor's queue of rejected moves: read them, correct and re-apply, or dismiss.

Rule kept here: a correction is a new event (its id derived from the rejected one and the
corrections, so resolving twice applies once) and goes through the one apply path; it may
not carry the move into a warehouse the supervisor cannot act on.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from cloud_hub.auth.api.access import IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.deps import REJECTED_MOVE, ApplyDep
from cloud_hub.ledger.api.schemas import (
    RejectedMove,
    RejectedResolved,
)
from protocol.codec import decode_event

router = APIRouter(prefix="/api/v1", tags=["supervisor"])
CORRECTION_NS = uuid.UUID("5f1c0e2a-6b1d-4c55-9d0e-2f8f4a7c9b10")
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]


class Resolution(BaseModel):
    action: Literal["reapply", "dismiss"]
    corrections: dict[str, Any] = Field(default_factory=dict,
                                        description="fields to change before re-applying")
    note: str = Field(default="", max_length=1000)


@router.get("/rejected", response_model=list[RejectedMove])
def list_rejected(pool: PoolDep, access: Reads, include_resolved: bool = False,
                  limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    warehouse = access.warehouse
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT event_id, received_at, occurred_at, warehouse, code, reason, applied_by, "
            "payload, resolved_at, resolved_by, resolution, corrected_by FROM rejected_moves "
            "WHERE (%s::text IS NULL OR warehouse = %s) AND (%s OR resolved_at IS NULL) "
            "ORDER BY received_at DESC LIMIT %s",
            (warehouse, warehouse, include_resolved, limit)).fetchall()
    keys = ("event_id", "received_at", "occurred_at", "warehouse", "code", "reason",
            "applied_by", "payload", "resolved_at", "resolved_by", "resolution", "corrected_by")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@router.post("/rejected/{event_id}/resolve", response_model=RejectedResolved,
              response_model_exclude_unset=True)
def resolve_rejected(event_id: uuid.UUID, body: Resolution, pool: PoolDep, service: ApplyDep,
                     who: Annotated[Access, guard(Permission.RESOLVE, looked_up(REJECTED_MOVE))]
                     ) -> dict[str, Any]:
    with pool.connection() as conn:
        row = conn.execute("SELECT payload, resolved_at FROM rejected_moves WHERE event_id = %s",
                           (event_id,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no rejected move {event_id}")
    if row[1] is not None:
        raise HTTPException(409, f"rejected move {event_id} was already resolved")
    corrected_id = None
    outcome: dict[str, Any] = {}
    if body.action == "reapply":
        payload = {**row[0], **body.corrections}
        corrected_id = uuid.uuid5(CORRECTION_NS, f"{event_id}:{sorted(body.corrections.items())}")
        payload["event_id"] = str(corrected_id)
        payload["corrects"] = str(event_id)
        event = decode_event(payload)
        who.admit([event.warehouse])  # a correction may not carry it into another warehouse
        result = service.apply([event], who.name)
        status = result.outcomes[0] if result.outcomes else None
        if status is not None and status.status.value == "rejected":
            return {"resolved": False, "event_id": str(corrected_id), "code": status.code,
                    "reason": status.reason}
        outcome = {"event_id": str(corrected_id),
                   "status": status.status.value if status else "duplicate"}
    with pool.connection() as conn:
        conn.execute("UPDATE rejected_moves SET resolved_at = %s, resolved_by = %s, "
                     "resolution = %s, corrected_by = %s WHERE event_id = %s",
                     (datetime.now(UTC), who.name, f"{body.action}: {body.note}".strip(),
                      corrected_id, event_id))
    return {"resolved": True, **outcome}
