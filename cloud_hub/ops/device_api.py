"""GET /api/v1/asyncapi.json: the MQTT device API (AsyncAPI 3.0), generated from the protocol
models — the same document as docs/asyncapi.json.

Rule kept here: it is served exactly where the OpenAPI document is (HUB_DOCS_ENABLED, on in
development) and, like it, is an ops route (cloud_hub/auth/api/access.py OPS_ROUTES): a
production hub does not describe itself to strangers.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from cloud_hub.http.bodies import Body
from cloud_hub.http.deps import SettingsDep
from protocol import asyncapi

router = APIRouter(tags=["ops"])


class AsyncApiDocument(Body):
    """An AsyncAPI 3.0 document (its parts as the AsyncAPI specification defines them)."""

    asyncapi: Literal["3.0.0"]
    info: dict[str, Any]
    defaultContentType: str  # AsyncAPI's own key
    servers: dict[str, Any]
    channels: dict[str, Any]
    operations: dict[str, Any]
    components: dict[str, Any]


@cache
def _document() -> bytes:
    return asyncapi.render().encode()


@router.get("/api/v1/asyncapi.json", response_model=AsyncApiDocument)
def device_api(settings: SettingsDep) -> Response:
    if not settings.docs_on:
        raise HTTPException(404, "the API documents are off on this hub (HUB_DOCS_ENABLED)")
    return Response(_document(), media_type="application/json")
