"""WebSocket /api/v1/live: committed moves and balance changes, filtered by warehouse/zone."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect

from cloud_hub.api.deps import principal_for
from cloud_hub.auth.roles import Permission, permissions
from cloud_hub.live import LiveFilter, LiveHub

router = APIRouter(tags=["live"])


@router.websocket("/api/v1/live")
async def live(ws: WebSocket, warehouse: str | None = None, zone: str | None = None,
               token: str | None = None) -> None:
    app = ws.app
    header = ws.headers.get("authorization", "")
    token = token or (header[7:].strip() if header.lower().startswith("bearer ") else None)
    try:
        principal = await asyncio.to_thread(principal_for, app.state.pool, app.state.settings,
                                            token)
    except HTTPException as exc:
        await ws.close(code=4401, reason=str(exc.detail)[:120])
        return
    if Permission.READ not in permissions(principal.roles):
        await ws.close(code=4403, reason="this role may not read the live feed")
        return
    await ws.accept()
    hub: LiveHub = app.state.live
    client = hub.subscribe(LiveFilter(warehouse, zone))
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
