"""The things routes look up by id, and the warehouse each belongs to: what access.guard checks
before a route may touch one.

Rule kept here: the lookup reads the id exactly as the route will (a unit by SSCC, EPC or key,
as queries.where_is does); an id that cannot be one is simply not found.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import psycopg

from cloud_hub.storage.queries import where_is

Found = tuple[bool, str | None]  # (exists, its warehouse; None: it belongs to no warehouse)


@dataclass(frozen=True, slots=True)
class Resource:
    name: str
    param: str  # the path parameter holding its id
    find: Callable[[psycopg.Connection, str], Found]


def _sql(query: str, parse: Callable[[str], object] = str) -> Callable[[psycopg.Connection, str],
                                                                        Found]:
    def find(conn: psycopg.Connection, key: str) -> Found:
        try:
            value = parse(key)
        except ValueError:
            return False, None
        row = conn.execute(query, (value,)).fetchone()
        return (False, None) if row is None else (True, row[0])
    return find


def _int(key: str) -> int:
    value = int(key)
    if not -2**63 <= value < 2**63:
        raise ValueError(key)
    return value


def _unit(conn: psycopg.Connection, key: str) -> Found:
    unit = where_is(conn, key)
    return (False, None) if unit is None else (True, unit.warehouse)


TASK = Resource("task", "task_id", _sql("SELECT warehouse FROM work_tasks WHERE task_id = %s"))
RECEIPT = Resource("receipt", "receipt_id",
                   _sql("SELECT warehouse FROM work_receipts WHERE receipt_id = %s"))
ORDER = Resource("order", "order_id",
                 _sql("SELECT warehouse FROM work_orders WHERE order_id = %s"))
LOCATION = Resource("location", "code", _sql("SELECT warehouse FROM locations WHERE code = %s"))
UNIT = Resource("unit", "identifier", _unit)
REJECTED_MOVE = Resource("rejected_move", "event_id", _sql(
    "SELECT warehouse FROM rejected_moves WHERE event_id = %s", uuid.UUID))
DEAD_LETTER = Resource("dead_letter", "letter_id", _sql(
    "SELECT warehouse FROM dead_letters WHERE id = %s", _int))
SUGGESTION = Resource("suggestion", "suggestion_id", _sql(
    "SELECT warehouse FROM planning_suggestions WHERE id = %s", _int))
ALERT = Resource("alert", "alert_id", _sql(
    "SELECT warehouse FROM planning_alerts WHERE id = %s", _int))
