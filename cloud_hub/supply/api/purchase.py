"""/api/v1/purchase-orders: create, list, read, send / confirm / close / cancel, receive
against a PO (a work receipt of its open lines), and accepted suggestions → draft POs.

Rule kept here: reading needs `read`, buying needs `plan`, opening a receipt
`manage_master_data` (as POST /api/v1/receipts does), each within the caller's warehouses —
the body's warehouse, the query's, or the PO's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query

from cloud_hub.auth.api.access import IN_BODY, IN_BODY_OPTIONAL, IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import numbers
from cloud_hub.http.deps import PoolDep
from cloud_hub.supply.api.deps import PURCHASE_ORDER, supply_errors
from cloud_hub.supply.api.models import FromSuggestionsIn, PoActionIn, PoReceiptIn, PurchaseOrderIn
from cloud_hub.supply.api.schemas import PoReceiptOut, PurchaseOrderOut, PurchaseOrdersMade
from cloud_hub.supply.pg import purchase as store
from cloud_hub.supply.purchase import LineChange, PoAction

router = APIRouter(prefix="/api/v1/purchase-orders", tags=["supply"])
OnPo = looked_up(PURCHASE_ORDER)


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("", status_code=201, response_model=PurchaseOrderOut)
def create(body: PurchaseOrderIn, pool: PoolDep,
           who: Annotated[Access, guard(Permission.PLAN, IN_BODY)]) -> dict[str, Any]:
    lines = [store.NewLine(ln.sku, ln.quantity, ln.unit_price, ln.expected_on)
             for ln in body.lines]
    with supply_errors(), pool.connection() as conn:
        po_id = store.create_po(conn, po_id=body.po_id or store.new_po_id(),
                                supplier=body.supplier, warehouse=body.warehouse, lines=lines,
                                expected_on=body.expected_on, user=who.name)
        return numbers(store.load_po(conn, po_id))  # type: ignore[no-any-return]


@router.get("", response_model=list[PurchaseOrderOut])
def list_orders(pool: PoolDep, access: Annotated[Access, guard(Permission.READ, IN_QUERY)],
                state: Literal["draft", "sent", "confirmed", "partly_received", "received",
                               "closed", "cancelled"] | None = None,
                limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return numbers(  # type: ignore[no-any-return]
            store.list_pos(conn, access.warehouse, state, limit))


@router.post("/from-suggestions", status_code=201, response_model=PurchaseOrdersMade)
def from_suggestions(pool: PoolDep,
                     who: Annotated[Access, guard(Permission.PLAN, IN_BODY_OPTIONAL)],
                     body: Annotated[FromSuggestionsIn | None, Body()] = None
                     ) -> dict[str, Any]:
    """Every accepted purchase suggestion not ordered yet becomes a line of a draft PO, one
    PO per supplier and warehouse."""
    body = body or FromSuggestionsIn()
    with supply_errors(), pool.connection() as conn:
        made = store.from_suggestions(conn, who.warehouse, who.name, body.expected_on)
        return numbers({  # type: ignore[no-any-return]
            "purchase_orders": [store.load_po(conn, p) for p in made.po_ids],
            "skipped": made.skipped})


@router.get("/{po_id}", response_model=PurchaseOrderOut)
def get(po_id: str, pool: PoolDep,
        _: Annotated[Access, guard(Permission.READ, OnPo)]) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        return numbers(store.load_po(conn, po_id))  # type: ignore[no-any-return]


@router.post("/{po_id}/receipts", status_code=201, response_model=PoReceiptOut)
def receive(po_id: str, body: PoReceiptIn, pool: PoolDep,
            _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, OnPo)]) -> dict[str, Any]:
    """A receipt expecting the PO's open lines: the dock receives on it
    (POST /api/v1/receipts/{receipt_id}/arrivals) within its over-receipt tolerance."""
    with supply_errors(), pool.connection() as conn:
        receipt_id, task_id = store.open_receipt(
            conn, po_id, receipt_id=body.receipt_id, dock=body.dock, quarantine=body.quarantine,
            over_tolerance_pct=body.over_tolerance_pct, now=_now())
    return {"po_id": po_id, "receipt_id": receipt_id, "task_id": task_id}


@router.post("/{po_id}/{action}", response_model=PurchaseOrderOut)
def step(po_id: str, action: PoAction, pool: PoolDep,
         _: Annotated[Access, guard(Permission.PLAN, OnPo)],
         body: Annotated[PoActionIn | None, Body()] = None) -> dict[str, Any]:
    """send, confirm (the supplier may change quantities and dates: `lines`), close, cancel."""
    body = body or PoActionIn()
    changes = [LineChange(c.line_no, c.quantity, c.expected_on) for c in body.lines]
    with supply_errors(), pool.connection() as conn:
        return numbers(  # type: ignore[no-any-return]
            store.act(conn, po_id, action, _now(), changes, body.note))
