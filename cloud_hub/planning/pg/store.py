"""PostgresPlanningStore: suggestions, alerts, rule sets and computed policies in the
planning_* tables (migration 201_planning.sql; recount requests: planning/pg/recount.py).

Rule kept here: state changes of a suggestion go through the pure transitions in `replenish`
(load, decide, write back under a row lock); an alert that is already open for the same rule
and subject is counted again, not raised twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from cloud_hub.planning.replenish import (
    Suggestion,
    SuggestionKind,
    SuggestionState,
    accept,
    edit,
    reject,
)
from cloud_hub.planning.rules import Action, RuleFailure

_SUGGESTION_COLS = ("kind, warehouse, sku, quantity, suggested_quantity, source, to_location, "
                    "reason, days_of_supply, stockout_date, inventory_position, reorder_point, "
                    "safety_stock, unit_cost, state, note, created_on")


class NotFound(LookupError):
    pass


def _suggestion(row: dict[str, Any]) -> Suggestion:
    return Suggestion(
        kind=SuggestionKind(row["kind"]), sku=row["sku"], warehouse=row["warehouse"],
        quantity=float(row["quantity"]), suggested_quantity=float(row["suggested_quantity"]),
        source=row["source"], reason=row["reason"], created_on=row["created_on"],
        to_location=row["to_location"], days_of_supply=row["days_of_supply"],
        stockout_date=row["stockout_date"],
        inventory_position=float(row["inventory_position"]),
        reorder_point=float(row["reorder_point"]), safety_stock=float(row["safety_stock"]),
        unit_cost=float(row["unit_cost"]), state=SuggestionState(row["state"]),
        note=row["note"], id=str(row["id"]),
    )


def _values(s: Suggestion) -> tuple[object, ...]:
    return (s.kind.value, s.warehouse, s.sku, s.quantity, s.suggested_quantity, s.source,
            s.to_location, s.reason, s.days_of_supply, s.stockout_date, s.inventory_position,
            s.reorder_point, s.safety_stock, s.unit_cost, s.state.value, s.note, s.created_on)


def save_suggestions(conn: psycopg.Connection, suggestions: Iterable[Suggestion]
                     ) -> list[Suggestion]:
    """Insert new suggestions; an open one for the same SKU, warehouse and kind is refreshed
    (a supervisor's edited quantity is kept). Returns them with their ids."""
    out: list[Suggestion] = []
    sql = (f"INSERT INTO planning_suggestions ({_SUGGESTION_COLS}) VALUES "
           f"({', '.join(['%s'] * 17)}) "
           # one open purchase/transfer suggestion per SKU and warehouse, whoever made it
           "ON CONFLICT (warehouse, sku, (kind = 'pick_face')) "
           "WHERE state IN ('proposed', 'edited') DO UPDATE SET kind = EXCLUDED.kind, "
           "to_location = EXCLUDED.to_location, unit_cost = EXCLUDED.unit_cost, "
           "quantity = CASE WHEN planning_suggestions.state = 'edited' "
           "THEN planning_suggestions.quantity ELSE EXCLUDED.quantity END, "
           "suggested_quantity = EXCLUDED.suggested_quantity, source = EXCLUDED.source, "
           "reason = EXCLUDED.reason, days_of_supply = EXCLUDED.days_of_supply, "
           "stockout_date = EXCLUDED.stockout_date, "
           "inventory_position = EXCLUDED.inventory_position, "
           "reorder_point = EXCLUDED.reorder_point, safety_stock = EXCLUDED.safety_stock "
           "RETURNING *")
    values = [_values(s) for s in suggestions]
    if not values:
        return out
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        # one pipelined batch, not a round trip per suggestion (30,000 of them: ~25 s → ~2 s)
        cur.executemany(sql, values, returning=True)
        while True:
            row = cur.fetchone()
            assert row is not None
            out.append(_suggestion(row))
            if not cur.nextset():
                break
    return out


def withdraw_unneeded(conn: psycopg.Connection, planned: Sequence[tuple[str, str]],
                      kept: Sequence[str], now: datetime) -> int:
    """Proposed purchase/transfer suggestions of `planned` series (those with stock on order
    or in transit) that the run just made did not make again are no longer needed (a PO or
    transfer was placed by hand): they are withdrawn (rejected, with a note), so nobody orders
    them twice. A suggestion a planner edited stays."""
    if not planned:
        return 0
    return conn.execute(
        "UPDATE planning_suggestions s SET state = 'rejected', decided_at = %s, decided_by = "
        "'planning', note = 'withdrawn: what is on order or in transit covers it' "
        "FROM unnest(%s::text[], %s::text[]) AS p(sku, warehouse) "
        "WHERE s.sku = p.sku AND s.warehouse = p.warehouse AND s.state = 'proposed' "
        "AND s.kind IN ('purchase', 'transfer') AND NOT s.id = ANY(%s::bigint[])",
        (now, [k[0] for k in planned], [k[1] for k in planned],
         [int(i) for i in kept])).rowcount


def list_suggestions(conn: psycopg.Connection, *, warehouse: str | None = None,
                     state: str | None = None, limit: int = 500, offset: int = 0,
                     unordered: bool = False) -> list[Suggestion]:
    """`unordered`: only those not yet turned into an order (supply's purchase orders)."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM planning_suggestions WHERE (%s::text IS NULL OR warehouse = %s)"
                    " AND (%s::text IS NULL OR state = %s) AND (NOT %s OR ordered_as IS NULL) "
                    "ORDER BY id LIMIT %s OFFSET %s",
                    (warehouse, warehouse, state, state, unordered, limit, offset))
        return [_suggestion(r) for r in cur.fetchall()]


def decide_suggestion(conn: psycopg.Connection, suggestion_id: int, decision: str, *,
                      quantity: float | None = None, note: str = "", user: str | None = None,
                      now: datetime) -> Suggestion:
    """accept / edit (with quantity) / reject, enforcing the life cycle; raises NotFound or
    SuggestionStateError."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM planning_suggestions WHERE id = %s FOR UPDATE",
                    (suggestion_id,))
        row = cur.fetchone()
        if row is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        current = _suggestion(row)
        if decision == "accept":
            new = accept(replace(current, note=note or current.note))
        elif decision == "reject":
            new = reject(current, note)
        elif decision == "edit":
            new = edit(current, float("nan") if quantity is None else quantity, note)
        else:
            raise ValueError(f"unknown decision {decision!r} (accept, edit or reject)")
        cur.execute("UPDATE planning_suggestions SET state = %s, quantity = %s, note = %s, "
                    "decided_at = %s, decided_by = %s WHERE id = %s RETURNING *",
                    (new.state.value, new.quantity, new.note, now, user, suggestion_id))
        updated = cur.fetchone()
        assert updated is not None
        return _suggestion(updated)


@dataclass(frozen=True)
class StoredAlert:
    id: int
    rule: str
    warehouse: str
    subject: str
    sku: str | None
    severity: str
    audience: str
    message: str
    facts: dict[str, object]
    raised_at: datetime
    last_seen_at: datetime
    occurrences: int
    acknowledged_at: datetime | None
    new: bool = False


def store_alert(conn: psycopg.Connection, action: Action, now: datetime) -> StoredAlert | None:
    """Open an alert, or count one more occurrence of the open alert for this rule/subject.
    None for a fact about a past event (`Fact.once`) already alerted on and acknowledged."""
    fact = action.fact
    with conn.cursor(row_factory=dict_row) as cur:
        if fact.once and cur.execute(
                "SELECT 1 FROM planning_alerts WHERE rule = %s AND warehouse = %s AND subject = "
                "%s AND acknowledged_at IS NOT NULL", (action.rule, fact.warehouse,
                                                       fact.subject)).fetchone():
            return None
        cur.execute(
            "INSERT INTO planning_alerts (rule, warehouse, subject, sku, severity, audience, "
            "message, facts, raised_at, last_seen_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            "ON CONFLICT (rule, warehouse, subject) WHERE acknowledged_at IS NULL DO UPDATE SET "
            "occurrences = planning_alerts.occurrences + 1, last_seen_at = EXCLUDED.last_seen_at,"
            " message = EXCLUDED.message, facts = EXCLUDED.facts "
            "RETURNING *, (xmax = 0) AS new",
            (action.rule, fact.warehouse, fact.subject, fact.sku, action.severity.value,
             action.target or "", action.message, Jsonb(dict(fact.values)), now, now))
        row = cur.fetchone()
    assert row is not None
    return _alert(row)


def _alert(row: dict[str, Any]) -> StoredAlert:
    return StoredAlert(row["id"], row["rule"], row["warehouse"], row["subject"], row["sku"],
                       row["severity"], row["audience"], row["message"], row["facts"],
                       row["raised_at"], row["last_seen_at"], row["occurrences"],
                       row["acknowledged_at"], bool(row.get("new", False)))


def list_alerts(conn: psycopg.Connection, *, warehouse: str | None = None,
                open_only: bool = True, limit: int = 200) -> list[StoredAlert]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM planning_alerts WHERE (%s::text IS NULL OR warehouse = %s) "
                    "AND (NOT %s OR acknowledged_at IS NULL) ORDER BY raised_at DESC, id DESC "
                    "LIMIT %s", (warehouse, warehouse, open_only, limit))
        return [_alert(r) for r in cur.fetchall()]


def acknowledge_alert(conn: psycopg.Connection, alert_id: int, user: str | None,
                      now: datetime) -> StoredAlert:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("UPDATE planning_alerts SET acknowledged_at = coalesce(acknowledged_at, %s), "
                    "acknowledged_by = coalesce(acknowledged_by, %s) WHERE id = %s RETURNING *",
                    (now, user, alert_id))
        row = cur.fetchone()
    if row is None:
        raise NotFound(f"no alert {alert_id}")
    return _alert(row)


def record_failures(conn: psycopg.Connection, failures: Sequence[RuleFailure],
                    now: datetime) -> None:
    if failures:
        conn.cursor().executemany(
            "INSERT INTO planning_rule_failures (rule, subject, error, failed_at) "
            "VALUES (%s, %s, %s, %s)", [(f.rule, f.subject, f.error, now) for f in failures])


def save_rule_set(conn: psycopg.Connection, source: str, user: str | None) -> int:
    row = conn.execute("INSERT INTO planning_rule_sets (source, created_by) VALUES (%s, %s) "
                       "RETURNING version", (source, user)).fetchone()
    assert row is not None
    return int(row[0])


def current_rule_set(conn: psycopg.Connection) -> tuple[int, str] | None:
    row = conn.execute("SELECT version, source FROM planning_rule_sets ORDER BY version DESC "
                       "LIMIT 1").fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


STATUS_COLS = ("warehouse", "sku", "pattern", "model", "demand_daily", "mae", "bias", "rmse",
               "safety_stock", "reorder_point", "max_level", "abc_class", "xyz_class",
               "computed_at")


def save_status(conn: psycopg.Connection, rows: Iterable[tuple[object, ...]]) -> int:
    """Replace the computed policy rows (tuples in STATUS_COLS order) via COPY + upsert."""
    cols = ", ".join(STATUS_COLS)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE IF NOT EXISTS planning_status_stage "
                    "(LIKE planning_status) ON COMMIT DELETE ROWS")
        with cur.copy(f"COPY planning_status_stage ({cols}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in STATUS_COLS[2:])
        cur.execute(f"INSERT INTO planning_status ({cols}) SELECT {cols} FROM "
                    f"planning_status_stage ON CONFLICT (warehouse, sku) DO UPDATE SET {updates}")
        return cur.rowcount


def load_status(conn: psycopg.Connection, warehouse: str | None = None,
                skus: Sequence[str] | None = None, limit: int = 100_000
                ) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute("SELECT * FROM planning_status WHERE (%s::text IS NULL OR warehouse = %s) "
                    "AND (%s::text[] IS NULL OR sku = ANY(%s)) ORDER BY warehouse, sku LIMIT %s",
                    (warehouse, warehouse, skus, skus, limit))
        return cur.fetchall()


