"""GET /api/v1/trace: a lot's or a unit's way through one warehouse, backward and forward."""

from __future__ import annotations

import json
from typing import Annotated

import orjson
from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import StringConstraints

from cloud_hub.auth.api.access import IN_QUERY_REQUIRED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.trace.api.schemas import TraceReport
from cloud_hub.trace.model import DEFAULT_STEPS, MAX_STEPS, Direction, Limits
from cloud_hub.trace.pg.report import trace_report
from cloud_hub.trace.pg.serial_trace import serial_trace
from cloud_hub.trace.pg.to_whom import add_customers
from cloud_hub.trace.shape import report_json

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
# steps: validating it into TraceReport first cost as much again), by orjson (a fifth of
# json.dumps's time for such a page); TraceReport documents it.
@router.get("/trace", response_model=None, responses={200: {
    "model": TraceReport, "description": "the trace (JSON written straight to bytes)"}})
def trace(pool: PoolDep, access: Reads, lot: Text = None, sku: Text = None, unit: Text = None,
          serial: Text = None, direction: Direction = Direction.BOTH,
          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
          limit: Annotated[int, Query(ge=1, le=MAX_STEPS)] = DEFAULT_STEPS) -> Response:
    """Where a lot (optionally of one SKU) or a unit (`sscc:…`, a bare SSCC, `epc:…`) came from
    (backward: receipts, ASN lines, supplier, the moves that brought it in), where it went
    (forward: putaways, transfers, picks, packing, orders, shipments) and where it is now.
    Steps are paged (`offset`, `limit` ≤ 10,000); `truncated` says a bounded read was cut.
    A `serial` (optionally of one `sku`) is traced through every move that named it and the
    units it was packed in (subject `serial`, its open exceptions in `exceptions`)."""
    if sum(v is not None for v in (lot, unit, serial)) != 1:
        raise HTTPException(422, "name one of a lot (with an optional sku), a unit or a serial")
    if unit is not None and sku is not None:
        raise HTTPException(422, "sku narrows a lot, not a unit")
    checked(lot=lot, sku=sku, unit=unit, serial=serial)
    warehouse = access.warehouse or ""
    if serial is not None:
        with pool.connection() as conn:
            found = serial_trace(conn, warehouse, serial, sku, direction)
        if found is None:
            raise HTTPException(404, f"serial {serial}" + (f" of {sku}" if sku else "") +
                                f" is not in warehouse {warehouse}'s ledger")
        return Response(json.dumps(found, ensure_ascii=False, separators=(",", ":")),
                        media_type="application/json")
    with pool.connection() as conn:
        report = trace_report(conn, warehouse, lot=lot, sku=sku, unit=unit, direction=direction,
                              offset=offset, limits=Limits(steps=limit))
        if report is None:
            what = f"unit {unit}" if unit is not None else \
                f"lot {lot}" + (f" of {sku}" if sku else "")
            raise HTTPException(404, f"{what} is not in warehouse {warehouse}'s ledger")
        shape = add_customers(conn, report_json(report, limit))  # to whom the stock went
    return Response(orjson.dumps(shape), media_type="application/json")
