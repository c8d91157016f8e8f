"""Reading the ledger: stock on hand, units, the move history, and search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from cloud_hub.auth.api.access import IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.deps import UNIT
from cloud_hub.ledger.api.schemas import (
    MovePage,
    SearchHit,
    SkuOnHand,
    StockOut,
    UnitOut,
    UnitWhere,
)
from cloud_hub.ledger.pg import queries

router = APIRouter(prefix="/api/v1", tags=["ledger"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]


def _jsonable(row: object) -> dict[str, Any]:
    out = asdict(row)  # type: ignore[call-overload]
    for key, value in out.items():
        if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float):
            out[key] = float(value)
    return out


@router.get("/stock", response_model=list[StockOut])
def stock(pool: PoolDep, access: Reads, sku: str | None = None, location: str | None = None,
          lot: str | None = None, include_children: bool = False) -> list[dict[str, Any]]:
    if not sku and not location:
        raise HTTPException(422, "give sku or location (or both)")
    warehouse = access.warehouse
    with pool.connection() as conn:
        if sku:
            rows = queries.stock_by_sku(conn, sku, warehouse, lot)
            if location:
                rows = [r for r in rows if r.location == location]
        elif include_children:
            rows = queries.stock_under(conn, location or "")
        else:
            rows = queries.stock_at(conn, location or "")
    return [_jsonable(r) for r in rows if (lot is None or r.lot == lot)
            and warehouse in (None, r.warehouse)]


@router.get("/stock/summary", response_model=list[SkuOnHand])
def stock_summary(pool: PoolDep, access: Reads, limit: int = Query(1000, ge=1, le=50_000),
                  offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = queries.stock_summary(conn, access.warehouse, limit, offset)
    return [{"warehouse": w, "sku": s, "on_hand": float(q)} for w, s, q in rows]


@router.get("/units", response_model=list[UnitOut])
def list_units(pool: PoolDep, access: Reads, location: str | None = None,
               limit: int = Query(5000, ge=1, le=50_000),
               offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    warehouse = access.warehouse
    with pool.connection() as conn:
        rows = conn.execute("""
            SELECT u.unit_key, u.epc, u.sscc, u.warehouse, u.location, u.since,
                   coalesce(json_agg(json_build_object('sku', c.sku, 'lot', c.lot,
                       'status', c.status, 'quantity', c.quantity))
                       FILTER (WHERE c.sku IS NOT NULL), '[]'::json)
            FROM units u LEFT JOIN unit_contents c USING (unit_key)
            WHERE u.location IS NOT NULL AND (%s::text IS NULL OR u.warehouse = %s)
              AND (%s::text IS NULL OR u.location = %s)
            GROUP BY u.unit_key ORDER BY u.unit_key LIMIT %s OFFSET %s""",
            (warehouse, warehouse, location, location, limit, offset)).fetchall()
    keys = ("unit_key", "epc", "sscc", "warehouse", "location", "since", "contents")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@router.get("/units/{identifier}", response_model=UnitWhere)
def get_unit(identifier: str, pool: PoolDep,
             _: Annotated[Access, guard(Permission.READ, looked_up(UNIT))]) -> dict[str, Any]:
    with pool.connection() as conn:
        unit = queries.where_is(conn, identifier)
        if unit is None:
            raise HTTPException(404, f"no handling unit with EPC or SSCC {identifier!r}")
        history = queries.moves_of_unit(conn, [unit.unit_key])  # found: no second lookup
    out = _jsonable(unit)
    out["contents"] = [_jsonable(c) for c in unit.contents]
    out["history"] = [_jsonable(h) for h in history]
    return out


@router.get("/moves", response_model=MovePage)
def list_moves(pool: PoolDep, access: Reads, start: datetime | None = None,
               end: datetime | None = None, location: str | None = None,
               lot: Annotated[str | None, Query(min_length=1, max_length=128,
                                                pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
               sku: Annotated[str | None, Query(min_length=1, max_length=128,
                                                pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
               after_seq: int = Query(0, ge=0),
               limit: int = Query(500, ge=1, le=5000)) -> dict[str, Any]:
    """Moves in time order, paged by `after_seq`. `lot` (with an optional `sku`) keeps the
    item moves of that lot; a lot the ledger never saw (in the warehouse) is 404. Pallets that
    carried it are in its trace (GET /api/v1/trace?lot=…)."""
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone (e.g. 2026-11-23T08:00:00Z)")
    lo = start or datetime(1970, 1, 1, tzinfo=UTC)
    hi = end or datetime(9999, 1, 1, tzinfo=UTC)
    with pool.connection() as conn:
        if lot is not None and not queries.lot_seen(conn, lot, sku, access.warehouse):
            raise HTTPException(404, f"lot {lot}" + (f" of {sku}" if sku else "") +
                                " is not in the ledger" + (f" of warehouse {access.warehouse}"
                                                           if access.warehouse else ""))
        rows = queries.moves_between(conn, lo, hi, warehouse=access.warehouse, location=location,
                                     lot=lot, sku=sku, after_seq=after_seq, limit=limit)
    return {"items": [_jsonable(r) for r in rows],
            "next_after_seq": rows[-1].seq if len(rows) == limit else None}


@router.get("/search", response_model=list[SearchHit])
def search(pool: PoolDep, access: Reads, q: str = Query(min_length=1, max_length=128),
           limit: int = Query(200, ge=1, le=2000)) -> list[dict]:
    """Find stock and units by SKU, GTIN, lot, EPC, SSCC or location code."""
    term, warehouse = q.strip(), access.warehouse
    with pool.connection() as conn:
        rows = conn.execute("""
            SELECT 'sku' AS kind, b.sku, b.location, b.lot, b.quantity, NULL FROM balances b
              WHERE b.sku = %(t)s
            UNION ALL SELECT 'gtin', b.sku, b.location, b.lot, b.quantity, NULL
              FROM balances b JOIN skus s ON s.sku = b.sku WHERE s.gtin = %(t)s
            UNION ALL SELECT 'lot', b.sku, b.location, b.lot, b.quantity, NULL FROM balances b
              WHERE b.lot = %(t)s AND b.lot <> ''
            UNION ALL SELECT CASE WHEN u.sscc = %(t)s THEN 'sscc' ELSE 'epc' END, NULL,
              u.location, NULL, NULL, u.unit_key FROM units u
              WHERE (u.sscc = %(t)s OR upper(u.epc) = upper(%(t)s)
                     OR u.unit_key = %(t)s) AND u.location IS NOT NULL
            UNION ALL SELECT 'location', NULL, l.code, NULL, NULL, NULL FROM locations l
              WHERE l.code = %(t)s
            LIMIT %(limit)s""", {"t": term, "limit": limit}).fetchall()
        if warehouse:
            wh = dict(conn.execute("SELECT code, warehouse FROM locations WHERE code = ANY(%s)",
                                   ([r[2] for r in rows],)).fetchall())
            rows = [r for r in rows if wh.get(r[2]) == warehouse]
    return [{"kind": k, "sku": s, "location": loc, "lot": lot,
             "quantity": float(qty) if qty is not None else None, "unit_key": unit}
            for k, s, loc, lot, qty, unit in rows]
