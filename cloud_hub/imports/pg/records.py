"""The record of imports that wrote, newest first."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import psycopg
from psycopg.rows import dict_row


def list_imports(conn: psycopg.Connection, warehouse: str | None,
                 allowed: Collection[str] | None, limit: int, offset: int
                 ) -> list[dict[str, Any]]:
    """Imports that touched `warehouse` (None: any) and no warehouse outside `allowed` (None:
    every warehouse) — a record lists warehouses and counts, so one that also touched a
    warehouse the caller may not see is not shown. Shared data (SKUs, units, customers)
    touches none."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT import_id, kind, file_name, file_sha256, user_name, started_at, "
            "finished_at, rows, created, updated, unchanged, warehouses FROM imports "
            "WHERE (%s::text IS NULL OR warehouses = '{}' OR %s = ANY(warehouses)) "
            "AND (%s::text[] IS NULL OR warehouses <@ %s::text[]) "
            "ORDER BY import_id DESC LIMIT %s OFFSET %s",
            (warehouse, warehouse, allowed, allowed, limit, offset)).fetchall()
