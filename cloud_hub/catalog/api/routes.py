"""Locations (CRUD and CSV import with per-row errors) and SKUs."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from cloud_hub.auth.api.access import (
    IN_BODY,
    IN_QUERY,
    IN_ROWS,
    SHARED,
    Access,
    guard,
    looked_up,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.catalog import tree as location_tree
from cloud_hub.catalog.api.deps import LOCATION
from cloud_hub.catalog.api.schemas import (
    LocationImport,
    LocationOut,
    LocationRemoved,
    LocationWritten,
    SkuOut,
    Written,
)
from cloud_hub.catalog.model import Sku
from cloud_hub.catalog.pg import store
from cloud_hub.catalog.pg.store import remove_location, upsert_checked, upsert_skus
from cloud_hub.catalog.rows import (
    CodeStr,
    CsvRefused,
    CsvRow,
    LocationIn,
    RowError,
    duplicates,
    parse_csv,
)
from cloud_hub.http.deps import PoolDep

router = APIRouter(prefix="/api/v1", tags=["catalog"])
MAX_CSV_BYTES = 20 * 1024 * 1024
MAX_LISTED_ERRORS = 1000
ReadsLocation = Annotated[Access, guard(Permission.READ, looked_up(LOCATION))]
EditsLocation = Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, looked_up(LOCATION))]


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: CodeStr
    gtin: Annotated[str, Field(pattern=r"^[0-9]{8}$|^[0-9]{12,14}$")] | None = None
    description: str = Field(default="", max_length=500)
    uom: str = Field(default="EA", min_length=1, max_length=16)
    category: str | None = Field(default=None, max_length=64)
    unit_value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)


def _write_checked(pool: PoolDep, items: list[LocationIn]) -> int:
    """All or nothing: each code once, every parent known, in the same warehouse, and no
    location its own ancestor (checked against the stored tree) — or 422 naming each."""
    twice = sorted(c for c, n in Counter(i.code for i in items).items() if n > 1)
    if twice:
        raise HTTPException(422, f"location(s) given more than once: {', '.join(twice)}")
    with pool.connection() as conn:
        written, problems = upsert_checked(conn, [i.to_location() for i in items])
    if problems:
        raise HTTPException(422, location_tree.describe(problems))
    return written


@router.get("/locations", response_model=list[LocationOut])
def list_locations(pool: PoolDep, access: Annotated[Access, guard(Permission.READ, IN_QUERY)],
                   kind: str | None = None, limit: int = Query(1000, ge=1, le=50_000),
                   offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return store.list_locations(conn, access.warehouse, kind, limit, offset)


@router.get("/locations/{code}", response_model=LocationOut)
def get_location(code: str, pool: PoolDep, _: ReadsLocation) -> dict[str, Any]:
    with pool.connection() as conn:
        found = store.get_location(conn, code)
    if found is None:
        raise HTTPException(404, f"no location {code!r}")
    return found


@router.post("/locations", status_code=201, response_model=Written)
def create_locations(body: LocationIn | list[LocationIn], pool: PoolDep,
                     _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, IN_BODY)]
                     ) -> dict[str, int]:
    items = body if isinstance(body, list) else [body]
    return {"written": _write_checked(pool, items)}


@router.put("/locations/{code}", response_model=LocationWritten)
def update_location(code: str, body: LocationIn, pool: PoolDep,
                    _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, looked_up(
                        LOCATION, missing_ok=True, body=True))]) -> dict[str, Any]:
    if body.code != code:
        raise HTTPException(422, f"body code {body.code!r} does not match the path {code!r}")
    _write_checked(pool, [body])
    return body.model_dump(mode="json")


@router.delete("/locations/{code}", response_model=LocationRemoved)
def delete_location(code: str, pool: PoolDep, _: EditsLocation) -> dict[str, str]:
    try:
        with pool.connection() as conn, conn.transaction():
            return {"code": code, "result": remove_location(conn, code)}
    except LookupError:
        raise HTTPException(404, f"no location {code!r}") from None


@router.post("/locations/import", response_model=LocationImport)
async def import_locations(request: Request, pool: PoolDep,
                           access: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA,
                                                           IN_ROWS)],
                           create_warehouses: bool = False) -> dict[str, Any]:
    """CSV whose header names LocationIn columns (code, warehouse and kind at least). Rows that
    pass are written; every other row is listed with its line, code, column and reason — a
    bad value, a code on two rows, a parent that is unknown, in another warehouse or would
    close a loop (checked against the stored locations), a warehouse that does not exist
    (unless `create_warehouses`). Re-sending the corrected file is safe: rows are upserts."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"CSV over {MAX_CSV_BYTES} bytes")
    try:
        rows, errors = parse_csv(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise HTTPException(422, "CSV must be UTF-8 text") from None
    except CsvRefused as exc:
        raise HTTPException(422, str(exc)) from None
    rows, twice = duplicates(rows)
    access.admit(r.location.warehouse for r in rows)  # every row in the caller's warehouses
    written, refused = await run_in_threadpool(_import_rows, pool, rows, errors + twice,
                                               create_warehouses)
    refused.sort(key=lambda e: e.line)
    return {"written": written, "rejected": len(refused),
            "errors": [e.as_dict() for e in refused[:MAX_LISTED_ERRORS]],
            "errors_truncated": len(refused) > MAX_LISTED_ERRORS}


def _import_rows(pool: PoolDep, rows: list[CsvRow], errors: list[RowError],
                 create_warehouses: bool) -> tuple[int, list[RowError]]:
    with pool.connection() as conn:
        if not create_warehouses:
            wanted = sorted({r.location.warehouse for r in rows})
            known = store.known_warehouses(conn, wanted)
            errors += [RowError(r.line, r.location.code, "warehouse",
                                f"warehouse {r.location.warehouse!r} does not exist (check the "
                                "spelling, or import with ?create_warehouses=true)")
                       for r in rows if r.location.warehouse not in known]
            rows = [r for r in rows if r.location.warehouse in known]
        refused = {e.code for e in errors if e.code}
        written, problems = upsert_checked(conn, [r.location.to_location() for r in rows],
                                           refused=refused, partial=True)
    errors += [RowError(r.line, r.location.code, "parent", problems[r.location.code])
               for r in rows if r.location.code in problems]
    return written, errors


@router.get("/skus", response_model=list[SkuOut])
def list_skus(pool: PoolDep, _: Annotated[Access, guard(Permission.READ, SHARED)],
              q: str | None = None,
              limit: int = Query(500, ge=1, le=10_000),
              offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return store.list_skus(conn, q, limit, offset)


@router.post("/skus", status_code=201, response_model=Written)
def create_skus(body: SkuIn | list[SkuIn], pool: PoolDep,
                _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, SHARED)]
                ) -> dict[str, int]:
    items = body if isinstance(body, list) else [body]
    with pool.connection() as conn, conn.transaction():
        return {"written": upsert_skus(conn, [Sku(**i.model_dump()) for i in items])}
