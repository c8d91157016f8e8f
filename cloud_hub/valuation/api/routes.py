"""GET /api/v1/valuation/stock and /api/v1/valuation/report: what the stock is worth, now or at
a past time, and the period's 收发存 (opening, receipts, issues, closing) as JSON, CSV or XLSX.

Rule kept here: every answer goes through cloud_hub.auth.costs — callers who may not see costs
get the same answer without its cost fields (absent, not null), in JSON, CSV and XLSX.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response, StreamingResponse

from cloud_hub.auth.api.access import IN_QUERY, Access, guard
from cloud_hub.auth.costs import shown, shown_columns
from cloud_hub.auth.roles import Permission
from cloud_hub.exports.formats import Cell, xlsx_chunks
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.valuation.api.paging import cursor_of, key_of
from cloud_hub.valuation.api.schemas import Cogs, PeriodReport, ReportMoves, Reviews, StockValue
from cloud_hub.valuation.model import cents
from cloud_hub.valuation.periods import Period, bounds
from cloud_hub.valuation.pg import drill
from cloud_hub.valuation.pg.reports import (
    REPORT_COLUMNS,
    freshness,
    midnight,
    period_report,
    reviews,
    stock_value,
)

router = APIRouter(prefix="/api/v1/valuation", tags=["valuation"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY)]
On = Annotated[date | None, Query(description="a day in the period (default: today, UTC)")]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to", description="exclusive")]
Limit = Annotated[int, Query(ge=1, le=10_000)]
Cursor = Annotated[str | None, Query(max_length=2048, description="a page's `next`")]
Text = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = frozenset({"value", "opening_value", "receipts_value", "issues_value", "closing_value",
                   "cogs", "unit_cost"})


def _number(name: str, value: object) -> object:
    if not isinstance(value, Decimal):
        return value
    return float(cents(value)) if name in MONEY else float(value)


def _cell(name: str, value: Cell) -> Cell:
    if isinstance(value, Decimal):
        return float(cents(value)) if name in MONEY else float(value)
    return value


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _number(k, v) for k, v in row.items()}


@router.get("/stock", response_model=StockValue, response_model_exclude_unset=True)
def stock(pool: PoolDep, access: Reads, settings: SettingsDep, sku: Text = None,
          lot: Text = None, by: Literal["sku", "lot"] = "sku",
          as_of: Annotated[datetime | None, Query(description="ISO 8601 with zone; absent: now")]
          = None) -> Any:
    """Quantity and value per warehouse and SKU (or lot, `by=lot`), now or `as_of` a past time.
    By lot, a lot's value is what its moves brought in less what they took out under the
    method (FIFO takes the SKU's oldest layer whatever the lot)."""
    if as_of is not None and as_of.tzinfo is None:
        raise HTTPException(422, "as_of needs a time zone (e.g. 2026-03-31T23:59:59Z)")
    with pool.connection() as conn:
        rows = stock_value(conn, warehouse=access.warehouse, sku=sku, lot=lot,
                           by_lot=by == "lot", as_of=as_of)
        fresh = freshness(conn)
        method = conn.execute("SELECT method FROM valuation_state").fetchone()
    total = sum((r["value"] for r in rows), Decimal(0))
    body = {"as_of": as_of, "base_currency": settings.base_currency,
            "method": method[0] if method else None,
            "valued_through_seq": fresh.valued_through_seq, "lag_moves": fresh.lag_moves,
            "positions": [_json(r) for r in rows], "value": float(cents(total))}
    return shown(body, access.principal.roles)


@router.get("/report", response_model=None, responses={200: {
    "model": PeriodReport, "description": "the report as JSON, or as CSV (?format=csv) or XLSX "
                                          "(?format=xlsx)",
    "content": {"text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def report(pool: PoolDep, access: Reads, settings: SettingsDep, sku: Text = None,
           period: Period = Period.MONTH, on: On = None, start: From = None, end: To = None,
           format: Literal["json", "csv", "xlsx"] = "json") -> Response:
    """收发存 per warehouse and SKU for a period (`period` day/week/month holding `on`, or
    `from`..`to`): opening, receipts, issues and closing, in quantity and value."""
    start, end = _window(period, on, start, end)
    with pool.connection() as conn:
        rows = period_report(conn, warehouse=access.warehouse, sku=sku, start=start, end=end)
        fresh = freshness(conn)
    roles = access.principal.roles
    name = f"valuation-{start.isoformat()}-{end.isoformat()}.{format}"
    if format == "xlsx":
        columns = shown_columns(REPORT_COLUMNS, roles)
        cells = ([_cell(c, row[c]) for c in columns] for row in rows)
        return StreamingResponse(xlsx_chunks("valuation", columns, cells), media_type=XLSX,
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{name}"'})
    if format == "csv":
        columns = shown_columns(REPORT_COLUMNS, roles)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv(c, row[c]) for c in columns])
        return Response(out.getvalue(), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{name}"'})
    body = {"start": start.isoformat(), "end": end.isoformat(),
            "base_currency": settings.base_currency,
            "valued_through_seq": fresh.valued_through_seq, "lag_moves": fresh.lag_moves,
            "rows": [_json(r) for r in rows]}
    return Response(PeriodReport.model_validate(shown(body, roles)).model_dump_json(
        exclude_unset=True), media_type="application/json")


@router.get("/report/moves", response_model=ReportMoves, response_model_exclude_unset=True)
def report_moves(pool: PoolDep, access: Reads,
                 sku: Annotated[str, Query(min_length=1, max_length=128,
                                           pattern=r"^[^\x00-\x1f\x7f]+$")],
                 period: Period = Period.MONTH, on: On = None, start: From = None,
                 end: To = None, cursor: Cursor = None, limit: Limit = 500) -> Any:
    """The moves behind a report row (warehouse and SKU, same period): what each did to the
    quantity and value, in date order, paged. They add up to the row's closing − opening."""
    start, end = _window(period, on, start, end)
    with pool.connection() as conn:
        rows = drill.report_moves(conn, warehouse=access.warehouse, sku=sku,
                                  start=midnight(start), end=midnight(end),
                                  after=key_of(cursor), limit=limit + 1)
        fresh = freshness(conn)
    page = rows[:limit]
    body = {"start": start, "end": end, "sku": sku,
            "valued_through_seq": fresh.valued_through_seq, "lag_moves": fresh.lag_moves,
            "moves": [_json({**r, "event_id": _text(r["event_id"])}) for r in page],
            "next": _next(page) if len(rows) > limit else None}
    return shown(body, access.principal.roles)


@router.get("/cogs", response_model=Cogs, response_model_exclude_unset=True)
def cost_of_goods(pool: PoolDep, access: Reads, settings: SettingsDep,
                  order: Annotated[str | None, Query(min_length=1, max_length=128,
                                                     pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
                  sku: Text = None, period: Period = Period.MONTH, on: On = None,
                  start: From = None, end: To = None, cursor: Cursor = None,
                  limit: Limit = 500) -> Any:
    """The cost of goods issued (COGS) per shipment move and per order, in a period (`period`
    holding `on`, or `from`..`to`), or of one `order` (over all time unless from/to are given).
    An order is found through its shipment moves (task `ship:<order_id>`)."""
    window: tuple[date, date] | tuple[None, None] = (None, None)
    if order is None or start is not None or end is not None or on is not None:
        window = _window(period, on, start, end)
    first, last = window
    with pool.connection() as conn:
        totals, orders, shipments = drill.cogs(
            conn, warehouse=access.warehouse, sku=sku, order=order,
            start=None if first is None else midnight(first),
            end=None if last is None else midnight(last), after=key_of(cursor),
            limit=limit + 1)
        fresh = freshness(conn)
    page = shipments[:limit]
    body = {"start": first, "end": last, "order_id": order,
            "base_currency": settings.base_currency,
            "valued_through_seq": fresh.valued_through_seq, "lag_moves": fresh.lag_moves,
            "shipments_count": totals["shipments"], "quantity": float(totals["quantity"]),
            "cogs": float(cents(totals["cogs"])), "orders": [_json(o) for o in orders],
            "shipments": [_json({**r, "event_id": _text(r["event_id"])}) for r in page],
            "next": _next(page) if len(shipments) > limit else None}
    return shown(body, access.principal.roles)


def _window(period: Period, on: date | None, start: date | None, end: date | None
            ) -> tuple[date, date]:
    """[from, to) from the query: both of from/to, or the period holding `on` (today, UTC)."""
    if (start is None) != (end is None):
        raise HTTPException(422, "give both from and to, or neither (then period and on)")
    if start is None or end is None:
        start, end = bounds(period, on or datetime.now(UTC).date())
    if end <= start:
        raise HTTPException(422, "to must be after from")
    return start, end


def _next(page: list[dict[str, Any]]) -> str:
    last = page[-1]
    return cursor_of((last["occurred_at"], last["move_seq"], last["warehouse"], last["sku"]))


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@router.get("/reviews", response_model=Reviews, response_model_exclude_unset=True)
def review_list(pool: PoolDep, access: Reads,
                limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> Any:
    """What the valuation asks a person to look at, newest first: receipts valued without a
    cost of their own, goods issued beyond the valued quantity (valued at the last cost), and
    moves it could not value."""
    with pool.connection() as conn:
        rows = reviews(conn, warehouse=access.warehouse, limit=limit)
    return shown({"reviews": [_json(r) for r in rows]}, access.principal.roles)


def _csv(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{cents(value):f}" if name in MONEY else f"{value.normalize():f}"
    return str(value)
