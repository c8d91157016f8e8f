"""The data the web pages (cloud_hub.web.api.pages: /map, /dashboard, /login) draw, under
/api/v1/map/... and /api/v1/dashboard/..., for managers and supervisors.

Rule kept here: big replies are serialised once, straight to JSON bytes (20,000 locations
must not go through per-field encoding), and every query is bounded.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel

from cloud_hub.auth.api.access import IN_QUERY, IN_QUERY_REQUIRED, SHARED, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.catalog.api.deps import LOCATION
from cloud_hub.http.deps import PoolDep
from cloud_hub.web.api.schemas import (
    DashboardSummary,
    MapFind,
    MapLayout,
    MapLocation,
    MapState,
    MapWarehouses,
)
from cloud_hub.web.pg import dashboard, find, queries

Views = Annotated[Access, guard(Permission.MONITOR, IN_QUERY_REQUIRED)]

router = APIRouter(prefix="/api/v1", tags=["map"])


def _json_body(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI for a route that writes its JSON itself: the body's model, for 200."""
    return {200: {"model": model, "description": "JSON (written straight to bytes)"}}


def _json(value: object) -> Response:
    return Response(json.dumps(value, separators=(",", ":"), default=str),
                    media_type="application/json")


@router.get("/map/warehouses", response_model=MapWarehouses)
def map_warehouses(pool: PoolDep, access: Annotated[Access, guard(Permission.MONITOR, SHARED)]
                   ) -> dict[str, list[str]]:
    """Warehouses that have locations to draw, of those the caller may see."""
    scope = access.principal.scope
    with pool.connection() as conn:
        return {"warehouses": [w for w in queries.warehouses(conn) if scope.allows(w)]}


@router.get("/map/layout", responses=_json_body(MapLayout))
def map_layout(pool: PoolDep, access: Views) -> Response:
    """The floor plan: active locations as rows under a `columns` header."""
    warehouse = access.warehouse or ""
    with pool.connection() as conn:
        rows = queries.layout_json(conn, warehouse)
    return Response(queries.layout_envelope(warehouse, rows), media_type="application/json")


@router.get("/map/state", responses=_json_body(MapState))
def map_state(pool: PoolDep, access: Views) -> Response:
    """Where every pallet is (since: epoch ms) and every balance, at one moment."""
    with pool.connection() as conn:
        body = queries.map_state_json(conn, access.warehouse or "", datetime.now(UTC))
    return Response(body, media_type="application/json")


@router.get("/map/location/{code}", responses=_json_body(MapLocation))
def map_location(code: str, pool: PoolDep,
                 _: Annotated[Access, guard(Permission.MONITOR, looked_up(LOCATION))],
                 moves: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    """What a location holds, its pallets and its last moves with who/what made them."""
    with pool.connection() as conn:
        detail = queries.location_detail(conn, code, moves)
    if detail is None:
        raise HTTPException(404, f"no location {code!r}")
    return _json(detail)


@router.get("/map/find", responses=_json_body(MapFind))
def map_find(pool: PoolDep, access: Views,
             q: Annotated[str, Query(min_length=1, max_length=128)]) -> Response:
    """Where a SKU, GTIN, lot, EPC, SSCC or location code is."""
    with pool.connection() as conn:
        hits = find.find(conn, access.warehouse or "", q)
    return _json({"query": q, "hits": hits, "truncated": len(hits) >= find.FIND_LIMIT})


@router.get("/dashboard/summary", responses=_json_body(DashboardSummary))
def dashboard_summary(pool: PoolDep, access: Annotated[Access, guard(Permission.MONITOR,
                                                                     IN_QUERY)],
                      start: datetime | None = None, end: datetime | None = None,
                      bucket_s: Annotated[int, Query(ge=60, le=86400)] = 3600) -> Response:
    """Today's moves by source, open tasks, what waits for a supervisor, alerts. `start`/`end`
    default to the current UTC day; pass the browser's local midnight for a local day."""
    now = datetime.now(UTC)
    start = start or now.replace(hour=0, minute=0, second=0, microsecond=0)
    end = end or start + timedelta(days=1)
    if start.tzinfo is None or end.tzinfo is None:
        raise HTTPException(422, "start and end need a UTC offset")
    if not timedelta(0) < end - start <= timedelta(days=31):
        raise HTTPException(422, "end must be after start, at most 31 days later")
    with pool.connection() as conn:
        return _json(dashboard.summary(conn, access.warehouse, start, end,
                                       timedelta(seconds=bucket_s), now))

