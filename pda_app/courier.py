"""Courier: hands confirmations to the durable queue and replays the queue to the hub in order.

Rule kept here: the queue is replayed strictly in order; an unreachable hub stops the replay
(the item stays first in line), a refusal never stops it but becomes a visible conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pda_app.flows.sync import QueuedItem
from pda_app.hub import HubClient, HubRefused, HubUnreachable, SignInRequired, confirm_path
from pda_app.queue import SqliteQueue
from protocol.tasks import (
    ConfirmationResult,
    ExceptionReport,
    SkipRequest,
    StepConfirmation,
)

API = "/api/v1"


@dataclass(frozen=True, slots=True)
class Replayed:
    """What one replay did: the hub's answers in order, and why it stopped (None: emptied)."""

    answers: tuple[tuple[QueuedItem, ConfirmationResult | None], ...] = ()
    conflicts: tuple[QueuedItem, ...] = ()
    stopped: str | None = None
    sign_in: bool = False

    @property
    def online(self) -> bool:
        return self.stopped is None


class Courier:
    def __init__(self, queue: SqliteQueue, client: HubClient) -> None:
        self.queue, self.client = queue, client

    def send_confirmation(self, conf: StepConfirmation, summary: str) -> int:
        return self.queue.put(key=str(conf.idempotency_key), kind="confirm", task_id=conf.task_id,
                              step_id=conf.step_id, path=confirm_path(conf),
                              body=conf.model_dump_json(), summary=summary,
                              now=conf.occurred_at)

    def send_skip(self, task_id: str, request: SkipRequest) -> int:
        return self.queue.put(key=str(request.idempotency_key), kind="skip", task_id=task_id,
                              step_id=request.step_id, path=f"{API}/tasks/{task_id}/skip",
                              body=request.model_dump_json(), summary=request.reason.value,
                              now=request.occurred_at)

    def send_exception(self, task_id: str, report: ExceptionReport) -> int:
        return self.queue.put(key=str(report.idempotency_key), kind="exception",
                              task_id=task_id, step_id=report.step_id,
                              path=f"{API}/tasks/{task_id}/exception",
                              body=report.model_dump_json(), summary=report.kind.value,
                              now=report.occurred_at)

    def replay(self, limit: int = 500,
               on_answer: Callable[[QueuedItem, ConfirmationResult | None], None] | None = None
               ) -> Replayed:
        """Deliver waiting items oldest first until the queue is empty or the hub is away."""
        answers: list[tuple[QueuedItem, ConfirmationResult | None]] = []
        conflicts: list[QueuedItem] = []
        for _ in range(limit):
            head = self.queue.next_pending()
            if head is None:
                break
            item, path, body = head
            try:
                raw = self.client.post_raw(path, body)
            except HubUnreachable as exc:
                self.queue.attempt_failed(item.seq, str(exc))
                return Replayed(tuple(answers), tuple(conflicts), str(exc))
            except SignInRequired as exc:
                self.queue.attempt_failed(item.seq, f"sign in again: {exc}")
                return Replayed(tuple(answers), tuple(conflicts), "sign in again", sign_in=True)
            except HubRefused as refused:
                self.queue.conflict(item.seq, f"http_{refused.status}", refused.detail)
                conflicts.append(item)
                continue
            result = self._settle(item, raw, conflicts)
            answers.append((item, result))
            if on_answer is not None:
                on_answer(item, result)
        return Replayed(tuple(answers), tuple(conflicts))

    def _settle(self, item: QueuedItem, raw: object,
                conflicts: list[QueuedItem]) -> ConfirmationResult | None:
        if item.kind != "confirm":
            self.queue.delivered(item.seq, "ok", f"{item.kind} recorded", raw)
            return None
        try:
            result = ConfirmationResult.model_validate(raw)
        except ValueError:
            self.queue.conflict(item.seq, "invalid_answer", "the hub's answer was not understood",
                                raw)
            conflicts.append(item)
            return None
        if result.accepted:
            self.queue.delivered(item.seq, result.code.value, result.message, raw)
        else:
            self.queue.conflict(item.seq, result.code.value, result.message, raw)
            conflicts.append(item)
        return result


def now_utc() -> datetime:
    """The adapter's clock (the flows get `now` passed in from here)."""
    return datetime.now(UTC)
