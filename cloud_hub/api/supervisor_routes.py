"""The supervisor's queue: rejected moves (correct and re-apply, or dismiss), dead letters,
and the gateways' health."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from cloud_hub.api.access_resources import DEAD_LETTER, REJECTED_MOVE
from cloud_hub.api.deps import ApplyDep, PoolDep, SettingsDep
from cloud_hub.auth.api.access import IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.ingest.messages import moves_senders
from cloud_hub.ingest.registry import GatewayRegistry
from cloud_hub.ingest.replay import NotReplayable, replay
from cloud_hub.storage import dead_letters
from protocol.codec import decode_event

router = APIRouter(prefix="/api/v1", tags=["supervisor"])
CORRECTION_NS = uuid.UUID("5f1c0e2a-6b1d-4c55-9d0e-2f8f4a7c9b10")
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]


class Resolution(BaseModel):
    action: Literal["reapply", "dismiss"]
    corrections: dict[str, Any] = Field(default_factory=dict,
                                        description="fields to change before re-applying")
    note: str = Field(default="", max_length=1000)


@router.get("/rejected")
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


@router.post("/rejected/{event_id}/resolve")
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


class DeadLetterSummary(BaseModel):
    """A dead letter without its payload: a preview, the payload's size and SHA-256."""

    id: int
    received_at: datetime
    topic: str | None
    warehouse: str | None
    source: str
    reason: str
    raw_size: int = Field(description="bytes that came")
    raw_sha256: str = Field(description="SHA-256 of all that came, hex")
    raw_stored: int = Field(description="bytes kept (a prefix when raw_truncated)")
    raw_truncated: bool
    raw_text: str = Field(description="the first 2,000 characters, as UTF-8 text")
    resolved_at: datetime | None
    resolved_by: str | None
    replayed_at: datetime | None
    replay: dict[str, Any] | None


class DeadLetterPage(BaseModel):
    items: list[DeadLetterSummary]
    next_cursor: int | None = Field(description="pass as `cursor` for the next (older) page; "
                                                "null on the last page")


class DeadLetterDetail(DeadLetterSummary):
    raw_base64: str = Field(description="the bytes kept, base64")


class InvalidEvent(BaseModel):
    index: int
    reason: str


class ReplayResult(BaseModel):
    id: int
    applied: int
    late: int
    rejected: int = Field(description="kept by the ledger with a reason (GET /rejected)")
    duplicates: int
    invalid: list[InvalidEvent] = Field(description="events still not applicable, by index")
    resolved: bool


@router.get("/dead-letters", response_model=DeadLetterPage)
def list_dead_letters(pool: PoolDep, access: Reads, include_resolved: bool = False,
                      limit: int = Query(100, ge=1, le=500),
                      cursor: int | None = Query(None, ge=1, description="next_cursor of the "
                                                 "page before")) -> dict[str, Any]:
    """Messages the hub could not apply, newest first, a page at a time and without their
    payloads (GET /dead-letters/{id} has one's). With `warehouse`: those that came on its
    topics, and those whose topic was not one of ours (warehouse null: anybody's)."""
    warehouse = access.warehouse
    with pool.connection() as conn:
        items = dead_letters.list_letters(conn, warehouse, include_resolved, limit, cursor)
    return {"items": items,
            "next_cursor": items[-1]["id"] if len(items) == limit else None}


@router.get("/dead-letters/{letter_id}", response_model=DeadLetterDetail)
def get_dead_letter(letter_id: int, pool: PoolDep,
                    _: Annotated[Access, guard(Permission.READ, looked_up(DEAD_LETTER))]
                    ) -> dict[str, Any]:
    with pool.connection() as conn:
        found = dead_letters.get_letter(conn, letter_id)
    if found is None:
        raise HTTPException(404, f"no dead letter {letter_id}")
    summary, raw = found
    return {**summary, "raw_base64": base64.b64encode(raw).decode()}


@router.post("/dead-letters/{letter_id}/replay", response_model=ReplayResult)
async def replay_dead_letter(
        letter_id: int, pool: PoolDep, service: ApplyDep, settings: SettingsDep,
        who: Annotated[Access, guard(Permission.RESOLVE, looked_up(DEAD_LETTER))]
) -> dict[str, Any]:
    """Apply the good events of a dead-lettered moves message (a batch refused whole, an
    event refused alone, a gateway registered since): each event is validated again, by the
    rules of ingest; those still bad are listed. Replaying twice applies nothing twice. The
    letter is resolved when none of it is left unapplied."""
    found = await asyncio.to_thread(_letter, pool, letter_id)
    summary, raw = found
    if summary["raw_truncated"]:
        raise HTTPException(409, f"dead letter {letter_id} was stored truncated "
                                 f"({summary['raw_stored']} of {summary['raw_size']} bytes, "
                                 "HUB_DEAD_LETTER_MAX_BYTES): ask the gateway to send it again")
    senders = moves_senders([summary["topic"] or ""])
    if settings.unregistered_gateways == "refuse" and senders:
        unknown = await asyncio.to_thread(GatewayRegistry(pool).unregistered, senders)
        if unknown:
            wh, gw = next(iter(unknown))
            raise HTTPException(409, f"gateway {gw} of {wh} is still not registered "
                                     f"(python -m cloud_hub gateways add {wh} {gw})")
    try:
        report = await replay(service, summary["topic"], raw, datetime.now(UTC),
                              timedelta(seconds=settings.clock_tolerance_s),
                              f"{who.name} (replay of dead letter {letter_id})")
    except NotReplayable as exc:
        raise HTTPException(409, f"dead letter {letter_id} cannot be replayed: {exc}") from None
    body = {"id": letter_id, "applied": report.applied, "late": report.late,
            "rejected": report.rejected, "duplicates": report.duplicates,
            "invalid": [{"index": i.index, "reason": i.reason} for i in report.invalid],
            "resolved": report.settled}
    await asyncio.to_thread(_record_replay, pool, letter_id, who.name, body, report.settled)
    return body


def _record_replay(pool: ConnectionPool, letter_id: int, by: str, body: dict[str, Any],
                   resolved: bool) -> None:
    with pool.connection() as conn:
        dead_letters.record_replay(conn, letter_id, datetime.now(UTC), by, body, resolved)


def _letter(pool: ConnectionPool, letter_id: int) -> tuple[dict[str, Any], bytes]:
    with pool.connection() as conn:
        found = dead_letters.get_letter(conn, letter_id)
    if found is None:
        raise HTTPException(404, f"no dead letter {letter_id}")
    return found


@router.post("/dead-letters/{letter_id}/resolve")
def resolve_dead_letter(letter_id: int, pool: PoolDep,
                        who: Annotated[Access, guard(Permission.RESOLVE, looked_up(DEAD_LETTER))]
                        ) -> dict[str, Any]:
    with pool.connection() as conn:
        cur = conn.execute("UPDATE dead_letters SET resolved_at = %s, resolved_by = %s "
                           "WHERE id = %s AND resolved_at IS NULL",
                           (datetime.now(UTC), who.name, letter_id))
    if cur.rowcount == 0:
        raise HTTPException(404, f"no open dead letter {letter_id}")
    return {"id": letter_id, "resolved": True}


@router.get("/gateways")
def list_gateways(pool: PoolDep, access: Reads) -> list[dict[str, Any]]:
    warehouse = access.warehouse
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT warehouse, gateway, state, last_heartbeat, last_status_at, queue_depth, info, "
            "registered_at FROM gateways WHERE %s::text IS NULL OR warehouse = %s ORDER BY 1, 2",
            (warehouse, warehouse)).fetchall()
    keys = ("warehouse", "gateway", "state", "last_heartbeat", "last_status_at", "queue_depth",
            "info", "registered_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]
