"""Locations (CRUD and CSV import with per-row errors) and SKUs."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cloud_hub.api.deps import MasterData, PoolDep, Reader
from cloud_hub.storage.catalog import Location, Sku, remove_location, upsert_locations, upsert_skus
from protocol.codec import describe

router = APIRouter(prefix="/api/v1", tags=["catalog"])
CodeStr = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-/ ]+$")]
Kind = Literal["zone", "aisle", "rack", "bin", "dock_door", "portal", "staging", "area", "packing"]
MAX_CSV_BYTES = 20 * 1024 * 1024


class LocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: CodeStr
    warehouse: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    kind: Kind
    parent: CodeStr | None = None
    name: str = Field(default="", max_length=200)
    x: float | None = Field(default=None, allow_inf_nan=False)
    y: float | None = Field(default=None, allow_inf_nan=False)
    width: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    depth: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    capacity: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)
    attributes: dict[str, Any] = Field(default_factory=dict)
    active: bool = True

    @model_validator(mode="after")
    def _not_own_parent(self) -> LocationIn:
        if self.parent == self.code:
            raise ValueError(f"location {self.code} cannot be its own parent")
        return self

    def to_location(self) -> Location:
        return Location(**self.model_dump())


class SkuIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    sku: CodeStr
    gtin: Annotated[str, Field(pattern=r"^[0-9]{8}$|^[0-9]{12,14}$")] | None = None
    description: str = Field(default="", max_length=500)
    uom: str = Field(default="EA", min_length=1, max_length=16)
    category: str | None = Field(default=None, max_length=64)
    unit_value: Decimal | None = Field(default=None, ge=0, max_digits=18, decimal_places=6)


LOCATION_COLS = ("code, warehouse, kind, parent, name, x, y, width, depth, capacity, "
                 "attributes, active")


def _location_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    keys = [k.strip() for k in LOCATION_COLS.split(",")]
    out = dict(zip(keys, row, strict=True))
    if out["capacity"] is not None:
        out["capacity"] = float(out["capacity"])
    return out


ANCESTORS_SQL = """
WITH RECURSIVE up(start, code, parent) AS (
    SELECT code, code, parent FROM locations WHERE code = ANY(%s)
    UNION SELECT up.start, l.code, l.parent FROM locations l JOIN up ON l.code = up.parent)
SELECT start, code FROM up"""


def _check_parents(pool: PoolDep, items: list[LocationIn]) -> None:
    """Parents must exist (in the request or the table) and no location may become its
    own ancestor."""
    codes = {i.code for i in items}
    wanted = {i.parent for i in items if i.parent and i.parent not in codes}
    parent_of = {i.code: i.parent for i in items}
    with pool.connection() as conn:
        have = {r[0] for r in conn.execute("SELECT code FROM locations WHERE code = ANY(%s)",
                                           (list(wanted),))}
        stored: dict[str, set[str]] = {}
        for start, code in conn.execute(ANCESTORS_SQL, ([p for p in parent_of.values() if p],)):
            stored.setdefault(start, set()).add(code)
    if wanted - have:
        raise HTTPException(422, f"unknown parent location(s): {', '.join(sorted(wanted - have))}")
    for code in parent_of:
        seen, at = {code}, parent_of[code]
        while at is not None:
            if at in seen or code in stored.get(at, ()):
                raise HTTPException(422, f"location {code} would become its own ancestor")
            seen.add(at)
            at = parent_of.get(at)


@router.get("/locations")
def list_locations(pool: PoolDep, _: Reader, warehouse: str | None = None,
                   kind: str | None = None, limit: int = Query(1000, ge=1, le=50_000),
                   offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = conn.execute(
            f"SELECT {LOCATION_COLS} FROM locations WHERE (%s::text IS NULL OR warehouse = %s) "
            "AND (%s::text IS NULL OR kind = %s) ORDER BY code LIMIT %s OFFSET %s",
            (warehouse, warehouse, kind, kind, limit, offset)).fetchall()
    return [_location_dict(r) for r in rows]


@router.get("/locations/{code}")
def get_location(code: str, pool: PoolDep, _: Reader) -> dict[str, Any]:
    with pool.connection() as conn:
        row = conn.execute(f"SELECT {LOCATION_COLS} FROM locations WHERE code = %s",
                           (code,)).fetchone()
    if row is None:
        raise HTTPException(404, f"no location {code!r}")
    return _location_dict(row)


@router.post("/locations", status_code=201)
def create_locations(body: LocationIn | list[LocationIn], pool: PoolDep,
                     _: MasterData) -> dict[str, int]:
    items = body if isinstance(body, list) else [body]
    _check_parents(pool, items)
    with pool.connection() as conn, conn.transaction():
        written = upsert_locations(conn, [i.to_location() for i in items])
    return {"written": written}


@router.put("/locations/{code}")
def update_location(code: str, body: LocationIn, pool: PoolDep, _: MasterData) -> dict[str, Any]:
    if body.code != code:
        raise HTTPException(422, f"body code {body.code!r} does not match the path {code!r}")
    _check_parents(pool, [body])
    with pool.connection() as conn, conn.transaction():
        upsert_locations(conn, [body.to_location()])
    return body.model_dump(mode="json")


@router.delete("/locations/{code}")
def delete_location(code: str, pool: PoolDep, _: MasterData) -> dict[str, str]:
    try:
        with pool.connection() as conn, conn.transaction():
            return {"code": code, "result": remove_location(conn, code)}
    except LookupError:
        raise HTTPException(404, f"no location {code!r}") from None


@router.post("/locations/import")
async def import_locations(request: Request, pool: PoolDep, _: MasterData) -> dict[str, Any]:
    """CSV with a header row naming LocationIn fields; bad rows are reported, good ones kept."""
    raw = await request.body()
    if len(raw) > MAX_CSV_BYTES:
        raise HTTPException(413, f"CSV over {MAX_CSV_BYTES} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "CSV must be UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"code", "warehouse", "kind"} <= set(reader.fieldnames):
        raise HTTPException(422, "CSV header must name at least code, warehouse, kind")
    good: list[LocationIn] = []
    errors: list[dict[str, Any]] = []
    for line_no, row in enumerate(reader, start=2):
        clean = {k: v for k, v in row.items() if k and v not in (None, "")}
        try:
            good.append(LocationIn.model_validate(clean))
        except ValidationError as exc:
            errors.append({"line": line_no, "code": row.get("code"), "error": describe(exc)})
    known = {g.code for g in good}
    with pool.connection() as conn:
        have = {r[0] for r in conn.execute(
            "SELECT code FROM locations WHERE code = ANY(%s)",
            ([g.parent for g in good if g.parent],))}
    for g in [g for g in good if g.parent and g.parent not in known | have]:
        errors.append({"code": g.code, "error": f"parent {g.parent!r} is not known"})
        good.remove(g)
    with pool.connection() as conn, conn.transaction():
        written = upsert_locations(conn, [g.to_location() for g in good]) if good else 0
    return {"written": written, "rejected": len(errors), "errors": errors}


@router.get("/skus")
def list_skus(pool: PoolDep, _: Reader, q: str | None = None,
              limit: int = Query(500, ge=1, le=10_000),
              offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = conn.execute(
            "SELECT sku, gtin, description, uom, category, unit_value FROM skus "
            "WHERE %s::text IS NULL OR sku ILIKE %s OR gtin = %s OR description ILIKE %s "
            "ORDER BY sku LIMIT %s OFFSET %s",
            (q, f"%{q}%", q, f"%{q}%", limit, offset)).fetchall()
    keys = ("sku", "gtin", "description", "uom", "category", "unit_value")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@router.post("/skus", status_code=201)
def create_skus(body: SkuIn | list[SkuIn], pool: PoolDep, _: MasterData) -> dict[str, int]:
    items = body if isinstance(body, list) else [body]
    with pool.connection() as conn, conn.transaction():
        return {"written": upsert_skus(conn, [Sku(**i.model_dump()) for i in items])}
