"""PdaSession: one picker's shift on one PDA — the flows, the hub client and the queue together.

Rule kept here: every confirmation is in the durable queue before the screen moves on; the
screens call these methods and show what comes back, they hold no state of their own.
`replay` is the only method meant for a worker thread; its answers are applied with `absorb`
on the UI thread.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from pda_app.courier import Courier, Replayed, now_utc
from pda_app.flows import held, lookup
from pda_app.flows import task as flows
from pda_app.flows.feedback import Feedback, Tone
from pda_app.flows.scan import restore_gs
from pda_app.flows.sync import ItemState, SyncView, sync_view
from pda_app.flows.task import Phase, TaskFlow
from pda_app.hub import HubClient, HubError, HubRefused, HubUnreachable, SignInRequired
from pda_app.queue import SqliteQueue
from pda_app.settings import PdaSettings
from protocol.tasks import SkipReason, Task, TaskState

Clock = Callable[[], datetime]
MINE_FIRST = {TaskState.IN_PROGRESS: 0, TaskState.CLAIMED: 1, TaskState.OPEN: 2}


class PdaSession:
    def __init__(self, settings: PdaSettings, client: HubClient, queue: SqliteQueue,
                 clock: Clock = now_utc, new_key: Callable[[], uuid.UUID] = uuid.uuid4) -> None:
        self.settings, self.client, self.queue = settings, client, queue
        self.courier = Courier(queue, client)
        self.clock, self.new_key = clock, new_key
        self.user: str | None = None
        self.flow: TaskFlow | None = None
        self.online = True
        self.last_error: str | None = None

    # --- signing in ----------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> Feedback:
        if not username.strip() or not password:
            return Feedback.error("sign_in", "Enter your name and password")
        try:
            session = self.client.sign_in(username.strip(), password)
        except SignInRequired:
            return Feedback.error("sign_in", "Wrong name or password")
        except HubError as exc:
            return self._offline(exc, "Cannot reach the hub to sign in")
        self.user = session.username
        self.queue.remember("user", session.username)
        self.queue.remember("token", session.token)
        self.online = True
        return Feedback.ok("sign_in", f"Signed in as {session.username}")

    def sign_out(self) -> None:
        self.user, self.flow, self.client.token = None, None, None
        self.queue.remember("token", None)

    # --- tasks ---------------------------------------------------------------------------
    def task_list(self) -> tuple[list[Task], Feedback]:
        """My claimed tasks first, then the open ones, best priority first."""
        try:
            mine = self.client.tasks(self.settings.warehouse, assignee=self.user)
            pool = self.client.tasks(self.settings.warehouse, state=TaskState.OPEN.value)
        except HubError as exc:
            return [], self._offline(exc, "Cannot load tasks")
        self.online = True
        seen: dict[str, Task] = {}
        for t in [*mine, *pool]:
            if t.state in MINE_FIRST:
                seen.setdefault(t.task_id, t)
        ordered = sorted(seen.values(), key=lambda t: (MINE_FIRST[t.state], -t.priority,
                                                         t.created_at))
        return ordered, Feedback.info("tasks", f"{len(ordered)} task(s)")

    def take(self, task_id: str) -> Feedback:
        try:
            claimed = self.client.claim(task_id, self.settings.device_id)
        except HubRefused as refused:
            return Feedback.error(f"http_{refused.status}", refused.detail)
        except HubError as exc:
            return self._offline(exc, "Cannot take the task")
        self.flow = flows.start(claimed, self.user or "")
        self.queue.remember(f"task:{claimed.task_id}", claimed.model_dump_json())
        return self.flow.feedback

    def resume(self, task_id: str) -> Feedback:
        """Go on with a task taken earlier, from the copy kept on the PDA (works offline)."""
        kept = self.queue.recall(f"task:{task_id}")
        if kept is None:
            return Feedback.error("no_task", f"Task {task_id} is not on this PDA")
        self.flow = flows.start(Task.model_validate_json(kept), self.user or "")
        return self.flow.feedback

    def scan(self, raw: str) -> Feedback:
        if self.flow is None:
            return Feedback.info("no_task", "Take a task first")
        raw = restore_gs(raw, self.settings.gs_substitute)
        before = self.flow
        self.flow = flows.scan(before, raw, self.clock().date())
        asked = held.query(before, self.flow)
        if asked is not None:
            said = self._held(asked)
            if said is not None:
                self.flow = flows.refuse_held(self.flow, said)
        return self.flow.feedback

    def _held(self, asked: held.HeldQuery) -> str | None:
        """Whether the hub holds the scanned stock at the bin; offline: not known here (the
        ledger refuses it on confirm)."""
        try:
            status, rows = self.client.get_json("/api/v1/stock",
                                                asked.params(self.settings.warehouse))
        except HubError:
            return None
        return held.refusal(asked, rows) if status == 200 and isinstance(rows, list) else None

    def short(self) -> Feedback:
        if self.flow is None:
            return Feedback.info("no_task", "Take a task first")
        self.flow = flows.short(self.flow)
        return self.flow.feedback

    def confirm(self) -> Feedback:
        """Queue the confirmation (durably) and move on; the caller then starts a replay."""
        if self.flow is None:
            return Feedback.info("no_task", "Take a task first")
        before = self.flow
        self.flow, conf = flows.confirm(before, self.new_key(), self.clock(),
                                        self.settings.device_id)
        if conf is not None:
            self.courier.send_confirmation(conf, before.feedback.message.split(" — ")[0])
        return self.flow.feedback

    def skip(self, reason: SkipReason = SkipReason.OTHER, note: str = "") -> Feedback:
        if self.flow is None:
            return Feedback.info("no_task", "Take a task first")
        task_id = self.flow.task.task_id
        if not note and self.flow.feedback.tone is Tone.ERROR:
            note = self.flow.feedback.message[:500]  # why: e.g. the expired lot it refused
        self.flow, request = flows.skip(self.flow, reason, note, self.new_key(), self.clock(),
                                        self.settings.device_id)
        if request is not None:
            self.courier.send_skip(task_id, request)
        return self.flow.feedback

    def leave_task(self) -> None:
        if self.flow is not None and self.flow.phase in (Phase.FINISHED, Phase.STOPPED):
            self.queue.remember(f"task:{self.flow.task.task_id}", None)
        elif self.flow is not None:
            self.queue.remember(f"task:{self.flow.task.task_id}",
                                self.flow.task.model_dump_json())
        self.flow = None

    def fetch_task(self, task_id: str) -> Task | None:
        """The hub's current copy of a task (worker thread), None when it cannot say."""
        try:
            return self.client.task(task_id)
        except HubError:
            return None

    def refreshed(self, fresh: Task) -> Feedback | None:
        """Apply the hub's copy (UI thread): stops the flow if the task was taken away."""
        if self.flow is None or self.flow.phase in (Phase.STOPPED, Phase.FINISHED):
            return None
        before = self.flow.phase
        self.flow = flows.refresh(self.flow, fresh)
        return self.flow.feedback if self.flow.phase is not before else None

    # --- queue ---------------------------------------------------------------------------
    def replay(self) -> Replayed:
        """Deliver the queue (worker thread). Apply the result with `absorb` (UI thread)."""
        return self.courier.replay()

    def absorb(self, done: Replayed) -> Feedback | None:
        self.online, self.last_error = done.online, done.stopped
        if self.flow is None:
            return None
        for _item, result in done.answers:
            if result is not None:
                self.flow = flows.answer(self.flow, result)
        return self.flow.feedback if done.answers else None

    def sync_status(self) -> SyncView:
        return sync_view(self.queue.items(ItemState.PENDING, ItemState.CONFLICT), self.online,
                         self.last_error)

    def waiting(self) -> int:
        return self.queue.count(ItemState.PENDING)

    def conflicts(self) -> int:
        return self.queue.count(ItemState.CONFLICT)

    def acknowledge_all(self) -> int:
        items = self.queue.items(ItemState.CONFLICT)
        for item in items:
            self.queue.acknowledge(item.seq)
        return len(items)

    # --- look-up -------------------------------------------------------------------------
    def look_up(self, raw: str) -> lookup.LookupView:
        planned = lookup.plan(restore_gs(raw, self.settings.gs_substitute),
                              self.settings.warehouse, self.clock().date())
        if isinstance(planned, Feedback):
            return lookup.LookupView(raw.strip(), (), planned)
        answers = []
        for query in planned:
            try:
                status, body = self.client.get_json(query.path, dict(query.params))
            except HubError as exc:
                return lookup.LookupView(raw.strip(), (), self._offline(exc, "Look-up needs "
                                                                         "the hub"))
            answers.append((query, status, body))
        self.online = True
        return lookup.describe(raw, answers)

    def _offline(self, exc: HubError, what: str) -> Feedback:
        if isinstance(exc, HubUnreachable):
            self.online, self.last_error = False, str(exc)
            return Feedback.error("offline", f"{what}: no connection. Your confirmed scans "
                                  "are kept and sent later.")
        if isinstance(exc, SignInRequired):
            return Feedback.error("sign_in", "Your sign-in ran out: sign in again")
        return Feedback.error("hub", f"{what}: {exc}")
