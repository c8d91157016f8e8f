"""Receipts, orders, waves and counts under /api/v1: what supervisors, managers and
integrations (ERP, portals) call to feed and steer the warehouse work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from cloud_hub.auth.api.access import IN_BODY, IN_QUERY_REQUIRED, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import numbers
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.work.api.deps import ORDER, RECEIPT, TASK, ServiceDep, actor, http_errors
from cloud_hub.work.api.models import (
    ActIn,
    ArrivalIn,
    CountIn,
    CountPlanIn,
    OrderIn,
    ReceiptIn,
    ShipIn,
    WaveIn,
)
from cloud_hub.work.api.schemas import (
    ArrivalResult,
    Atp,
    CountApproved,
    CountForReview,
    CountsCreated,
    CountsPlanned,
    LocationAccuracy,
    OrderShipped,
    OrderView,
    ReceiptClosed,
    ReceiptCreated,
    ReceiptReleased,
    ReceiptView,
    RecountCreated,
    WaveBuilt,
)
from cloud_hub.work.counts import CountRequest
from cloud_hub.work.orders import Order, OrderLine
from cloud_hub.work.pg.counts import (
    accuracy_by_location,
    create_count_task,
    due_by_class,
    pending_review,
)
from cloud_hub.work.pg.orders import (
    atp,
    cancel_order,
    create_order,
    order_view,
    reserve_again,
)
from cloud_hub.work.pg.receiving import (
    close_receipt,
    create_receipt,
    load_receipt,
    receipt_progress,
)
from cloud_hub.work.pg.waves import build_wave
from cloud_hub.work.picking import WaveRule
from cloud_hub.work.receiving import ExpectedReceipt, ExpectedUnit, ReceiptLine

router = APIRouter(prefix="/api/v1", tags=["work"])
P = Permission
ReadsWarehouse = Annotated[Access, guard(P.READ, IN_QUERY_REQUIRED)]


def _now() -> datetime:
    return datetime.now(UTC)


# --- receipts ----------------------------------------------------------------------------------

@router.post("/receipts", status_code=201, response_model=ReceiptCreated)
def new_receipt(body: ReceiptIn, pool: PoolDep, settings: SettingsDep,
                _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, IN_BODY)]) -> dict[str, Any]:
    for ln in body.lines:  # a cost in another currency needs its rate (issue 24)
        if ln.currency not in (None, settings.base_currency) and ln.rate is None:
            raise HTTPException(422, f"line {ln.line_id}: currency {ln.currency} needs a rate "
                                     f"(base {settings.base_currency} per one {ln.currency})")
        if (ln.currency is not None or ln.rate is not None) and ln.unit_cost is None:
            raise HTTPException(422, f"line {ln.line_id}: currency and rate go with a unit_cost")
    receipt = ExpectedReceipt(body.receipt_id, body.warehouse, body.dock, tuple(
        ReceiptLine(ln.line_id, ln.sku, ln.quantity, ln.lot, ln.expiry,
                    tuple(ExpectedUnit(u.unit.key, u.quantity) for u in ln.units),
                    ln.unit_cost, ln.currency,
                    ln.rate if ln.currency not in (None, settings.base_currency) else None)
        for ln in body.lines), body.quarantine, body.supplier, body.over_tolerance_pct)
    with http_errors(), pool.connection() as conn:
        task_id = create_receipt(conn, receipt, _now())
    return {"receipt_id": body.receipt_id, "task_id": task_id}


@router.get("/receipts/{receipt_id}", response_model=ReceiptView)
def get_receipt(receipt_id: str, pool: PoolDep,
                _: Annotated[Access, guard(P.READ, looked_up(RECEIPT))]) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        receipt = load_receipt(conn, receipt_id)
        state, found, arrivals = receipt_progress(conn, receipt_id)
    return {"receipt_id": receipt_id, "warehouse": receipt.warehouse, "dock": receipt.dock,
            "quarantine": receipt.quarantine, "state": state, "discrepancies": found,
            "arrivals": numbers(arrivals)}


@router.post("/receipts/{receipt_id}/arrivals", response_model=ArrivalResult)
def arrival(receipt_id: str, body: ArrivalIn, service: ServiceDep,
            who: Annotated[Access, guard(P.RUN_WORK, looked_up(RECEIPT))]) -> dict[str, Any]:
    with http_errors():
        return service.arrival(receipt_id, event_id=body.event_id, unit=body.unit, sku=body.sku,
                               lot=body.lot, quantity=body.quantity, location=body.location,
                               occurred_at=body.occurred_at, device_id=body.device_id,
                               source_kind=body.source_kind, user=who.name,
                               may_exceed=actor(who).supervises)


@router.post("/receipts/{receipt_id}/close", response_model=ReceiptClosed)
def close(receipt_id: str, pool: PoolDep,
          _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, looked_up(RECEIPT))]
          ) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        return {"receipt_id": receipt_id, "discrepancies": close_receipt(conn, receipt_id)}


@router.post("/receipts/{receipt_id}/release", response_model=ReceiptReleased)
def release(receipt_id: str, body: ActIn, service: ServiceDep,
            who: Annotated[Access, guard(P.RESOLVE, looked_up(RECEIPT))]) -> dict[str, Any]:
    with http_errors():
        ids = service.release(receipt_id, user=who.name, occurred_at=body.occurred_at,
                              device_id=body.device_id)
    return {"receipt_id": receipt_id, "move_ids": ids}


# --- orders, ATP, waves ------------------------------------------------------------------------

@router.post("/orders", status_code=201, response_model=OrderView)
def new_order(body: OrderIn, pool: PoolDep,
              _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, IN_BODY)]) -> dict[str, Any]:
    order = Order(body.order_id, body.warehouse,
                  tuple(OrderLine(ln.line_no, ln.sku, ln.quantity) for ln in body.lines),
                  body.carrier, body.cutoff, body.priority, body.kind, body.customer_id,
                  body.ship_to_id)
    with http_errors(), pool.connection() as conn:
        create_order(conn, order, allow_partial=body.allow_partial)
        return numbers(order_view(conn, body.order_id))


@router.get("/orders/{order_id}", response_model=OrderView)
def get_order(order_id: str, pool: PoolDep,
              _: Annotated[Access, guard(P.READ, looked_up(ORDER))]) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        return numbers(order_view(conn, order_id))


@router.post("/orders/{order_id}/reserve", response_model=OrderView)
def reserve(order_id: str, pool: PoolDep,
            _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, looked_up(ORDER))]
            ) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        reserve_again(conn, order_id)
        return numbers(order_view(conn, order_id))


@router.post("/orders/{order_id}/cancel", response_model=OrderView)
def cancel(order_id: str, pool: PoolDep,
           _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, looked_up(ORDER))]
           ) -> dict[str, Any]:
    with http_errors(), pool.connection() as conn:
        cancel_order(conn, order_id)
        return numbers(order_view(conn, order_id))


@router.post("/orders/{order_id}/ship", response_model=OrderShipped)
def ship(order_id: str, body: ShipIn, service: ServiceDep,
         who: Annotated[Access, guard(P.RUN_WORK, looked_up(ORDER))]) -> dict[str, Any]:
    with http_errors():
        ids = service.ship(order_id, occurred_at=body.occurred_at, user=who.name,
                           device_id=body.device_id, source_kind=body.source_kind,
                           read_point=body.read_point)
    return {"order_id": order_id, "move_ids": ids}


@router.get("/atp", response_model=Atp)
def available(pool: PoolDep, access: ReadsWarehouse,
              sku: Annotated[list[str], Query(max_length=1000)]) -> dict[str, Any]:
    warehouse = access.warehouse
    with pool.connection() as conn:
        return numbers({"warehouse": warehouse, "atp": atp(conn, warehouse, sku)})


@router.post("/waves", status_code=201, response_model=WaveBuilt)
def new_wave(body: WaveIn, pool: PoolDep,
             _: Annotated[Access, guard(P.RUN_WORK, IN_BODY)]) -> dict[str, Any]:
    now = _now()
    rule = WaveRule(body.by, body.max_orders, body.cutoff_before, body.zone)
    with http_errors(), pool.connection() as conn:
        return build_wave(conn, wave_id=body.wave_id or f"W-{uuid.uuid4().hex[:10]}",
                          warehouse=body.warehouse, rule=rule, policy=body.lot_policy,
                          staging=body.staging, today=body.today or now.date(), now=now,
                          lines_per_task=body.lines_per_task)


# --- counts ------------------------------------------------------------------------------------

def _count_tasks(pool: Any, warehouse: str, requests: list[CountRequest],
                 blind: bool) -> list[str]:
    now, made = _now(), []
    with pool.connection() as conn, conn.transaction():
        for req in requests:
            task_id = f"count-{uuid.uuid4().hex[:12]}"
            if create_count_task(conn, task_id=task_id, warehouse=warehouse, request=req,
                                 blind=blind, now=now):
                made.append(task_id)
    return made


@router.post("/counts", status_code=201, response_model=CountsCreated)
def count_now(body: CountIn, pool: PoolDep,
              _: Annotated[Access, guard(P.RUN_WORK, IN_BODY)]) -> dict[str, Any]:
    reqs = [CountRequest(loc, body.sku, "on_demand") for loc in body.locations]
    return {"task_ids": _count_tasks(pool, body.warehouse, reqs, body.blind)}


@router.post("/counts/plan", status_code=201, response_model=CountsPlanned)
def count_plan(body: CountPlanIn, pool: PoolDep,
               _: Annotated[Access, guard(P.RUN_WORK, IN_BODY)]) -> dict[str, Any]:
    """Counts due by ABC class (A monthly, B quarterly, C yearly) as of `today`."""
    with pool.connection() as conn:
        due = list(due_by_class(conn, body.warehouse, dict(body.classes), body.today))
    return {"task_ids": _count_tasks(pool, body.warehouse, due, body.blind), "due": len(due)}


@router.get("/counts/review", response_model=list[CountForReview])
def review(pool: PoolDep, access: ReadsWarehouse) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return numbers(pending_review(conn, access.warehouse))  # type: ignore[no-any-return]


@router.post("/counts/{task_id}/{step_id}/approve", response_model=CountApproved)
def approve(task_id: str, step_id: str, body: ActIn, service: ServiceDep,
            who: Annotated[Access, guard(P.RESOLVE, looked_up(TASK))]) -> dict[str, Any]:
    with http_errors():
        return {"move_ids": service.approve_count(task_id, step_id, supervisor=who.name,
                                                  occurred_at=body.occurred_at,
                                                  device_id=body.device_id)}


@router.post("/counts/{task_id}/{step_id}/recount", response_model=RecountCreated)
def recount(task_id: str, step_id: str, service: ServiceDep,
            who: Annotated[Access, guard(P.RESOLVE, looked_up(TASK))]) -> dict[str, Any]:
    with http_errors():
        return {"task_id": service.recount(task_id, step_id, supervisor=who.name, now=_now())}


@router.get("/counts/accuracy", response_model=list[LocationAccuracy])
def accuracy(pool: PoolDep, access: ReadsWarehouse) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return numbers(accuracy_by_location(conn, access.warehouse))  # type: ignore[no-any-return]
