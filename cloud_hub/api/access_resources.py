"""The things routes look up by id, and the warehouse each belongs to (temporary home while
the features move: each Resource goes beside its feature's routes)."""

from __future__ import annotations

import uuid

import psycopg

from cloud_hub.auth.api.access import Found, Resource, bigint, by_sql
from cloud_hub.storage.queries import where_is


def _unit(conn: psycopg.Connection, key: str) -> Found:
    unit = where_is(conn, key)
    return (False, None) if unit is None else (True, unit.warehouse)


TASK = Resource("task", "task_id", by_sql("SELECT warehouse FROM work_tasks WHERE task_id = %s"))
RECEIPT = Resource("receipt", "receipt_id",
                   by_sql("SELECT warehouse FROM work_receipts WHERE receipt_id = %s"))
ORDER = Resource("order", "order_id",
                 by_sql("SELECT warehouse FROM work_orders WHERE order_id = %s"))
UNIT = Resource("unit", "identifier", _unit)
REJECTED_MOVE = Resource("rejected_move", "event_id", by_sql(
    "SELECT warehouse FROM rejected_moves WHERE event_id = %s", uuid.UUID))
DEAD_LETTER = Resource("dead_letter", "letter_id", by_sql(
    "SELECT warehouse FROM dead_letters WHERE id = %s", bigint))
SUGGESTION = Resource("suggestion", "suggestion_id", by_sql(
    "SELECT warehouse FROM planning_suggestions WHERE id = %s", bigint))
ALERT = Resource("alert", "alert_id", by_sql(
    "SELECT warehouse FROM planning_alerts WHERE id = %s", bigint))
