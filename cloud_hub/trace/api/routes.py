"""GET /api/v1/trace: a lot's or a unit's way through one warehouse, backward and forward."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloud_hub.auth.api.access import IN_BODY, IN_QUERY_REQUIRED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.deps import ApplyDep
from cloud_hub.trace.api.schemas import RecallReport, TraceReport
from cloud_hub.trace.model import DEFAULT_STEPS, MAX_STEPS, Direction, Limits, LotKey
from cloud_hub.trace.pg.recall import RecallTooLarge, recall
from cloud_hub.trace.pg.report import trace_report
from cloud_hub.trace.recall import received, shipped_by_order
from cloud_hub.trace.shape import number, report_json
from cloud_hub.work.pg.apply import LedgerRefused

router = APIRouter(prefix="/api/v1", tags=["trace"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY_REQUIRED)]
MAX_TEXT = 200
Text = Annotated[str | None, Query(min_length=1, max_length=MAX_TEXT)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]


def checked(**values: str | None) -> None:
    """Refuse a value with a control character before PostgreSQL sees it."""
    for name, value in values.items():
        if value is not None and any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise HTTPException(400, f"{name} holds a control character")


# The answer is encoded once, straight from trace/shape.py's dict (a hot lot's page is 1,000+
# steps: validating it into TraceReport first cost as much again); TraceReport documents it.
@router.get("/trace", response_model=None, responses={200: {
    "model": TraceReport, "description": "the trace (JSON written straight to bytes)"}})
def trace(pool: PoolDep, access: Reads, lot: Text = None, sku: Text = None, unit: Text = None,
          direction: Direction = Direction.BOTH,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
          limit: Annotated[int, Query(ge=1, le=MAX_STEPS)] = DEFAULT_STEPS) -> Response:
    """Where a lot (optionally of one SKU) or a unit (`sscc:…`, a bare SSCC, `epc:…`) came from
    (backward: receipts, ASN lines, supplier, the moves that brought it in), where it went
    (forward: putaways, transfers, picks, packing, orders, shipments) and where it is now.
    Steps are paged (`offset`, `limit` ≤ 10,000); `truncated` says a bounded read was cut."""
    if (lot is None) == (unit is None):
        raise HTTPException(422, "name either a lot (with an optional sku) or a unit")
    if unit is not None and sku is not None:
        raise HTTPException(422, "sku narrows a lot, not a unit")
    checked(lot=lot, sku=sku, unit=unit)
    warehouse = access.warehouse or ""
    with pool.connection() as conn:
        report = trace_report(conn, warehouse, lot=lot, sku=sku, unit=unit, direction=direction,
                              offset=offset, limits=Limits(steps=limit))
    if report is None:
        what = f"unit {unit}" if unit is not None else f"lot {lot}" + (f" of {sku}" if sku else "")
        raise HTTPException(404, f"{what} is not in warehouse {warehouse}'s ledger")
    return Response(json.dumps(report_json(report, limit), ensure_ascii=False,
                               allow_nan=False, separators=(",", ":")),
                    media_type="application/json")


class RecallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recall_id: Code = Field(description="the recall's id: repeating it holds nothing twice")
    warehouse: Code
    sku: Code
    lot: Code
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    device_id: Code = "hub"


@router.post("/recalls", response_model=RecallReport)
def new_recall(body: RecallIn, pool: PoolDep, ledger: ApplyDep,
               who: Annotated[Access, guard(Permission.RESOLVE, IN_BODY)]) -> dict[str, Any]:
    """Put every available quantity of the lot in the warehouse on hold (status quarantine,
    moves with reason adjust, task `recall:<id>`, the caller as user), list its open picks to be
    stopped, and report what was received, what is on hand where, what was shipped on which
    order."""
    key = LotKey(body.sku, body.lot)
    try:
        done = recall(pool, ledger, body.warehouse, key, recall_id=body.recall_id,
                      user=who.name, occurred_at=datetime.now(UTC), device_id=body.device_id)
    except LedgerRefused as exc:
        raise HTTPException(409, f"the ledger refused a hold ({exc}); nothing was held") from None
    except RecallTooLarge as exc:
        raise HTTPException(413, str(exc)) from None
    if done is None:
        raise HTTPException(404, f"lot {body.lot} of {body.sku} is not in warehouse "
                            f"{body.warehouse}'s ledger")
    shape = report_json(done.report, MAX_STEPS)
    carriers = {o.order_id: o.carrier for o in done.report.orders}
    return {
        "recall_id": body.recall_id, "warehouse": body.warehouse, "sku": body.sku,
        "lot": body.lot, "held": number(done.plan.quantity),
        "move_ids": [str(m.event_id) for m in done.plan.moves],
        "held_whole_units": list(done.plan.held_whole_units),
        "taken_out_of_units": list(done.plan.taken_out_of),
        "open_picks": [p for p in shape["picks"] if not p["shipped"]],
        "received": number(received(done.report)), "receipts": shape["receipts"],
        "now": shape["now"],
        "shipped": [{"order_id": order, "quantity": number(qty), "carrier": carriers.get(order)}
                    for order, qty in sorted(shipped_by_order(done.report).items())],
        "truncated": shape["truncated"] or shape["page"]["next_offset"] is not None}
