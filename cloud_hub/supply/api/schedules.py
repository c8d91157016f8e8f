"""/api/v1/planning/schedules: planning per warehouse on a schedule, its last and next run.

Rule kept here: reading needs `read`, setting a schedule `plan`, within the caller's
warehouses; the hub's PlanningScheduler (built by cloud_hub.main) runs what is due.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter

from cloud_hub.auth.api.access import IN_QUERY, Access, guard, in_path
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.supply.api.deps import SchedulerDep, supply_errors
from cloud_hub.supply.api.models import ScheduleIn
from cloud_hub.supply.api.schemas import ScheduleOut
from cloud_hub.supply.pg import schedules as store

router = APIRouter(prefix="/api/v1/planning/schedules", tags=["supply"])


@router.get("", response_model=list[ScheduleOut])
def list_schedules(pool: PoolDep, access: Annotated[Access, guard(Permission.READ, IN_QUERY)]
                   ) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return store.list_schedules(conn, access.warehouse)


@router.get("/{warehouse}", response_model=ScheduleOut)
def get_schedule(warehouse: str, pool: PoolDep,
                 _: Annotated[Access, guard(Permission.READ, in_path("warehouse"))]
                 ) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        return store.get_schedule(conn, warehouse)


@router.put("/{warehouse}", response_model=ScheduleOut)
def put_schedule(warehouse: str, body: ScheduleIn, pool: PoolDep, scheduler: SchedulerDep,
                 _: Annotated[Access, guard(Permission.PLAN, in_path("warehouse"))]
                 ) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        saved = store.put_schedule(conn, warehouse, body.every_minutes, body.days,
                                   body.enabled, body.first_run_at, datetime.now(UTC))
    scheduler.wake()  # it sleeps until the earliest run it knew of
    return saved
