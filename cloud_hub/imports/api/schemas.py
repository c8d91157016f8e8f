"""The response models of the imports' routes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ImportError_(BaseModel):
    row: int | None = Field(description="the spreadsheet row (the header is row 1); null: "
                                        "the file as a whole", examples=[3])
    column: str | None = Field(examples=["gtin"])
    reason: str = Field(examples=["GTIN 4006381333932 has a wrong check digit"])


class RowFate(BaseModel):
    row: int
    fate: str = Field(description="created, updated, unchanged or error")


class ImportAnswer(BaseModel):
    kind: str = Field(examples=["skus"])
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[ImportError_]
    dry_run: bool
    import_id: int | None = Field(description="the record of a run that wrote; null for a "
                                              "dry run or a refused file")
    file_sha256: str
    fates: list[RowFate]


class ImportRecord(BaseModel):
    import_id: int
    kind: str
    file_name: str
    file_sha256: str
    user_name: str | None
    started_at: datetime
    finished_at: datetime
    rows: int
    created: int
    updated: int
    unchanged: int
    warehouses: list[str]
