"""The PDA task API under /api/v1/tasks (wire schema: protocol.tasks).

Rule kept here: routes only translate HTTP to WorkService calls and back; a refused
confirmation is a 200 with status "rejected" (the PDA shows its message), while an unknown
task is 404 and a task held by someone else is 409.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from cloud_hub.auth.api.access import IN_QUERY, Access, guard, looked_up
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.work.api.deps import TASK, ServiceDep, actor, http_errors
from cloud_hub.work.pg.tasks import claim, list_tasks, load_task, next_task
from protocol.tasks import (
    ClaimRequest,
    ConfirmationResult,
    ExceptionRecorded,
    ExceptionReport,
    SkipRequest,
    StepConfirmation,
    Task,
    TaskKind,
    TaskPage,
    TaskState,
)

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
WorksOnTask = Annotated[Access, guard(Permission.CONFIRM_TASKS, looked_up(TASK))]


@router.get("", response_model=TaskPage)
@router.get("/", response_model=TaskPage, include_in_schema=False)
def list_all(pool: PoolDep, access: Annotated[Access, guard(Permission.READ, IN_QUERY)],
             kind: TaskKind | None = None, state: TaskState | None = None,
             assignee: str | None = None, reference: str | None = None,
             limit: int = Query(100, ge=1, le=1000)) -> TaskPage:
    with pool.connection() as conn:
        return TaskPage(tasks=tuple(list_tasks(
            conn, warehouse=access.warehouse, kind=kind, state=state, assignee=assignee,
            reference=reference, limit=limit)))


@router.get("/next", response_model=Task, responses={204: {"description": "nothing to do"}})
def my_next(pool: PoolDep, who: Annotated[Access, guard(Permission.CONFIRM_TASKS, IN_QUERY)],
            kind: TaskKind | None = None) -> Task | Response:
    with pool.connection() as conn:
        task = next_task(conn, who.name, who.warehouse, kind)
    return task if task is not None else Response(status_code=204)


@router.get("/{task_id}", response_model=Task)
def get_one(task_id: str, pool: PoolDep,
            _: Annotated[Access, guard(Permission.READ, looked_up(TASK))]) -> Task:
    with http_errors(), pool.connection() as conn:
        return load_task(conn, task_id).task


@router.post("/{task_id}/claim", response_model=Task)
def claim_one(task_id: str, pool: PoolDep, who: WorksOnTask,
              body: ClaimRequest | None = None) -> Task:
    with http_errors(), pool.connection() as conn:
        return claim(conn, task_id, who.name)


@router.post("/{task_id}/steps/{step_id}/confirm", response_model=ConfirmationResult)
def confirm_step(task_id: str, step_id: str, body: StepConfirmation, service: ServiceDep,
                 who: WorksOnTask) -> ConfirmationResult:
    if body.task_id != task_id or body.step_id != step_id:
        raise HTTPException(422, "task_id/step_id in the body differ from the path")
    with http_errors():
        return service.confirm(body, actor(who))


@router.post("/{task_id}/skip", response_model=Task)
def skip(task_id: str, body: SkipRequest, service: ServiceDep, who: WorksOnTask) -> Task:
    with http_errors():
        return service.skip(task_id, body, actor(who))


@router.post("/{task_id}/exception", response_model=ExceptionRecorded)
def report(task_id: str, body: ExceptionReport, service: ServiceDep,
           who: WorksOnTask) -> ExceptionRecorded:
    with http_errors():
        return service.report(task_id, body, actor(who))

