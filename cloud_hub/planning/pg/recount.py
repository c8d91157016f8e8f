"""The `schedule_recount` action: real cycle-count tasks (cloud_hub/work counts) for what a
rule fired on, which the PDA's count flow picks up like any other count.

Rule kept here: one open request per rule subject (planning_recount_requests) — while its
count tasks are open, the rule firing again adds nothing; once they are all finished the
request is done and the next firing schedules a new count. A fact about a past event (a
count: `Fact.once`) is recounted once, never again.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from cloud_hub.planning.rules import Action
from cloud_hub.work.counts import CountRequest
from cloud_hub.work.pg.counts import create_count_task

MAX_LOCATIONS = 20  # a SKU in more places than this: count the first 20, say so
PRIORITY = 5  # above scheduled class counts (0), below counts after a short pick (10)
_FINISHED = ("done", "cancelled", "skipped")


def schedule(conn: psycopg.Connection, action: Action, now: datetime) -> str:
    """Create the count tasks for `action` (or say why not); the dispatch report's detail."""
    fact = action.fact
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:recount:' || %s || "
                     "'/' || %s))", (fact.warehouse, fact.subject))
        busy = _open_request(conn, fact.warehouse, fact.subject, now)
        if busy is not None:
            return busy
        if fact.once and conn.execute(
                "SELECT 1 FROM planning_recount_requests WHERE warehouse = %s AND subject = %s",
                (fact.warehouse, fact.subject)).fetchone():
            return "recount already done for this count"
        places = _places(conn, action)
        if not places:
            return f"skipped: no stock of {fact.sku} in {fact.warehouse} to count"
        row = conn.execute(
            "INSERT INTO planning_recount_requests (warehouse, subject, sku, rule, "
            "requested_at) VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (fact.warehouse, fact.subject, fact.sku, action.rule, now)).fetchone()
        assert row is not None
        made = [task for i, loc in enumerate(places[:MAX_LOCATIONS], start=1)
                if (task := create_count_task(
                    conn, task_id=f"recount-{row[0]}-{i}", warehouse=fact.warehouse,
                    request=CountRequest(loc, fact.sku, f"rule:{action.rule}"), blind=True,
                    now=now, priority=PRIORITY)) is not None]
        conn.execute("UPDATE planning_recount_requests SET task_ids = %s WHERE id = %s",
                     (made, row[0]))
    more = f" (first {MAX_LOCATIONS} of {len(places)} locations)" \
        if len(places) > MAX_LOCATIONS else ""
    return f"count task(s) {', '.join(made)} created{more}"


def _open_request(conn: psycopg.Connection, warehouse: str, subject: str,
                  now: datetime) -> str | None:
    """The open request's tasks still to do (a reason to add nothing), or None after
    closing a request whose tasks are all finished."""
    row = conn.execute("SELECT id, task_ids FROM planning_recount_requests WHERE warehouse = %s"
                       " AND subject = %s AND done_at IS NULL", (warehouse, subject)).fetchone()
    if row is None:
        return None
    request_id, task_ids = row
    left = [t for (t,) in conn.execute(
        "SELECT task_id FROM work_tasks WHERE task_id = ANY(%s) AND state <> ALL(%s) "
        "ORDER BY task_id", (list(task_ids), list(_FINISHED)))]
    if left:
        return f"recount already scheduled: {', '.join(left)} still open"
    conn.execute("UPDATE planning_recount_requests SET done_at = %s WHERE id = %s",
                 (now, request_id))
    return None


def _places(conn: psycopg.Connection, action: Action) -> list[str]:
    """Where to count: the counted place of a count fact, where the lot lies for a lot fact,
    every location holding the SKU for a SKU fact."""
    fact = action.fact
    kind, _, rest = fact.subject.partition(":")
    if kind == "count":
        task_id, _, step_id = rest.rpartition("/")
        row = conn.execute("SELECT location FROM work_counts WHERE task_id = %s AND "
                           "step_id = %s", (task_id, step_id)).fetchone()
        return [row[0]] if row else []
    lot = rest.removeprefix(f"{fact.sku}/") if kind == "lot" else None
    return [loc for (loc,) in conn.execute(
        "SELECT DISTINCT b.location FROM balances b JOIN locations l ON l.code = b.location "
        "WHERE b.warehouse = %s AND b.sku = %s AND (%s::text IS NULL OR b.lot = %s) "
        "AND b.quantity > 0 AND b.status = 'available' AND l.active ORDER BY b.location",
        (fact.warehouse, fact.sku, lot, lot))]
