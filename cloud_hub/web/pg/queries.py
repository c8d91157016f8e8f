"""Read-side SQL for the map and the dashboard, over the ledger's tables (001_ledger.sql) and,
when those packages' migrations are present, work_tasks (101) and planning_alerts (201).

Rule kept here: reads never lock and every list is bounded; the map's snapshot (pallets,
balances, last seq) is read in one REPEATABLE READ transaction so it is one moment.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg

from cloud_hub.catalog.pg.tree import SUBTREE_SQL
from cloud_hub.web.payloads import LAYOUT_COLUMNS, iso, number

MOVE_COLUMNS = ("seq", "event_id", "occurred_at", "received_at", "source_kind", "device_id",
                "unit_key", "sku", "lot", "quantity", "from_location", "to_location", "reason",
                "user_id", "applied_by", "outcome", "note")
WORST_STATUS = ("CASE WHEN bool_or(c.status = 'recalled') THEN 'recalled' "
                "WHEN bool_or(c.status = 'damaged') THEN 'damaged' "
                "WHEN bool_or(c.status = 'quarantine') THEN 'quarantine' ELSE 'available' END")
CONTAINERS = ("zone", "aisle", "rack", "area")
OPEN_TASK_STATES = ("open", "claimed", "in_progress")


def table_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
    return bool(row and row[0])


def warehouses(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT DISTINCT warehouse FROM locations WHERE active ORDER BY 1")]


def layout_json(conn: psycopg.Connection, warehouse: str) -> str:
    """Every active location of a warehouse as a JSON array of layout rows
    (payloads.LAYOUT_COLUMNS), built by PostgreSQL: 20,000 rows never become Python objects."""
    row = conn.execute(
        "SELECT coalesce(json_agg(json_build_array(code, kind, parent, name, x, y, width, depth, "
        "nullif(attributes->>'gateway', ''), nullif(attributes->>'zone_type', ''), capacity) "
        "ORDER BY code), '[]')::text FROM locations WHERE warehouse = %s AND active",
        (warehouse,)).fetchone()
    return row[0] if row else "[]"


def map_state_json(conn: psycopg.Connection, warehouse: str, now: datetime) -> str:
    """Pallets [unit_key, location, since epoch ms, worst content status], balances
    [location, sku, lot, status, quantity] and the last move seq, read at one moment."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        units = conn.execute(
            "SELECT coalesce(json_agg(json_build_array(unit_key, location, since_ms, status)), "
            f"'[]')::text FROM (SELECT u.unit_key, u.location, "
            f"(extract(epoch FROM u.since) * 1000)::bigint AS since_ms, {WORST_STATUS} AS status "
            "FROM units u LEFT JOIN unit_contents c USING (unit_key) WHERE u.warehouse = %s "
            "AND u.location IS NOT NULL GROUP BY u.unit_key) p", (warehouse,)).fetchone()
        balances = conn.execute(
            "SELECT coalesce(json_agg(json_build_array(location, sku, lot, status, quantity)), "
            "'[]')::text FROM balances WHERE warehouse = %s AND quantity > 0",
            (warehouse,)).fetchone()
        seq = conn.execute("SELECT coalesce(max(seq), 0) FROM moves").fetchone()
    return (f'{{"warehouse":{json.dumps(warehouse)},"as_of":{json.dumps(iso(now))},'
            f'"last_seq":{seq[0] if seq else 0},"units":{units[0] if units else "[]"},'
            f'"balances":{balances[0] if balances else "[]"}}}')


def _move_dict(row: tuple[Any, ...]) -> dict[str, object]:
    out = dict(zip(MOVE_COLUMNS, row, strict=True))
    out["event_id"] = str(out["event_id"])
    out["occurred_at"], out["received_at"] = iso(out["occurred_at"]), iso(out["received_at"])
    out["quantity"] = number(out["quantity"])
    return out


def _subtree(conn: psycopg.Connection, code: str) -> list[str]:
    return [r[0] for r in conn.execute(SUBTREE_SQL, (code,))]


def location_detail(conn: psycopg.Connection, code: str,
                    moves_limit: int = 20) -> dict[str, object] | None:
    """A location with what it holds (for a zone/rack/aisle/area: everything below it), the
    pallets there and its last moves, each with who or what made it."""
    row = conn.execute(
        "SELECT code, warehouse, kind, parent, name, x, y, width, depth, capacity, attributes, "
        "active FROM locations WHERE code = %s", (code,)).fetchone()
    if row is None:
        return None
    keys = ("code", "warehouse", "kind", "parent", "name", "x", "y", "width", "depth",
            "capacity", "attributes", "active")
    location = dict(zip(keys, row, strict=True))
    location["capacity"] = number(location["capacity"])  # type: ignore[arg-type]
    places = _subtree(conn, code) if location["kind"] in CONTAINERS else [code]
    contents = [{"sku": s, "lot": lot, "status": st, "quantity": number(q)} for s, lot, st, q in
                conn.execute("SELECT sku, lot, status, sum(quantity) FROM balances WHERE "
                             "location = ANY(%s) AND quantity > 0 GROUP BY 1, 2, 3 "
                             "ORDER BY 1, 2, 3 LIMIT 500", (places,))]
    units = [{"unit_key": k, "epc": epc, "sscc": sscc, "location": loc, "since": iso(since),
              "contents": c or []} for k, epc, sscc, loc, since, c in conn.execute(
        "SELECT u.unit_key, u.epc, u.sscc, u.location, u.since, json_agg(json_build_object("
        "'sku', c.sku, 'lot', c.lot, 'status', c.status, 'quantity', c.quantity) "
        "ORDER BY c.sku, c.lot) FILTER (WHERE c.sku IS NOT NULL) FROM units u "
        "LEFT JOIN unit_contents c USING (unit_key) WHERE u.location = ANY(%s) "
        "GROUP BY u.unit_key ORDER BY u.since DESC LIMIT 200", (places,))]
    cols = ", ".join(MOVE_COLUMNS)
    moves = [_move_dict(r) for r in conn.execute(
        f"SELECT {cols} FROM ((SELECT {cols} FROM moves WHERE from_location = ANY(%(p)s) "
        "ORDER BY occurred_at DESC LIMIT %(n)s) UNION (SELECT "
        f"{cols} FROM moves WHERE to_location = ANY(%(p)s) ORDER BY occurred_at DESC "
        "LIMIT %(n)s)) m ORDER BY occurred_at DESC, seq DESC LIMIT %(n)s",
        {"p": places, "n": moves_limit})]
    return {"location": location, "scope": "below" if len(places) > 1 else "here",
            "contents": contents, "units": units, "moves": moves}


def layout_envelope(warehouse: str, rows_json: str) -> str:
    """payloads.layout_payload's shape around rows already serialised by PostgreSQL."""
    return (f'{{"warehouse":{json.dumps(warehouse)},"columns":{json.dumps(list(LAYOUT_COLUMNS))},'
            f'"rows":{rows_json}}}')
