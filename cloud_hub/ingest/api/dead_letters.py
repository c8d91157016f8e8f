"""The supervisor's view of ingest: dead letters (read, replay by the rules of ingest,
resolve) and the gateways' health.

Rule kept here: a dead letter's payload is shown only one at a time (the list carries a
preview, the size and the hash), and a replay applies through the ledger's one apply path.
"""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from psycopg_pool import ConnectionPool

from cloud_hub.auth.api.access import IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.ingest.api.deps import DEAD_LETTER
from cloud_hub.ingest.api.schemas import (
    DeadLetterDetail,
    DeadLetterPage,
    DeadLetterResolved,
    GatewayOut,
    ReplayResult,
)
from cloud_hub.ingest.messages import moves_senders
from cloud_hub.ingest.pg import dead_letters, gateways
from cloud_hub.ingest.pg.registry import GatewayRegistry
from cloud_hub.ingest.pg.replay import NotReplayable, replay
from cloud_hub.ledger.api.deps import ApplyDep

router = APIRouter(prefix="/api/v1", tags=["supervisor"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]


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


@router.post("/dead-letters/{letter_id}/resolve", response_model=DeadLetterResolved)
def resolve_dead_letter(letter_id: int, pool: PoolDep,
                        who: Annotated[Access, guard(Permission.RESOLVE, looked_up(DEAD_LETTER))]
                        ) -> dict[str, Any]:
    with pool.connection() as conn:
        resolved = dead_letters.resolve_letter(conn, letter_id, datetime.now(UTC), who.name)
    if not resolved:
        raise HTTPException(404, f"no open dead letter {letter_id}")
    return {"id": letter_id, "resolved": True}


@router.get("/gateways", response_model=list[GatewayOut])
def list_gateways(pool: PoolDep, access: Reads) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return gateways.list_gateways(conn, access.warehouse)
