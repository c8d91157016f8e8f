"""Planning REST routes (/api/v1/planning): run planning, forecasts, suggestions and their
decisions, purchase-order drafts (CSV / JSON), ABC/XYZ, dead stock, KPIs, alerts and rules.

Rule kept here: routes are thin — they read the clock and the caller, then call `runs`,
`store` and `reports`; reading needs the `read` permission, changing anything needs `plan`
(acknowledging an alert: `resolve`), each within the caller's warehouses (auth.api.access).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

import httpx
from fastapi import APIRouter, Body, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from cloud_hub.auth.api.access import (
    EVERY,
    IN_BODY_OPTIONAL,
    IN_QUERY,
    SHARED,
    Access,
    guard,
    looked_up,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.devices.pg.readings import located_warehouses
from cloud_hub.http.deps import PoolDep
from cloud_hub.planning.api.deps import ALERT, SUGGESTION, AlertsDep
from cloud_hub.planning.api.schemas import (
    AlertOut,
    Classification,
    DeadStock,
    Forecast,
    KpiReport,
    PlanningRun,
    PurchaseOrderDrafts,
    RuleSet,
    RuleSetSaved,
    RulesEvaluated,
    SuggestionOut,
)
from cloud_hub.planning.classify import count_interval_days
from cloud_hub.planning.deadstock import ageing, dead_and_slow
from cloud_hub.planning.kpi import GroupBy, compute_kpis
from cloud_hub.planning.notify.webhooks import WebhookSender
from cloud_hub.planning.orders import build_drafts, draft_as_dict, drafts_to_csv
from cloud_hub.planning.pg import reports, runs, store
from cloud_hub.planning.pg.actions import ActionSinks
from cloud_hub.planning.replenish import SuggestionStateError
from cloud_hub.planning.rules import RulesError, load_rules

router = APIRouter(prefix="/api/v1/planning", tags=["planning"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]


def _now() -> datetime:
    return datetime.now(UTC)


class RunRequest(BaseModel):
    days: int = Field(365, ge=7, le=3 * 365, description="days of demand history to read")
    warehouse: str | None = None


class Decision(BaseModel):
    quantity: float | None = Field(None, gt=0, description="the new quantity (edit only)")
    note: str = Field("", max_length=1000)


@router.post("/run", response_model=PlanningRun)
def run(body: RunRequest, pool: PoolDep,
        access: Annotated[Access, guard(Permission.PLAN, IN_BODY_OPTIONAL)]) -> dict[str, Any]:
    now = _now()
    with pool.connection() as conn:
        result = runs.run_planning(conn, now.date(), now, days=body.days,
                                      warehouse=access.warehouse)
    return {"series": result.series, "suggestions": len(result.suggestions)}


@router.get("/forecasts", response_model=list[Forecast])
def forecasts(pool: PoolDep, access: Reads,
              sku: Annotated[list[str] | None, Query()] = None,
              limit: int = Query(1000, ge=1, le=100_000)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return store.load_status(conn, access.warehouse, sku, limit)


@router.get("/suggestions", response_model=list[SuggestionOut])
def suggestions(pool: PoolDep, access: Reads,
                state: Literal["proposed", "edited", "accepted", "rejected"] | None = None,
                limit: int = Query(500, ge=1, le=10_000), offset: int = Query(0, ge=0)
                ) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return [asdict(s) for s in store.list_suggestions(
            conn, warehouse=access.warehouse, state=state, limit=limit, offset=offset)]


@router.post("/suggestions/{suggestion_id}/{decision}", response_model=SuggestionOut)
def decide(suggestion_id: int, decision: Literal["accept", "edit", "reject"], pool: PoolDep,
           who: Annotated[Access, guard(Permission.PLAN, looked_up(SUGGESTION))],
           body: Annotated[Decision | None, Body()] = None) -> dict[str, Any]:
    body = body or Decision()
    if decision == "edit" and body.quantity is None:
        raise HTTPException(422, "an edit needs a positive 'quantity'")
    try:
        with pool.connection() as conn:
            s = store.decide_suggestion(conn, suggestion_id, decision, quantity=body.quantity,
                                        note=body.note, user=who.name, now=_now())
    except store.NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except SuggestionStateError as exc:
        raise HTTPException(409, str(exc)) from None
    return asdict(s)


@router.get("/purchase-orders", response_model=None, responses={200: {
    "model": PurchaseOrderDrafts, "description": "the drafts as JSON, or as CSV with ?format=csv",
    "content": {"text/csv": {"schema": {"type": "string"}}}}})
def purchase_orders(pool: PoolDep, access: Reads,
                    format: Literal["json", "csv"] = "json") -> Response:
    with pool.connection() as conn:
        # what became a purchase order (POST /api/v1/purchase-orders/from-suggestions) is
        # ordered already: no draft of it any more
        accepted = store.list_suggestions(conn, warehouse=access.warehouse, state="accepted",
                                          limit=10_000, unordered=True)
    drafts = build_drafts(accepted, _now().date())
    if format == "csv":
        return Response(drafts_to_csv(drafts), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="purchase-order-drafts.csv"'})
    return Response(json.dumps({"drafts": [draft_as_dict(d) for d in drafts]}),
                    media_type="application/json")


@router.get("/classification", response_model=list[Classification])
def classification(pool: PoolDep, access: Reads,
                   limit: int = Query(10_000, ge=1, le=100_000)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = store.load_status(conn, access.warehouse, None, limit)
    return [{"warehouse": r["warehouse"], "sku": r["sku"], "abc": r["abc_class"],
             "xyz": r["xyz_class"], "count_interval_days":
             count_interval_days(r["abc_class"] or "C")} for r in rows]


@router.get("/dead-stock", response_model=DeadStock)
def dead_stock(pool: PoolDep, access: Reads,
               dead_days: int = Query(180, ge=1, le=3650),
               slow_days: int | None = Query(None, ge=1, le=3650,
                                             description="default: 90, or dead_days if less")
               ) -> dict[str, Any]:
    slow_days = slow_days or min(90, dead_days)
    if slow_days > dead_days:
        raise HTTPException(422, "slow_days must not exceed dead_days")
    today = _now().date()
    with pool.connection() as conn:
        items = reports.stock_items(conn, access.warehouse)
    return {"items": [asdict(s) for s in dead_and_slow(items, today, dead_days, slow_days)],
            "ageing": [asdict(b) for b in ageing(items, today)]}


@router.get("/kpis", response_model=KpiReport)
def kpis(pool: PoolDep, access: Reads, start: date | None = None, end: date | None = None,
         by: GroupBy = GroupBy.ALL) -> dict[str, Any]:
    end = end or _now().date() + timedelta(days=1)
    start = start or end - timedelta(days=30)
    if not start < end or (end - start).days > 3 * 366:
        raise HTTPException(422, "the period must end after it starts and span at most 3 years")
    with pool.connection() as conn:
        inputs = reports.kpi_inputs(conn, start, end, warehouse=access.warehouse)
        counts = reports.cycle_counts(conn, start, end, access.warehouse)
    result = compute_kpis(inputs, counts, by)
    return {"start": start, "end": end, "by": by.value,
            "groups": {k: asdict(v) for k, v in result.items()}}


@router.get("/alerts", response_model=list[AlertOut])
def alerts(pool: PoolDep, access: Reads, open_only: bool = True,
           limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return [asdict(a) for a in store.list_alerts(conn, warehouse=access.warehouse,
                                                    open_only=open_only, limit=limit)]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
def acknowledge(alert_id: int, pool: PoolDep,
                who: Annotated[Access, guard(Permission.RESOLVE, looked_up(ALERT))]
                ) -> dict[str, Any]:
    try:
        with pool.connection() as conn:
            return asdict(store.acknowledge_alert(conn, alert_id, who.name, _now()))
    except store.NotFound as exc:
        raise HTTPException(404, str(exc)) from None


@router.get("/rules", response_model=RuleSet)
def get_rules(pool: PoolDep,
              _: Annotated[Access, guard(Permission.READ, SHARED)]) -> dict[str, Any]:
    with pool.connection() as conn:
        current = store.current_rule_set(conn)
    return {"version": None, "source": ""} if current is None else {
        "version": current[0], "source": current[1]}


@router.put("/rules", response_model=RuleSetSaved)
def put_rules(pool: PoolDep, who: Annotated[Access, guard(Permission.PLAN, EVERY)],
              source: Annotated[str, Body(media_type="text/plain", max_length=200_000)]
              ) -> dict[str, Any]:
    try:
        rules = load_rules(source)
    except RulesError as exc:
        raise HTTPException(422, str(exc)) from None
    with pool.connection() as conn:
        version = store.save_rule_set(conn, source, who.name)
    return {"version": version, "rules": [r.name for r in rules]}


@router.post("/rules/evaluate", response_model=RulesEvaluated)
def evaluate_rules(pool: PoolDep, publisher: AlertsDep,
                   access: Annotated[Access, guard(Permission.PLAN, IN_QUERY)]
                   ) -> dict[str, Any]:
    """Run the current rules over every SKU × warehouse with stock or a policy, now."""
    now, warehouse = _now(), access.warehouse
    with pool.connection() as conn:
        current = store.current_rule_set(conn)
        if current is None:
            raise HTTPException(409, "no rules stored yet: PUT /api/v1/planning/rules first")
        try:
            rules = load_rules(current[1])
        except RulesError as exc:
            raise HTTPException(409, f"the stored rules (version {current[0]}) no longer "
                                     f"validate; PUT corrected rules: {exc}") from None
        pairs = runs.rule_subjects(conn, warehouse)
        zones = [warehouse] if warehouse else located_warehouses(conn)
        with httpx.Client(timeout=10) as client:
            # no publisher (MQTT off): alerts are still stored; the report names the failure
            sinks = ActionSinks(conn, publisher, WebhookSender(client),
                                runs.suggest_for_action)
            evaluation, report = runs.on_moves_applied(conn, pairs, rules, sinks, now,
                                                       zones)
    return {"version": current[0], "facts": len(pairs), "actions": len(evaluation.actions),
            "failures": [asdict(f) for f in evaluation.failures],
            "outcomes": [asdict(o) for o in report.outcomes]}
