"""GET /api/v1/changes?after=<cursor>: the ledger's change feed, the pull alternative to
webhooks — gap-free, in seq order, resumable from any cursor it gave (cloud_hub/ledger/pg/
changes.py says why no page ever skips a move that commits later)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from cloud_hub.auth.api.access import IN_QUERY, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.schemas import ChangePageOut
from cloud_hub.ledger.pg.changes import MAX_PAGE, CursorAhead, read_changes

router = APIRouter(prefix="/api/v1", tags=["ledger"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]
Cursor = Annotated[str, Query(pattern=r"^[0-9]{1,18}$", description=(
    "the `next` of the last page read; 0 (the default) starts at the first move"))]


@router.get("/changes", response_model=ChangePageOut)
def changes(pool: PoolDep, access: Reads, after: Cursor = "0",
            limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1000) -> dict[str, Any]:
    with pool.connection() as conn:
        try:
            page = read_changes(conn, int(after), warehouse=access.warehouse, limit=limit)
        except CursorAhead as exc:
            raise HTTPException(409, str(exc)) from None
    return {"moves": [asdict(m) for m in page.moves],
            "balances": [asdict(b) for b in page.balances],
            "units": [asdict(u) for u in page.units],
            "next": str(page.next_cursor), "more": page.more, "settled": page.settled}
