"""GET /api/v1/exports/{stock|moves|lots|counts|suggestions}?format=csv|xlsx — what a manager
downloads to a spreadsheet, streamed (a year of moves never sits in the hub's memory).

Rule kept here: an export is scoped like the reads it copies (a warehouse, or every warehouse
of the caller's); suggestions carry costs and plans, so they need the planning permission.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse
from psycopg_pool import ConnectionPool

from cloud_hub.auth.api.access import IN_QUERY, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.exports.formats import csv_chunks, xlsx_chunks
from cloud_hub.exports.pg.queries import EXPORTS, rows
from cloud_hub.http.deps import PoolDep

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]
Plans = Annotated[Access, guard(Permission.PLAN, IN_QUERY)]
Format = Literal["csv", "xlsx"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX}
FILE = {200: {"description": "the export, streamed", "content": {
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}}}}}
Sku = Annotated[str | None, Query(min_length=1, max_length=128)]
Since = Annotated[datetime | None, Query(description="from (inclusive), with a time zone")]
Until = Annotated[datetime | None, Query(description="until (exclusive), with a time zone")]


def _stream(pool: ConnectionPool, kind: str, fmt: Format, warehouse: str | None,
            sku: str | None, start: datetime | None, end: datetime | None
            ) -> StreamingResponse:
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise HTTPException(422, f"{name} needs a time zone (e.g. 2026-11-23T08:00:00Z)")
    export = EXPORTS[kind]

    def chunks() -> Iterator[bytes]:
        with pool.connection() as conn:
            found = rows(conn, kind, warehouse=warehouse, sku=sku, start=start, end=end)
            if fmt == "csv":
                yield from csv_chunks(export.header, found)
            else:
                yield from xlsx_chunks(export.sheet, export.header, found)

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    name = f"{kind}-{warehouse or 'all'}-{stamp}.{fmt}"
    return StreamingResponse(chunks(), media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/suggestions", response_class=StreamingResponse, responses=FILE)  # type: ignore[arg-type]
def export_suggestions(pool: PoolDep, access: Plans, format: Format = "csv", sku: Sku = None
                       ) -> StreamingResponse:
    return _stream(pool, "suggestions", format, access.warehouse, sku, None, None)


@router.get("/{kind}", response_class=StreamingResponse, responses=FILE)  # type: ignore[arg-type]
def export(kind: Literal["stock", "moves", "lots", "counts"], pool: PoolDep, access: Reads,
           format: Format = "csv", sku: Sku = None, start: Since = None, end: Until = None
           ) -> StreamingResponse:
    return _stream(pool, kind, format, access.warehouse, sku, start, end)
