"""WebSocket /api/v1/live: committed moves and balance changes, filtered by warehouse/zone;
POST /api/v1/live/tickets: the single-use ticket a client opens it with.

Rule kept here: the socket is opened with a ticket, never a bearer token (URLs are logged);
the ticket fixes whose feed it is and which warehouse it shows (cloud_hub.auth.api.access).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketDisconnect
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from cloud_hub.auth.api.access import (
    IN_BODY_OPTIONAL,
    Access,
    Credentials,
    guard,
    live_access,
    ticketed,
)
from cloud_hub.auth.pg.tickets import issue_ticket
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.http.services import Slot
from cloud_hub.live.api.hub import LiveHub
from cloud_hub.live.messages import LiveFilter

router = APIRouter(tags=["live"])
LIVE: Slot[LiveHub] = Slot("live feed hub")
LiveDep = Annotated[LiveHub, Depends(LIVE.dependency)]


class TicketIn(BaseModel):
    warehouse: str | None = Field(None, min_length=1, max_length=64,
                                  description="the warehouse to follow; needed unless the "
                                              "caller may read only one, or all")


class TicketOut(BaseModel):
    ticket: str
    expires_at: datetime
    warehouse: str | None = Field(description="null: every warehouse")


@router.post("/api/v1/live/tickets", response_model=TicketOut, status_code=201)
def new_ticket(pool: PoolDep, settings: SettingsDep, credentials: Credentials,
               access: Annotated[Access, guard(Permission.READ, IN_BODY_OPTIONAL)],
               body: TicketIn | None = None) -> TicketOut:
    """A ticket for `GET /api/v1/live?ticket=…` (WebSocket): single use, valid for seconds."""
    assert credentials is not None  # the guard let the caller in with its bearer token
    with pool.connection() as conn:
        ticket, expires = issue_ticket(conn, credentials.credentials, access.warehouse,
                                       now=datetime.now(UTC),
                                       ttl=timedelta(seconds=settings.live_ticket_ttl_s),
                                       secret_key=settings.secret_key)
    return TicketOut(ticket=ticket, expires_at=expires, warehouse=access.warehouse)


def _redeem(pool: ConnectionPool, secret_key: str, ticket: str | None,
            warehouse: str | None) -> Access:
    with pool.connection() as conn:
        return live_access(conn, secret_key, Permission.READ, ticket, warehouse)


@router.websocket("/api/v1/live")
async def live(ws: WebSocket, _: Annotated[None, ticketed(Permission.READ)], pool: PoolDep,
               settings: SettingsDep, hub: LiveDep, ticket: str | None = None,
               warehouse: str | None = None, zone: str | None = None) -> None:
    try:
        access = await asyncio.to_thread(_redeem, pool, settings.secret_key, ticket, warehouse)
    except HTTPException as exc:
        code = 4401 if exc.status_code == 401 else 4403
        await ws.close(code=code, reason=str(exc.detail)[:120])
        return
    await ws.accept()
    client = hub.subscribe(LiveFilter(access.warehouse, zone))
    reader = asyncio.create_task(_drain_incoming(ws))
    try:
        while client.closed_reason is None and not reader.done():
            getter = asyncio.ensure_future(client.queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            message = getter.result()
            while True:  # send what is queued without a task and a wait per message
                if client.pending_drop_notice:
                    client.pending_drop_notice = False
                    await ws.send_json({"type": "dropped", "count": client.dropped})
                await ws.send_json(message)
                if client.closed_reason is not None:
                    break
                try:
                    message = client.queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
        if client.closed_reason is not None:
            await ws.close(code=4408, reason=client.closed_reason[:120])
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        hub.unsubscribe(client)


async def _drain_incoming(ws: WebSocket) -> None:
    """Clients only listen; reading notices when they go away."""
    try:
        while True:
            await ws.receive_text()
    except (WebSocketDisconnect, RuntimeError):
        return
