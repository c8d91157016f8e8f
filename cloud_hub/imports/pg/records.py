"""The record of imports that wrote, newest first."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


def list_imports(conn: psycopg.Connection, warehouse: str | None, limit: int, offset: int
                 ) -> list[dict[str, Any]]:
    """Imports of shared data (SKUs, units, customers) and those touching `warehouse` (None:
    every import)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT import_id, kind, file_name, file_sha256, user_name, started_at, "
            "finished_at, rows, created, updated, unchanged, warehouses FROM imports "
            "WHERE %s::text IS NULL OR warehouses = '{}' OR %s = ANY(warehouses) "
            "ORDER BY import_id DESC LIMIT %s OFFSET %s",
            (warehouse, warehouse, limit, offset)).fetchall()
