"""Gateways in PostgreSQL: what each last said of itself (status, heartbeat), and the list
supervisors read.

Rule kept here: a heartbeat never overwrites the state a status set, and a field a message
does not carry keeps its stored value; every value written was bounded by the protocol's
models before it got here (ingest.messages.gateway_row).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.ingest.messages import GatewayNews, gateway_row

GATEWAY_COLUMNS = ("warehouse", "gateway", "state", "last_heartbeat", "last_status_at",
                   "queue_depth", "info", "registered_at")


def upsert_gateway(conn: psycopg.Connection, news: GatewayNews, now: datetime) -> None:
    wh, gw, state, beat, status_at, depth, info = gateway_row(news, now)
    conn.execute("INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING", (wh,))
    conn.execute("""
        INSERT INTO gateways (warehouse, gateway, state, last_heartbeat, last_status_at,
                              queue_depth, info)
        VALUES (%s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (warehouse, gateway) DO UPDATE SET
          state = CASE WHEN EXCLUDED.last_status_at IS NOT NULL THEN EXCLUDED.state
                       ELSE gateways.state END,
          last_heartbeat = COALESCE(EXCLUDED.last_heartbeat, gateways.last_heartbeat),
          last_status_at = COALESCE(EXCLUDED.last_status_at, gateways.last_status_at),
          queue_depth = COALESCE(EXCLUDED.queue_depth, gateways.queue_depth),
          info = gateways.info || EXCLUDED.info""",
                 (wh, gw, state, beat, status_at, depth, Jsonb(info)))


def list_gateways(conn: psycopg.Connection, warehouse: str | None) -> list[dict[str, Any]]:
    """Every gateway (of `warehouse`; None: of all), by warehouse and name."""
    rows = conn.execute(
        f"SELECT {', '.join(GATEWAY_COLUMNS)} FROM gateways "
        "WHERE %s::text IS NULL OR warehouse = %s ORDER BY 1, 2", (warehouse, warehouse))
    return [dict(zip(GATEWAY_COLUMNS, r, strict=True)) for r in rows]
