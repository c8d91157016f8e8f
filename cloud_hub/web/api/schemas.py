"""What the map's and the dashboard's data routes answer (cloud_hub.web.payloads makes them).

These routes write their JSON bytes themselves (20,000 locations must not go through per-field
encoding), so the models here describe the bodies in OpenAPI — `responses={200: {"model": …}}`
— and tests validate real bodies against them; they are never used to encode.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from cloud_hub.http.bodies import Body, Num

Cell = str | int | float | None


class MapWarehouses(Body):
    warehouses: list[str] = Field(description="warehouses with locations the caller may see")


class MapLayout(Body):
    """The floor plan: every active location as a row of values under `columns`."""

    warehouse: str
    columns: list[str] = Field(examples=[["code", "kind", "parent", "name", "x", "y", "width",
                                          "depth", "gateway", "zone_type", "capacity"]])
    rows: list[list[Cell]] = Field(examples=[[["WH1-A-01", "bin", "WH1-A", "", 1.0, 2.0, 1.2,
                                               0.8, None, None, 40]]])


class MapState(Body):
    """Where every pallet is and every balance, read at one moment."""

    warehouse: str
    as_of: datetime
    last_seq: int = Field(description="the last move applied; live messages after it are news")
    units: list[list[Cell]] = Field(
        description="pallets as [unit_key, location, since (epoch ms), worst content status]",
        examples=[[["sscc:350123451234567891", "WH1-A-01", 1764000000000, "available"]]])
    balances: list[list[Cell]] = Field(
        description="balances as [location, sku, lot, status, quantity]",
        examples=[[["WH1-A-01", "SKU-1", "L1", "available", 12]]])


class MapLocationInfo(Body):
    code: str
    warehouse: str
    kind: str
    parent: str | None
    name: str
    x: float | None
    y: float | None
    width: float | None
    depth: float | None
    capacity: Num | None
    attributes: dict[str, Any]
    active: bool


class Holding(Body):
    sku: str
    lot: str
    status: str
    quantity: Num


class MapUnit(Body):
    unit_key: str
    epc: str | None
    sscc: str | None
    location: str | None
    since: datetime | None
    contents: list[Holding]


class MapMove(Body):
    seq: int
    event_id: str
    occurred_at: datetime
    received_at: datetime
    source_kind: str
    device_id: str
    unit_key: str | None
    sku: str | None
    lot: str | None
    quantity: Num | None
    from_location: str | None
    to_location: str | None
    reason: str
    user_id: str | None
    applied_by: str | None
    outcome: str
    note: str | None


class MapLocation(Body):
    location: MapLocationInfo
    scope: Literal["here", "below"] = Field(
        description="below: a zone, aisle, rack or area, with everything under it")
    contents: list[Holding]
    units: list[MapUnit]
    moves: list[MapMove] = Field(description="the last moves in or out, newest first")


class FindHit(Body):
    kind: Literal["sku", "gtin", "lot", "serial", "epc", "sscc", "location"]
    match: str = Field(description="what matched the query")
    location: str | None
    unit_key: str | None
    sku: str | None
    lot: str | None
    status: str | None
    quantity: Num | None
    expiry: str | None = Field(description="the lot's expiry in the lot master (YYYY-MM-DD)")


class MapFind(Body):
    query: str
    hits: list[FindHit]
    truncated: bool = Field(description="true when more hits exist than were sent")


class MovesBySource(Body):
    start: datetime
    end: datetime
    bucket_s: float
    series: dict[str, list[int]] = Field(description="moves per time bucket, per source kind")
    totals: dict[str, int]
    outcomes: dict[str, int] = Field(description="moves per outcome (applied, rejected, …)")


class OpenTasks(Body):
    available: bool = Field(description="false when the work tables do not exist")
    by_kind: dict[str, dict[str, int]] = Field(description="open tasks per kind, per state")


class RecentRejected(Body):
    event_id: str
    received_at: datetime
    code: str
    reason: str


class Rejected(Body):
    open: int
    by_code: dict[str, int]
    recent: list[RecentRejected]


class RecentLetter(Body):
    id: int
    received_at: datetime
    topic: str
    warehouse: str | None
    reason: str


class Letters(Body):
    open: int
    recent: list[RecentLetter]


class Waiting(Body):
    rejected: Rejected
    dead_letters: Letters


class DashboardAlert(Body):
    id: int
    rule: str
    warehouse: str
    subject: str
    sku: str | None
    severity: str
    message: str
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int


class OpenAlerts(Body):
    available: bool = Field(description="false when the planning tables do not exist")
    by_severity: dict[str, int]
    items: list[DashboardAlert]


class ReaderClock(Body):
    gateway: str
    gateway_state: str
    reader: str
    state: Literal["unknown", "ok", "offset", "uptime", "jumped"]
    kind: Literal["utc", "uptime"] | None
    offset_s: float | None
    jumps: int


class ReaderClocks(Body):
    readers: list[ReaderClock] = Field(description="wrong clocks first")
    wrong: int


class DashboardSummary(Body):
    warehouse: str | None
    as_of: datetime
    moves: MovesBySource
    tasks: OpenTasks
    waiting: Waiting
    alerts: OpenAlerts
    gateways: dict[str, int] = Field(description="gateways per state")
    reader_clocks: ReaderClocks
