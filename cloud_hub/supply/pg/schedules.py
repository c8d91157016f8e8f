"""Planning schedules in PostgreSQL and the thread that runs them.

Rule kept here: a due schedule is claimed in its own short transaction (its next run moved on,
the row skipped by other replicas while locked) and planning then runs outside it, on the
caller's connection, with `now` given by the caller; a failed run is recorded on the schedule
and never stops the others or the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from cloud_hub.planning.pg import runs
from cloud_hub.supply.schedule import next_run
from cloud_hub.supply.terms import UnknownReference, UnknownSupply

log = logging.getLogger("stockpulse.schedules")
COLS = ("warehouse, every_minutes, days, enabled, next_run_at, last_run_at, last_seconds, "
        "last_series, last_suggestions, last_error")


def put_schedule(conn: psycopg.Connection, warehouse: str, every_minutes: int, days: int,
                 enabled: bool, first_run_at: datetime | None, now: datetime) -> dict[str, Any]:
    if conn.execute("SELECT 1 FROM warehouses WHERE code = %s", (warehouse,)).fetchone() is None:
        raise UnknownReference(f"no warehouse {warehouse!r}")
    first = first_run_at or now
    conn.execute(
        "INSERT INTO planning_schedules (warehouse, every_minutes, days, enabled, next_run_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (warehouse) DO UPDATE SET every_minutes = "
        "EXCLUDED.every_minutes, days = EXCLUDED.days, enabled = EXCLUDED.enabled, "
        "next_run_at = EXCLUDED.next_run_at, updated_at = now()",
        (warehouse, every_minutes, days, enabled, first))
    return get_schedule(conn, warehouse)


def get_schedule(conn: psycopg.Connection, warehouse: str) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {COLS} FROM planning_schedules WHERE warehouse = %s",
                          (warehouse,)).fetchone()
    if row is None:
        raise UnknownSupply(f"warehouse {warehouse!r} has no planning schedule")
    return row


def list_schedules(conn: psycopg.Connection, warehouse: str | None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {COLS} FROM planning_schedules WHERE %s::text IS NULL OR "
                           "warehouse = %s ORDER BY warehouse", (warehouse, warehouse)).fetchall()


def _claim(conn: psycopg.Connection, now: datetime) -> tuple[str, int] | None:
    with conn.transaction():
        row = conn.execute(
            "SELECT warehouse, every_minutes, days, next_run_at FROM planning_schedules "
            "WHERE enabled AND next_run_at <= %s ORDER BY next_run_at LIMIT 1 "
            "FOR UPDATE SKIP LOCKED", (now,)).fetchone()
        if row is None:
            return None
        warehouse, every, days, due = row
        conn.execute("UPDATE planning_schedules SET next_run_at = %s WHERE warehouse = %s",
                     (next_run(due, timedelta(minutes=every), now), warehouse))
    return warehouse, days


Planner = Callable[..., runs.PlanningRun]


def run_due(conn: psycopg.Connection, now: datetime, plan: Planner = runs.run_planning
            ) -> list[str]:
    """Run planning for every warehouse whose schedule is due at `now`; the warehouses run."""
    done = []
    while (claimed := _claim(conn, now)) is not None:
        warehouse, days = claimed
        started = time.perf_counter()
        try:
            result = plan(conn, now.date(), now, days=days, warehouse=warehouse)
            conn.execute(
                "UPDATE planning_schedules SET last_run_at = %s, last_seconds = %s, last_series "
                "= %s, last_suggestions = %s, last_error = NULL WHERE warehouse = %s",
                (now, time.perf_counter() - started, result.series, len(result.suggestions),
                 warehouse))
        except Exception as exc:  # recorded on the schedule; the next warehouse still runs
            log.exception("scheduled planning of %s failed", warehouse)
            if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                conn.rollback()
            conn.execute("UPDATE planning_schedules SET last_run_at = %s, last_seconds = %s, "
                         "last_error = %s WHERE warehouse = %s",
                         (now, time.perf_counter() - started, f"{type(exc).__name__}: {exc}",
                          warehouse))
        done.append(warehouse)
    return done


class PlanningScheduler:
    """A thread that runs due schedules, then sleeps until the next is due (at most `poll_s`:
    a schedule changed through the API is seen within that)."""

    def __init__(self, pool: ConnectionPool, poll_s: float = 30.0,
                 on_run: Callable[[list[str]], None] | None = None) -> None:
        self.pool, self.poll_s, self.on_run = pool, poll_s, on_run
        self.stop_flag = threading.Event()
        self.wakeup = threading.Event()
        self.thread = threading.Thread(target=self._run, name="planning-schedules", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self) -> None:
        self.stop_flag.set()
        self.wakeup.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            wait = self.poll_s
            try:
                with self.pool.connection() as conn:
                    ran = run_due(conn, datetime.now(UTC))
                    row = conn.execute("SELECT min(next_run_at) FROM planning_schedules "
                                       "WHERE enabled").fetchone()
                if ran and self.on_run is not None:
                    self.on_run(ran)
                if row and row[0] is not None:
                    wait = min(wait, max((row[0] - datetime.now(UTC)).total_seconds(), 0.05))
            except Exception:  # the database away: try again at the next poll
                log.exception("planning schedules could not be run")
            self.wakeup.wait(wait)
            self.wakeup.clear()
