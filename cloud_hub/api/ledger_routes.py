"""Stock on hand, units, the move history, posting moves, and search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from cloud_hub.api.access_resources import UNIT
from cloud_hub.api.deps import ApplyDep, PoolDep, SettingsDep
from cloud_hub.auth.api.access import IN_EVENTS, IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.ingest.isolate import apply_isolated
from cloud_hub.ingest.messages import ahead_of_clock
from cloud_hub.storage import queries
from protocol.codec import MAX_PAYLOAD_BYTES, decode_message

router = APIRouter(prefix="/api/v1", tags=["ledger"])
MAX_POST_BYTES = 16 * MAX_PAYLOAD_BYTES
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]
MAX_POST_EVENTS = 10_000


def _jsonable(row: object) -> dict[str, Any]:
    out = asdict(row)  # type: ignore[call-overload]
    for key, value in out.items():
        if hasattr(value, "as_integer_ratio") and not isinstance(value, int | float):
            out[key] = float(value)
    return out


@router.get("/stock")
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


@router.get("/stock/summary")
def stock_summary(pool: PoolDep, access: Reads, limit: int = Query(1000, ge=1, le=50_000),
                  offset: int = Query(0, ge=0)) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        rows = queries.stock_summary(conn, access.warehouse, limit, offset)
    return [{"warehouse": w, "sku": s, "on_hand": float(q)} for w, s, q in rows]


@router.get("/units")
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


@router.get("/units/{identifier}")
def get_unit(identifier: str, pool: PoolDep,
             _: Annotated[Access, guard(Permission.READ, looked_up(UNIT))]) -> dict[str, Any]:
    with pool.connection() as conn:
        unit = queries.where_is(conn, identifier)
        if unit is None:
            raise HTTPException(404, f"no handling unit with EPC or SSCC {identifier!r}")
        history = queries.unit_history(conn, unit.unit_key)
    out = _jsonable(unit)
    out["contents"] = [_jsonable(c) for c in unit.contents]
    out["history"] = [_jsonable(h) for h in history]
    return out


@router.get("/moves")
def list_moves(pool: PoolDep, access: Reads, start: datetime | None = None,
               end: datetime | None = None, location: str | None = None,
               after_seq: int = Query(0, ge=0),
               limit: int = Query(500, ge=1, le=5000)) -> dict[str, Any]:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a timezone (e.g. 2026-11-23T08:00:00Z)")
    lo = start or datetime(1970, 1, 1, tzinfo=UTC)
    hi = end or datetime(9999, 1, 1, tzinfo=UTC)
    with pool.connection() as conn:
        rows = queries.moves_between(conn, lo, hi, warehouse=access.warehouse, location=location,
                                     after_seq=after_seq, limit=limit)
    return {"items": [_jsonable(r) for r in rows],
            "next_after_seq": rows[-1].seq if len(rows) == limit else None}


@router.post("/moves")
async def post_moves(request: Request, service: ApplyDep, settings: SettingsDep,
                     access: Annotated[Access, guard(Permission.POST_MOVES, IN_EVENTS)]
                     ) -> dict[str, Any]:
    """One StockMoved, a JSON array, or {"events": [...]}: the same validation and
    idempotency as MQTT ingest. Events that fail validation, are dated beyond the hub's clock
    plus HUB_CLOCK_TOLERANCE_S, or that the ledger cannot store are reported in `invalid` by
    their index; every other event applies."""
    body = await request.body()
    if len(body) > MAX_POST_BYTES:
        raise HTTPException(413, f"body is over {MAX_POST_BYTES} bytes; send smaller batches")
    decoded = decode_message(body, max_bytes=MAX_POST_BYTES, max_events=MAX_POST_EVENTS)
    access.admit(e.warehouse for e in decoded.events)  # as decoded: what would be applied
    invalid = [{"index": r.index, "reason": r.reason} for r in decoded.rejected]
    bad = {r.index for r in decoded.rejected}
    positions = [i for i in range(len(decoded.events) + len(bad)) if i not in bad]
    now, tolerance = datetime.now(UTC), timedelta(seconds=settings.clock_tolerance_s)
    events, index_of = [], {}
    for index, event in zip(positions, decoded.events, strict=True):
        if (reason := ahead_of_clock(event, now, tolerance)) is not None:
            invalid.append({"index": index, "reason": reason})
        else:
            events.append(event)
            index_of[event.event_id] = index
    result, failed = await apply_isolated(service, events, access.name)
    invalid += [{"index": index_of[e.event_id], "reason": reason} for e, reason in failed]
    outcomes = [{"event_id": str(o.event_id), "status": o.status.value, "code": o.code,
                 "reason": o.reason} for o in result.outcomes]
    return {"applied": result.applied, "late": result.late, "rejected": result.rejected,
            "duplicates": [str(d) for d in result.duplicates],
            "invalid": sorted(invalid, key=lambda i: i["index"]), "outcomes": outcomes}


@router.get("/search")
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
