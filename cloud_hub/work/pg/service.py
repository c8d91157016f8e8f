"""WorkService: the task API's operations over a PostgreSQL pool, around the pure core.

Rule kept here: one PDA request = one transaction holding the task row lock: the core decides,
the ledger applies the moves (same apply path as RFID and scanners), follow-up work is created
and the answer is stored under the idempotency key, all committed together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from cloud_hub.catalog.pg.uoms import gtin_levels, units_of
from cloud_hub.ledger.pg.apply import ApplyService, Posting
from cloud_hub.work.counts import CountAction, CountRequest, VarianceRule
from cloud_hub.work.pg.apply import LedgerRefused, apply_moves
from cloud_hub.work.pg.counts import adjustment, count_outcome, create_count_task
from cloud_hub.work.pg.master import load_bin, load_loads, load_profiles
from cloud_hub.work.pg.operations import WorkOperations
from cloud_hub.work.pg.recalls import recalled_lots, recalled_serials
from cloud_hub.work.pg.receiving import ReceiptRefused, load_receipt, record_arrival
from cloud_hub.work.pg.rules import load_policy
from cloud_hub.work.pg.tasks import (
    ACTIVE,
    TaskConflict,
    load_task,
    save_task,
    store_answer,
    stored_answer,
)
from cloud_hub.work.pg.waves import record_backorder, record_picked
from cloud_hub.work.putaway import PutawayPolicy
from cloud_hub.work.receiving import Arrival
from cloud_hub.work.steps import (
    Backorder,
    ConfirmContext,
    Counted,
    CountNeeded,
    Picked,
    Received,
    WorkTask,
    derived_id,
)
from cloud_hub.work.taskflow import Decision, confirm
from protocol.events import Reason, StockMoved
from protocol.tasks import (
    ConfirmationResult,
    ExceptionKind,
    ExceptionRecorded,
    ExceptionReport,
    ResultCode,
    SkipRequest,
    StepConfirmation,
    StepState,
    Task,
    TaskState,
)

OVERRIDE_ROLES = frozenset({"supervisor", "manager", "admin"})


@dataclass(frozen=True, slots=True)
class Actor:
    user: str
    roles: frozenset[str] = frozenset()

    @property
    def supervises(self) -> bool:
        return bool(self.roles & OVERRIDE_ROLES)


class WorkService(WorkOperations):
    """Confirm / skip / report on tasks; every move goes through `ledger`, the one apply
    entry point, in the transaction of the work it belongs to."""

    def __init__(self, pool: Any, ledger: ApplyService, *, policy: PutawayPolicy | None = None,
                 variance: VarianceRule | None = None) -> None:
        self.pool = pool
        self.ledger = ledger
        self.policy = policy or PutawayPolicy()
        self.variance = variance or VarianceRule()

    def _policy(self, conn: psycopg.Connection) -> PutawayPolicy:
        """Rules stored in the database win; the constructor's policy is the fallback."""
        stored = load_policy(conn)
        return stored if stored != PutawayPolicy() else self.policy

    # --- confirm ---------------------------------------------------------------------------

    def confirm(self, conf: StepConfirmation, actor: Actor) -> ConfirmationResult:
        with self.pool.connection() as conn:
            try:
                with self.ledger.transaction(conn) as posting:
                    stored = stored_answer(conn, conf.idempotency_key)
                    if stored is not None:
                        return _replayed(stored)
                    result = self._confirm_in(posting, conf, actor)
                    store_answer(conn, conf.idempotency_key, conf.task_id, "confirm",
                                 result.model_dump(mode="json"))
            except LedgerRefused as refused:
                result = self._refused(conn, conf, ResultCode.INVALID, "the stock ledger "
                                       f"refused this ({refused.code}): {refused.reason}")
            except ReceiptRefused as refused:
                result = self._refused(conn, conf, refused.code, refused.reason)
        return result

    def _refused(self, conn: psycopg.Connection, conf: StepConfirmation, code: ResultCode,
                 message: str) -> ConfirmationResult:
        """A confirmation refused after its checks passed (by the ledger or the receipt):
        nothing of it was kept; the refusal is the key's answer."""
        result = ConfirmationResult(
            idempotency_key=conf.idempotency_key, task_id=conf.task_id, step_id=conf.step_id,
            status="rejected", code=code, message=message)
        with conn.transaction():
            stored = stored_answer(conn, conf.idempotency_key)
            if stored is not None:
                return _replayed(stored)
            store_answer(conn, conf.idempotency_key, conf.task_id, "confirm",
                         result.model_dump(mode="json"))
        return result

    def _confirm_in(self, posting: Posting, conf: StepConfirmation,
                    actor: Actor) -> ConfirmationResult:
        conn = posting.conn
        work = load_task(conn, conf.task_id, lock=True)
        decision = confirm(work, conf, self._context(conn, work, conf, actor))
        if not decision.result.accepted:
            return decision.result
        apply_moves(posting, decision.moves, f"pda:{actor.user}")
        save_task(conn, decision.task)
        return self._effects(posting, decision, conf, actor)

    def _context(self, conn: psycopg.Connection, work: WorkTask, conf: StepConfirmation,
                 actor: Actor) -> ConfirmContext:
        step = next((s for s in work.task.steps if s.step_id == conf.step_id), None)
        codes = {c for c in (conf.scanned_location, step.to_location if step else None) if c}
        bins = {c: b for c in codes if (b := load_bin(conn, c)) is not None}
        skus = [s.sku for s in work.task.steps if s.sku]
        levels = gtin_levels(conn, [conf.scanned_gtin]) if conf.scanned_gtin else {}
        return ConfirmContext(
            user=actor.user, today=conf.occurred_at.date(), may_override=actor.supervises,
            gtins={g: level.sku for g, level in levels.items()}, levels=levels,
            units=units_of(conn, skus) if conf.uom or levels else {},
            profiles=load_profiles(conn, skus), bins=bins,
            loads=load_loads(conn, work.task.warehouse, codes) if codes else {},
            recalled=recalled_lots(conn, work.task.warehouse, skus),
            recalled_serials=recalled_serials(conn, work.task.warehouse, skus)
            if conf.serial else {})

    def _effects(self, posting: Posting, decision: Decision, conf: StepConfirmation,
                 actor: Actor) -> ConfirmationResult:
        conn = posting.conn
        result, moves = decision.result, list(decision.moves)
        task = decision.task.task
        follow = list(result.follow_up_task_ids)
        for effect in decision.effects:
            if isinstance(effect, Picked):
                record_picked(conn, effect, task.task_id)
            elif isinstance(effect, Backorder):
                record_backorder(conn, effect)
            elif isinstance(effect, CountNeeded):
                create_count_task(conn, task_id=effect.task_id, warehouse=task.warehouse,
                                  request=CountRequest(effect.location, effect.sku, effect.why),
                                  blind=True, now=conf.occurred_at, priority=10)
            elif isinstance(effect, Received):
                receipt = load_receipt(conn, effect.receipt_id)
                step = next(s for s in task.steps if s.step_id == conf.step_id)
                _, putaway = record_arrival(
                    conn, receipt, Arrival(effect.unit_key, step.sku, step.lot or "",
                                           effect.quantity),
                    seen_by=f"pda:{conf.device_id}", occurred_at=conf.occurred_at,
                    location=effect.location, policy=self._policy(conn),
                    may_exceed=actor.supervises)
                follow += [putaway] if putaway else []
            elif isinstance(effect, Counted):
                result, extra = self._counted(posting, task, effect, conf, actor, result)
                moves += extra
        return result.model_copy(update={"follow_up_task_ids": tuple(follow),
                                         "move_ids": tuple(m.event_id for m in moves)})

    def _counted(self, posting: Posting, task: Task, counted: Counted,
                 conf: StepConfirmation, actor: Actor,
                 result: ConfirmationResult) -> tuple[ConfirmationResult, list[StockMoved]]:
        outcome = count_outcome(posting.conn, task, counted, user=actor.user,
                                counted_at=conf.occurred_at, rule=self.variance)
        if outcome.action is CountAction.REVIEW:
            return result.model_copy(update={
                "code": ResultCode.VARIANCE_REVIEW,
                "message": "counted; the difference will be checked by a supervisor"}), []
        if outcome.action is CountAction.NONE:
            return result, []
        move = adjustment(event_id=derived_id(conf.idempotency_key, "count-adjust"),
                          warehouse=task.warehouse, location=counted.location, sku=counted.sku,
                          lot=counted.lot, variance=outcome.variance,
                          occurred_at=conf.occurred_at, user=actor.user,
                          device_id=conf.device_id, task_id=task.task_id, reason=Reason.COUNT)
        apply_moves(posting, [move], f"pda:{actor.user}")
        return result, [move]

    # --- skip and exceptions --------------------------------------------------------------

    def skip(self, task_id: str, req: SkipRequest, actor: Actor) -> Task:
        with self.pool.connection() as conn, conn.transaction():
            stored = stored_answer(conn, req.idempotency_key)
            if stored is not None:
                return Task.model_validate(stored)
            work = load_task(conn, task_id, lock=True)
            task = _skipped(work.task, req, actor)
            save_task(conn, WorkTask(task, work.links))
            store_answer(conn, req.idempotency_key, task_id, "skip", task.model_dump(mode="json"))
            return task

    def report(self, task_id: str, report: ExceptionReport, actor: Actor) -> ExceptionRecorded:
        with self.pool.connection() as conn, conn.transaction():
            stored = stored_answer(conn, report.idempotency_key)
            if stored is not None:
                return ExceptionRecorded.model_validate({**stored, "replayed": True})
            task = load_task(conn, task_id).task
            exception_id = str(derived_id(report.idempotency_key, "exception"))
            conn.execute("INSERT INTO work_exceptions (exception_id, task_id, warehouse, kind, "
                         "reported_by, report) VALUES (%s,%s,%s,%s,%s,%s)",
                         (exception_id, task_id, task.warehouse, str(report.kind), actor.user,
                          psycopg.types.json.Jsonb(report.model_dump(mode="json"))))
            follow: tuple[str, ...] = ()
            location = report.location or _step_location(task, report.step_id)
            if location and report.kind in _COUNT_AFTER:
                count_id = str(derived_id(report.idempotency_key, "exception-count"))
                made = create_count_task(conn, task_id=count_id, warehouse=task.warehouse,
                                         request=CountRequest(location, report.sku, "exception"),
                                         blind=True, now=report.occurred_at, priority=10)
                follow = (made,) if made else ()
            answer = ExceptionRecorded(exception_id=exception_id, task_id=task_id,
                                       follow_up_task_ids=follow)
            store_answer(conn, report.idempotency_key, task_id, "exception",
                         answer.model_dump(mode="json"))
            return answer


_COUNT_AFTER = (ExceptionKind.ITEM_MISSING, ExceptionKind.UNEXPECTED_ITEM,
                ExceptionKind.WRONG_QUANTITY_IN_UNIT, ExceptionKind.DAMAGED_GOODS)


def _step_location(task: Task, step_id: str | None) -> str | None:
    step = next((s for s in task.steps if s.step_id == step_id), None)
    return step.location if step else None


def _skipped(task: Task, req: SkipRequest, actor: Actor) -> Task:
    """A step skip closes that step; a task skip hands it back to the pool (a supervisor's
    skip takes it off the list)."""
    if task.state in (TaskState.DONE, TaskState.CANCELLED, TaskState.SKIPPED):
        raise TaskConflict(f"task {task.task_id} is {task.state}")
    if task.assigned_to not in (None, actor.user) and task.state in ACTIVE \
            and not actor.supervises:
        raise TaskConflict(f"task {task.task_id} is held by {task.assigned_to}")
    note = f"skipped by {actor.user}: {req.reason}" + (f" ({req.note})" if req.note else "")
    if req.step_id is not None:
        steps = tuple(s.model_copy(update={"state": StepState.SKIPPED})
                      if s.step_id == req.step_id and s.state in (StepState.PENDING,
                                                                  StepState.PARTIAL) else s
                      for s in task.steps)
        left = any(s.state in (StepState.PENDING, StepState.PARTIAL) for s in steps)
        return task.model_copy(update={"steps": steps, "note": note,
                                       "state": task.state if left else TaskState.DONE})
    if actor.supervises:
        return task.model_copy(update={"state": TaskState.SKIPPED, "note": note})
    return task.model_copy(update={"state": TaskState.OPEN, "assigned_to": None, "note": note})


def _replayed(stored: dict[str, Any]) -> ConfirmationResult:
    return ConfirmationResult.model_validate({**stored, "replayed": True})


__all__ = ["UUID", "Actor", "WorkService"]
