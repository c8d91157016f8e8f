"""Work configuration and hand-made tasks under /api/v1: putaway rules per SKU / category /
dock zone, SKU work profiles (cold, hazardous, home bin, volume), replenishment tasks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from cloud_hub.auth.api.access import EVERY, IN_BODY, SHARED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.work.api.deps import http_errors
from cloud_hub.work.api.models import Code, Qty
from cloud_hub.work.api.schemas import (
    ProfileSaved,
    PutawayRules,
    ReplenishmentCreated,
    RuleSaved,
)
from cloud_hub.work.pg.rules import load_policy, save_profile, save_rule
from cloud_hub.work.pg.tasks import insert_task
from cloud_hub.work.putaway import PutawayRule, Strategy
from cloud_hub.work.steps import WorkTask
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep

router = APIRouter(prefix="/api/v1", tags=["work"])


class _In(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class RuleIn(_In):
    strategies: list[Strategy] = Field(min_length=1, max_length=3)
    zones: list[Code] | None = None


class ProfileIn(_In):
    needs: list[Literal["cold", "hazardous", "high_value"]] | None = None
    home_bin: Code | None = None
    unit_volume: Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6)] | None = None


class ReplenishIn(_In):
    warehouse: Code
    sku: Code
    lot: Code | None = None
    quantity: Qty
    from_location: Code
    to_location: Code
    priority: int = 5


@router.put("/putaway-rules/{scope}/{key}", response_model=RuleSaved)
def put_rule(scope: Literal["sku", "category", "zone", "default"], key: str, body: RuleIn,
             pool: PoolDep, _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, EVERY)]
             ) -> dict[str, Any]:
    """`key` is the SKU, category or dock zone; use `-` for the default rule. The rules steer
    every warehouse: only a caller who may act on all of them may change them."""
    rule = PutawayRule(tuple(body.strategies),
                       frozenset(body.zones) if body.zones is not None else None)
    with pool.connection() as conn:
        save_rule(conn, scope, "" if scope == "default" else key, rule)
    return {"scope": scope, "key": key, "strategies": [str(s) for s in rule.strategies],
            "zones": body.zones}


@router.get("/putaway-rules", response_model=PutawayRules)
def get_rules(pool: PoolDep,
              _: Annotated[Access, guard(Permission.READ, SHARED)]) -> dict[str, Any]:
    with pool.connection() as conn:
        policy = load_policy(conn)

    def show(rule: PutawayRule) -> dict[str, Any]:
        return {"strategies": [str(s) for s in rule.strategies],
                "zones": sorted(rule.zones) if rule.zones is not None else None}
    return {"default": show(policy.default),
            "sku": {k: show(v) for k, v in policy.by_sku.items()},
            "category": {k: show(v) for k, v in policy.by_category.items()},
            "zone": {k: show(v) for k, v in policy.by_dock_zone.items()}}


@router.put("/sku-profiles/{sku}", response_model=ProfileSaved,
             response_model_exclude_unset=True)
def put_profile(sku: str, body: ProfileIn, pool: PoolDep,
                _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, SHARED)]
                ) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        save_profile(conn, sku, needs=body.needs, home_bin=body.home_bin,
                     unit_volume=body.unit_volume)
    return {"sku": sku, **body.model_dump(mode="json", exclude_none=True)}


@router.post("/replenishments", status_code=201, response_model=ReplenishmentCreated)
def replenish(body: ReplenishIn, pool: PoolDep,
              _: Annotated[Access, guard(Permission.RUN_WORK, IN_BODY)]) -> dict[str, Any]:
    """A replenishment task (e.g. from the planning suggestions): reserve stock → pick face."""
    task_id = f"replenish-{uuid.uuid4().hex[:12]}"
    step = TaskStep(step_id="1", sequence=1, location=body.from_location,
                    to_location=body.to_location, sku=body.sku, lot=body.lot,
                    expected_quantity=body.quantity, remaining_quantity=body.quantity,
                    instructions=(Instruction.GO_TO_LOCATION, Instruction.SCAN_LOCATION,
                                  Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY,
                                  Instruction.SCAN_BIN))
    task = Task(task_id=task_id, kind=TaskKind.REPLENISH, state=TaskState.OPEN,
                warehouse=body.warehouse, created_at=datetime.now(UTC), priority=body.priority,
                steps=(step,))
    with pool.connection() as conn:
        insert_task(conn, WorkTask(task))
    return {"task_id": task_id}
