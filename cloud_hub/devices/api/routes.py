"""Devices and their readings under /api/v1: where each device is (its registry), and what it
read over time, in buckets a chart can draw.

Rule kept here: scoped like every read — a warehouse's devices and readings to those who may
see that warehouse; placing a device is master data.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloud_hub.auth.api.access import IN_QUERY, IN_QUERY_REQUIRED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.devices.pg.readings import buckets, list_devices, put_device
from cloud_hub.http.bodies import Body
from cloud_hub.http.deps import PoolDep

router = APIRouter(prefix="/api/v1", tags=["devices"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]
Places = Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, IN_QUERY_REQUIRED)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
MAX_SPAN = timedelta(days=93)


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    location: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    zone: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    label: Annotated[str, StringConstraints(max_length=256)] = ""


class DeviceOut(Body):
    warehouse: str
    gateway: str
    device_id: int
    location: str | None
    zone: str | None
    label: str
    updated_at: datetime


class BucketOut(Body):
    start: datetime
    gateway: str
    device_id: int
    location: str | None
    kind: str
    unit: str
    count: int
    minimum: float
    maximum: float
    mean: float


def _one_warehouse(access: Access) -> str:
    if access.warehouse is None:
        raise HTTPException(422, "say which warehouse: ?warehouse=WH1")
    return access.warehouse


@router.get("/devices", response_model=list[DeviceOut])
def devices(pool: PoolDep, access: Reads) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return [asdict(d) for d in list_devices(conn, _one_warehouse(access))]


@router.put("/devices/{gateway}/{device_id}", response_model=DeviceOut)
def place_device(gateway: Id, device_id: Annotated[int, Field(ge=0, le=65535)], body: DeviceIn,
                 pool: PoolDep, access: Places) -> dict[str, Any]:
    warehouse = _one_warehouse(access)
    with pool.connection() as conn:
        if body.location is not None and conn.execute(
                "SELECT 1 FROM locations WHERE code = %s AND warehouse = %s",
                (body.location, warehouse)).fetchone() is None:
            raise HTTPException(422, f"location {body.location!r} is not in {warehouse}")
        return asdict(put_device(conn, warehouse, gateway, device_id, location=body.location,
                                 zone=body.zone, label=body.label))


@router.get("/readings", response_model=list[BucketOut])
def readings(pool: PoolDep, access: Reads,
             bucket: Literal["minute", "hour", "day"] = "minute",
             start: datetime | None = None, end: datetime | None = None,
             kind: Annotated[str | None, Query(max_length=32)] = None,
             location: Annotated[str | None, Query(max_length=128)] = None,
             gateway: Id | None = None,
             device_id: Annotated[int | None, Query(ge=0, le=65535)] = None,
             limit: Annotated[int, Query(ge=1, le=10_000)] = 2_000) -> list[dict[str, Any]]:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a time zone (e.g. 2026-11-23T08:00:00Z)")
    end = end or datetime.now(UTC)
    start = start or end - timedelta(hours=24)
    if not start < end <= start + MAX_SPAN:
        raise HTTPException(422, f"start must be before end, at most {MAX_SPAN.days} days apart")
    with pool.connection() as conn:
        return [asdict(b) for b in buckets(
            conn, _one_warehouse(access), start=start, end=end, bucket=bucket, kind=kind,
            location=location, gateway=gateway, device_id=device_id, limit=limit)]
