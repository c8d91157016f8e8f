"""The lot master under /api/v1/lots: find and read lots, import lot data (CSV or JSON), and
the exceptions a supervisor resolves; serials under /api/v1/serials. Lots are
warehouse-independent (SKU + lot), like SKUs: any signed-in reader may read them; importing is
master data, resolving is a supervisor's. A serial and an exception that name warehouses are
shown only to a caller who may see every one of them (else: not found)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from cloud_hub.auth.api.access import SHARED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import numbers
from cloud_hub.http.deps import PoolDep
from cloud_hub.work.api.models import ResolveIn
from cloud_hub.work.api.schemas import (
    LotDetail,
    LotExceptionList,
    LotExceptionResolved,
    LotImport,
    LotList,
    SerialList,
    SerialView,
)
from cloud_hub.work.lot_import import MAX_BYTES, BadRow, ImportRefused, LotRow, read_csv, read_rows
from cloud_hub.work.pg import lot_master, serials

router = APIRouter(prefix="/api/v1", tags=["lots"])
P = Permission
Text = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
QueryText = Annotated[str | None, Query(min_length=1, max_length=128,
                                         pattern=r"^[^\x00-\x1f\x7f]+$")]
KINDS = "^(" + "|".join(lot_master.EXCEPTION_KINDS) + ")$"


@router.get("/lots", response_model=LotList)
def list_lots(pool: PoolDep, _: Annotated[Access, guard(P.READ, SHARED)],
              sku: QueryText = None, lot: QueryText = None,
              expiring_before: date | None = None,
              limit: int = Query(100, ge=1, le=lot_master.MAX_FOUND)) -> dict[str, Any]:
    """Lots by SKU and/or lot, soonest expiry first."""
    with pool.connection() as conn:
        return {"lots": lot_master.find_lots(conn, sku=sku, lot=lot,
                                             expiring_before=expiring_before, limit=limit)}


@router.get("/lots/exceptions", response_model=LotExceptionList)
def list_exceptions(pool: PoolDep, who: Annotated[Access, guard(P.RESOLVE, SHARED)],
                    kind: str | None = Query(None, pattern=KINDS),
                    include_resolved: bool = False,
                    limit: int = Query(100, ge=1, le=lot_master.MAX_FOUND)) -> dict[str, Any]:
    """Open lot exceptions (all of them with include_resolved), oldest first."""
    with pool.connection() as conn:
        return {"exceptions": lot_master.list_exceptions(
            conn, visible=_visible(who), open_only=not include_resolved, kind=kind,
            limit=limit)}


@router.post("/lots/exceptions/{exception_id}/resolve", response_model=LotExceptionResolved)
def resolve_exception(exception_id: Annotated[int, Path(ge=1, le=2**62)], body: ResolveIn,
                      pool: PoolDep, who: Annotated[Access, guard(P.RESOLVE, SHARED)]
                      ) -> dict[str, Any]:
    """Close an exception; an expiry conflict names the expiry that holds, which the master
    takes."""
    try:
        with pool.connection() as conn:
            return lot_master.resolve_exception(conn, exception_id, user=who.name,
                                                visible=_visible(who), expiry=body.expiry,
                                                note=body.note, now=datetime.now(UTC))
    except lot_master.ExceptionNotFound as exc:
        raise HTTPException(404, f"not found: {exc}") from None
    except lot_master.ResolveRefused as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/lots/{sku}/{lot}", response_model=LotDetail)
def get_lot(sku: Text, lot: Text, pool: PoolDep,
            who: Annotated[Access, guard(P.READ, SHARED)]) -> dict[str, Any]:
    """A lot in the master, what reported its expiry, and where it is on hand (in the
    caller's warehouses)."""
    with pool.connection() as conn:
        found = lot_master.read_lot(conn, sku, lot, _visible(who))
    if found is None:
        raise HTTPException(404, f"no lot {lot!r} of SKU {sku!r}")
    return numbers(found)


@router.get("/serials", response_model=SerialList)
def list_serials(pool: PoolDep, who: Annotated[Access, guard(P.READ, SHARED)],
                 serial: QueryText = None, sku: QueryText = None, lot: QueryText = None,
                 limit: int = Query(100, ge=1, le=lot_master.MAX_FOUND)) -> dict[str, Any]:
    """Serials by serial (any SKU), SKU and/or lot, in the caller's warehouses."""
    with pool.connection() as conn:
        return {"serials": serials.find_serials(conn, serial=serial, sku=sku, lot=lot,
                                                visible=_visible(who), limit=limit)}


@router.get("/serials/{sku}/{serial}", response_model=SerialView)
def get_serial(sku: Text, serial: Text, pool: PoolDep,
               who: Annotated[Access, guard(P.READ, SHARED)]) -> dict[str, Any]:
    """A serialised item now (warehouse, location, unit, lot) and its history, newest first."""
    with pool.connection() as conn:
        found = serials.read_serial(conn, sku, serial)
        seen_in = serials.warehouses_of(conn, sku, serial) if found else set()
    visible = _visible(who)
    if found is None or (visible is not None and not seen_in <= visible):
        raise HTTPException(404, f"no serial {serial!r} of SKU {sku!r}")
    return found


def _visible(who: Access) -> frozenset[str] | None:
    scope = who.principal.scope
    return None if scope.everything else scope.warehouses


@router.post("/lots/import", response_model=LotImport, openapi_extra={"requestBody": {
    "required": True, "content": {"text/csv": {"schema": {"type": "string"}},
                                  "application/json": {"schema": {"type": "object"}}}}})
async def import_lots(request: Request, pool: PoolDep,
                      _: Annotated[Access, guard(P.MANAGE_MASTER_DATA, SHARED)]
                      ) -> dict[str, Any]:
    """CSV with a header (sku, lot, expiry, production_date, best_before, supplier, origin) or
    JSON `{"rows": [{...}]}`; at most 5,000 rows and 2 MB. Good rows are written, each row's
    outcome is reported: created, updated, unchanged, conflict (an expiry that differs from the
    master's: kept as an exception, the master unchanged) or rejected (with why)."""
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BYTES:
            raise HTTPException(413, f"an import is at most {MAX_BYTES} bytes; split the file")
    try:
        text = raw.decode("utf-8-sig")
        if "json" in request.headers.get("content-type", ""):
            doc = json.loads(text)
            if not isinstance(doc, dict) or not isinstance(doc.get("rows"), list):
                raise ImportRefused('a JSON import is {"rows": [{"sku": ..., "lot": ...}, ...]}')
            parsed = read_rows(doc["rows"])
        else:
            parsed = read_csv(text)
    except UnicodeDecodeError:
        raise HTTPException(422, "an import must be UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(422, f"not JSON: {exc.msg} at {exc.pos}") from None
    except ImportRefused as exc:
        raise HTTPException(422, str(exc)) from None
    good = [r for r in parsed if isinstance(r, LotRow)]

    def write() -> list[lot_master.Imported]:
        with pool.connection() as conn:
            return lot_master.import_rows(conn, good, datetime.now(UTC))

    done = {r.number: r for r in await run_in_threadpool(write)}
    report = [{"row": r.number, "sku": None, "lot": None, "outcome": "rejected",
               "detail": r.error} if isinstance(r, BadRow) else
              {"row": r.number, "sku": r.sku, "lot": r.lot, "outcome": done[r.number].outcome,
               "detail": done[r.number].detail} for r in parsed]
    counts = {k: sum(1 for r in report if r["outcome"] == k)
              for k in ("created", "updated", "unchanged", "conflict", "rejected")}
    return {"rows": len(report), "created": counts["created"], "updated": counts["updated"],
            "unchanged": counts["unchanged"], "conflicts": counts["conflict"],
            "rejected": counts["rejected"], "report": report}
