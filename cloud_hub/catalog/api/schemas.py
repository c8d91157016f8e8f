"""What the catalog's routes answer: locations, SKUs, counts written and a CSV import's report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from cloud_hub.catalog.rows import Kind
from cloud_hub.http.bodies import Body, DecimalText


class _Location(Body):

    code: str = Field(examples=["WH1-A-01-02"])
    warehouse: str = Field(examples=["WH1"])
    kind: Kind
    parent: str | None = Field(description="the enclosing location's code; null at the top")
    name: str
    x: float | None = Field(description="map position (metres) of the location's corner")
    y: float | None
    width: float | None
    depth: float | None
    attributes: dict[str, Any] = Field(description="free-form attributes the client stored")
    active: bool = Field(description="false once deactivated (it was in use when deleted)")


class LocationOut(_Location):
    """A stored location."""

    capacity: float | None = Field(description="how much the location holds; null: no limit")


class LocationWritten(_Location):
    """The location as the PUT stored it; its capacity is echoed as the decimal string sent."""

    capacity: str | None = Field(description="how much the location holds; null: no limit",
                                 examples=["12.5"])


class Written(Body):
    written: int = Field(description="how many rows were inserted or updated")


class LocationRemoved(Body):
    code: str
    result: Literal["deleted", "deactivated"] = Field(
        description="deactivated when moves, stock or children still refer to it")


class RowErrorOut(Body):
    line: int = Field(description="the CSV line (the header is line 1)")
    code: str | None = Field(description="the location code the row names, when it has one")
    column: str | None = Field(description="the column at fault; null: the row as a whole")
    error: str


class LocationImport(Body):
    """A CSV import's report: rows written, and every refused row with its reason."""

    written: int
    rejected: int = Field(description="how many rows were refused")
    errors: list[RowErrorOut] = Field(description="the first 1000 refused rows, by line")
    errors_truncated: bool = Field(description="true when more rows were refused than listed")


class SkuOut(Body):
    sku: str = Field(examples=["SKU-1001"])
    gtin: str | None = Field(examples=["09506000134352"])
    description: str
    uom: str = Field(examples=["EA"])
    category: str | None
    unit_value: DecimalText | None = Field(description="value of one unit, for valuation")
