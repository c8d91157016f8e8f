"""GET /api/v1/epcis/events: a slice of the ledger as a streamed EPCIS 2.0 document."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import chain
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from cloud_hub.auth.api.access import IN_QUERY_REQUIRED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.epcis.api.schemas import EpcisDocument
from cloud_hub.epcis.pg.export import export
from cloud_hub.epcis.query import MAX_TEXT, QueryError, parse_query
from cloud_hub.http.deps import PoolDep

router = APIRouter(prefix="/api/v1/epcis", tags=["epcis"])
Reads = Annotated[Access, guard(Permission.READ, IN_QUERY_REQUIRED)]
MEDIA = "application/ld+json"


class EpcisJson(JSONResponse):
    media_type = MEDIA


def _param(alias: str, what: str) -> object:
    """One query parameter, at most MAX_TEXT characters a value: a longer list is the parameter
    repeated (each read), so no request line grows past what the HTTP server accepts (about
    128 KiB: beyond it the connection is cut, not answered)."""
    return Query(alias=alias, max_length=MAX_TEXT, description=what)


def creation_date(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@router.get("/events", response_class=EpcisJson, response_model=None, responses={200: {
    "model": EpcisDocument, "description": "an EPCIS 2.0 document (JSON-LD), streamed"}})
def epcis_events(
    request: Request, pool: PoolDep, access: Reads,
    event_type: Annotated[str | None, _param(
        "eventType", "ObjectEvent, AggregationEvent (comma-separated or repeated)")] = None,
    ge_event_time: Annotated[str | None, _param(
        "GE_eventTime", "events at or after this time (ISO 8601 with zone)")] = None,
    lt_event_time: Annotated[str | None, _param(
        "LT_eventTime", "events before this time (ISO 8601 with zone)")] = None,
    match_epc: Annotated[str | None, _param(
        "MATCH_epc", "an EPC URI in the event's epcList (a unit's SSCC, a serial)")] = None,
    match_any_epc: Annotated[str | None, _param(
        "MATCH_anyEPC", "an EPC URI in epcList, parentID or childEPCs")] = None,
    eq_biz_step: Annotated[str | None, _param(
        "EQ_bizStep", "CBV bizStep, e.g. receiving, picking, packing, shipping")] = None,
    eq_biz_location: Annotated[str | None, _param(
        "EQ_bizLocation", "a location URI (urn:stockpulse:loc:<warehouse>:<code> or SGLN)")
    ] = None,
    lot: Annotated[str | None, _param("lot", "only moves of this lot's quantities")] = None,
) -> StreamingResponse:
    """The moves of one warehouse as EPCIS events, filtered by a subset of the EPCIS 2.0 query
    parameters; an unknown parameter is refused (400) rather than ignored."""
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    try:
        query = parse_query(params, access.warehouse or "")
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from None
    pieces = export(pool.connection, query, creation_date(datetime.now(UTC)))
    head = next(pieces)  # reads the first page: its errors are problem+json, not a cut body
    return StreamingResponse(chain((head,), pieces), media_type=MEDIA)
