"""Tasks in PostgreSQL: insert, load (locked), save, list, next, claim, and the stored answers
that make PDA requests idempotent.

Rule kept here: a task row changes only under SELECT ... FOR UPDATE in the caller's
transaction; an idempotency key's first answer is stored in the same transaction as its
effects, so a replay sees either nothing or everything.
"""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.work.steps import StepLink, WorkTask
from protocol.events import StockStatus
from protocol.tasks import StepState, Task, TaskKind, TaskState

ACTIVE = (TaskState.CLAIMED, TaskState.IN_PROGRESS)


class TaskNotFound(LookupError):
    pass


class TaskConflict(RuntimeError):
    """The task cannot be taken: someone else holds it, or it is finished."""


def _link_json(link: StepLink) -> dict[str, Any]:
    raw = asdict(link)
    return {k: (str(v) if isinstance(v, Decimal | StockStatus) else v) for k, v in raw.items()
            if v is not None and v != StepLink.__dataclass_fields__[k].default}


def _link_from(raw: dict[str, Any]) -> StepLink:
    data = dict(raw)
    for key in ("hidden_expected",):
        if key in data:
            data[key] = Decimal(data[key])
    for key in ("stock_status", "to_status"):
        if key in data:
            data[key] = StockStatus(data[key])
    return StepLink(**data)


def _row_to_work(doc: dict[str, Any], links: dict[str, Any]) -> WorkTask:
    return WorkTask(Task.model_validate(doc), {k: _link_from(v) for k, v in links.items()})


def insert_task(conn: psycopg.Connection, work: WorkTask) -> None:
    t = work.task
    conn.execute(
        "INSERT INTO work_tasks (task_id, warehouse, kind, state, assigned_to, priority, "
        "created_at, reference, doc, links) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
        "ON CONFLICT (task_id) DO NOTHING",
        (t.task_id, t.warehouse, str(t.kind), str(t.state), t.assigned_to, t.priority,
         t.created_at, t.reference, Jsonb(t.model_dump(mode="json")),
         Jsonb({k: _link_json(v) for k, v in work.links.items()})))


def save_task(conn: psycopg.Connection, work: WorkTask) -> None:
    t = work.task
    conn.execute(
        "UPDATE work_tasks SET state = %s, assigned_to = %s, priority = %s, doc = %s, "
        "links = %s, updated_at = now() WHERE task_id = %s",
        (str(t.state), t.assigned_to, t.priority, Jsonb(t.model_dump(mode="json")),
         Jsonb({k: _link_json(v) for k, v in work.links.items()}), t.task_id))


def load_task(conn: psycopg.Connection, task_id: str, *, lock: bool = False) -> WorkTask:
    sql = "SELECT doc, links FROM work_tasks WHERE task_id = %s" + (" FOR UPDATE" if lock else "")
    row = conn.execute(sql, (task_id,)).fetchone()
    if row is None:
        raise TaskNotFound(task_id)
    return _row_to_work(row[0], row[1])


def list_tasks(conn: psycopg.Connection, *, warehouse: str | None = None,
               kind: TaskKind | None = None, state: TaskState | None = None,
               assignee: str | None = None, reference: str | None = None,
               limit: int = 100) -> list[Task]:
    where, params = ["true"], []
    for column, value in (("warehouse", warehouse), ("kind", kind), ("state", state),
                          ("assigned_to", assignee), ("reference", reference)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(str(value))
    params.append(max(1, min(limit, 1000)))
    rows = conn.execute(f"SELECT doc FROM work_tasks WHERE {' AND '.join(where)} "
                        "ORDER BY priority DESC, created_at, task_id LIMIT %s", params)
    return [Task.model_validate(r[0]) for r in rows]


def next_task(conn: psycopg.Connection, user: str, warehouse: str | None = None,
              kind: TaskKind | None = None) -> Task | None:
    """My task in hand first, else the most urgent open one nobody holds."""
    extra, params = "", []
    if warehouse is not None:
        extra += " AND warehouse = %s"
        params.append(warehouse)
    if kind is not None:
        extra += " AND kind = %s"
        params.append(str(kind))
    mine = conn.execute(
        "SELECT doc FROM work_tasks WHERE assigned_to = %s AND state IN ('claimed',"
        f"'in_progress'){extra} ORDER BY priority DESC, created_at LIMIT 1",
        [user, *params]).fetchone()
    if mine is not None:
        return Task.model_validate(mine[0])
    row = conn.execute(
        "SELECT doc FROM work_tasks WHERE state = 'open' AND (assigned_to IS NULL OR "
        f"assigned_to = %s){extra} ORDER BY priority DESC, created_at, task_id LIMIT 1",
        [user, *params]).fetchone()
    return Task.model_validate(row[0]) if row else None


def claim(conn: psycopg.Connection, task_id: str, user: str) -> Task:
    with conn.transaction():
        work = load_task(conn, task_id, lock=True)
        t = work.task
        if t.state in (TaskState.DONE, TaskState.CANCELLED, TaskState.SKIPPED):
            raise TaskConflict(f"task {task_id} is {t.state}")
        if t.assigned_to not in (None, user) and t.state in ACTIVE:
            raise TaskConflict(f"task {task_id} is held by {t.assigned_to}")
        if t.assigned_to == user and t.state in ACTIVE:
            return t
        claimed = t.model_copy(update={"assigned_to": user, "state": TaskState.CLAIMED})
        save_task(conn, WorkTask(claimed, work.links))
        return claimed


def stored_answer(conn: psycopg.Connection, key: UUID) -> dict[str, Any] | None:
    """The first answer given to this idempotency key (waits for a concurrent first try)."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:req:' || %s))", (str(key),))
    row = conn.execute("SELECT answer FROM work_requests WHERE idempotency_key = %s",
                       (key,)).fetchone()
    return row[0] if row else None


def store_answer(conn: psycopg.Connection, key: UUID, task_id: str, kind: str,
                 answer: dict[str, Any]) -> None:
    conn.execute("INSERT INTO work_requests (idempotency_key, task_id, kind, answer) "
                 "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                 (key, task_id, kind, Jsonb(answer)))


def drop_order_steps(conn: psycopg.Connection, order_id: str) -> None:
    """A cancelled order's unpicked pick steps are skipped; a task left with nothing to do ends."""
    rows = conn.execute(
        "SELECT task_id FROM work_tasks WHERE kind = 'pick' AND state IN "
        "('open','claimed','in_progress') AND EXISTS (SELECT 1 FROM jsonb_each(links) e "
        "WHERE e.value->>'order_id' = %s) FOR UPDATE", (order_id,)).fetchall()
    for (task_id,) in rows:
        work = load_task(conn, task_id)
        ids = {k for k, v in work.links.items() if v.order_id == order_id}
        steps = tuple(s.model_copy(update={"state": StepState.SKIPPED})
                      if s.step_id in ids and s.state in (StepState.PENDING, StepState.PARTIAL)
                      else s for s in work.task.steps)
        left = any(s.state in (StepState.PENDING, StepState.PARTIAL) for s in steps)
        state = work.task.state if left else TaskState.CANCELLED
        save_task(conn, WorkTask(work.task.model_copy(update={"steps": steps, "state": state}),
                                 work.links))
