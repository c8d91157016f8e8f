"""PdaSession without a screen: sign-in answers, offline work kept, task list order, resume."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from pda_app.flows.sync import ItemState
from pda_app.flows.task import Phase
from pda_app.hub import HubClient
from pda_app.queue import SqliteQueue
from pda_app.session import PdaSession
from pda_app.settings import PdaSettings
from protocol.tasks import TaskKind, TaskState
from tests.pda.tasks_factory import GTIN, NOW, step, task


@dataclass
class Hub:
    """Enough of the hub for a session: auth, task list, claim, confirm (accept all)."""

    up: bool = True
    tasks: dict[str, dict[str, object]] = field(default_factory=dict)
    confirmed: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("refused", request=request)
        path = request.url.path.removeprefix("/api/v1")
        if path == "/auth/token":
            body = json.loads(request.content)
            if body["password"] != "right-password":
                return httpx.Response(401, json={"detail": "bad credentials"})
            return httpx.Response(200, json={"access_token": "tok", "username": "ann",
                                             "roles": ["picker"], "expires_at": "x"})
        if path == "/tasks":
            state = request.url.params.get("state")
            who = request.url.params.get("assignee")
            rows = [t for t in self.tasks.values() if (state is None or t["state"] == state)
                    and (who is None or t.get("assigned_to") == who)]
            return httpx.Response(200, json={"tasks": rows})
        if path.endswith("/claim"):
            task_id = path.split("/")[2]
            held = self.tasks[task_id]
            if held.get("assigned_to") not in (None, "ann"):
                return httpx.Response(409, json={"detail": "held by bob"})
            held.update(state="claimed", assigned_to="ann")
            return httpx.Response(200, json=held)
        if path.endswith("/confirm"):
            body = json.loads(request.content)
            self.confirmed.append(body["step_id"])
            return httpx.Response(200, json={
                "idempotency_key": body["idempotency_key"], "task_id": body["task_id"],
                "step_id": body["step_id"], "status": "accepted", "code": "ok",
                "message": "picked", "step_state": "done", "remaining_quantity": 0})
        return httpx.Response(404, json={"detail": f"no route {path}"})


def _json(t: object) -> dict[str, object]:
    return json.loads(t.model_dump_json())  # type: ignore[attr-defined]


@pytest.fixture
def hub() -> Hub:
    return Hub(tasks={
        "T1": _json(task(state=TaskState.OPEN, assigned_to=None, task_id="T1")),
        "T2": _json(task(state=TaskState.CLAIMED, task_id="T2")),
        "T3": _json(task(state=TaskState.OPEN, assigned_to="bob", task_id="T3"))})


@pytest.fixture
def session(tmp_path: Path, hub: Hub) -> Iterator[PdaSession]:
    settings = PdaSettings(hub_url="http://hub.test", data_dir=tmp_path, device_id="pda-1",
                           gs_substitute="~")
    client = HubClient(settings.hub_url, transport=httpx.MockTransport(hub))
    s = PdaSession(settings, client, SqliteQueue(settings.queue_path), clock=lambda: NOW,
                   new_key=uuid.uuid4)
    yield s
    s.queue.close()
    client.close()


def test_sign_in_answers(session: PdaSession, hub: Hub) -> None:
    assert session.sign_in("ann", "").message == "Enter your name and password"
    assert session.sign_in("ann", "wrong").message == "Wrong name or password"
    hub.up = False
    assert "no connection" in session.sign_in("ann", "right-password").message
    hub.up = True
    assert session.sign_in(" ann ", "right-password").tone == "ok"
    assert session.user == "ann" and session.queue.recall("token") == "tok"


def test_task_list_puts_my_tasks_first(session: PdaSession) -> None:
    session.sign_in("ann", "right-password")
    tasks, feedback = session.task_list()
    assert [t.task_id for t in tasks][:2] == ["T2", "T1"] and "task(s)" in feedback.message


def test_a_task_held_by_someone_else_is_refused_with_the_reason(session: PdaSession) -> None:
    session.sign_in("ann", "right-password")
    feedback = session.take("T3")
    assert feedback.tone == "error" and "held by bob" in feedback.message
    assert session.flow is None


def test_offline_confirmations_wait_in_the_queue_and_the_task_resumes(session: PdaSession,
                                                                      hub: Hub) -> None:
    session.sign_in("ann", "right-password")
    session.take("T1")
    hub.up = False
    for raw in ("A-01-02", f"]C101{GTIN}10L1~305"):  # "~" is this scanner's GS stand-in
        session.scan(raw)
    assert session.flow is not None and session.flow.phase is Phase.READY
    session.confirm()
    assert session.waiting() == 1 and session.flow.phase is Phase.FINISHED
    done = session.replay()
    session.absorb(done)
    assert not session.online and "Offline" in session.sync_status().headline
    hub.up = True
    session.absorb(session.replay())
    assert hub.confirmed == ["s1"] and session.queue.count(ItemState.DELIVERED) == 1
    assert session.online and session.sync_status().waiting == ()


def test_resume_continues_from_the_kept_copy(session: PdaSession, hub: Hub) -> None:
    session.sign_in("ann", "right-password")
    session.take("T1")
    session.scan("A-01-02")
    session.leave_task()
    hub.up = False
    session.resume("T1")
    assert session.flow is not None and session.flow.step_id == "s1"
    assert session.resume("T404").tone == "error"


def test_nothing_to_do_without_a_task(session: PdaSession) -> None:
    for answer in (session.scan("A-01-02"), session.confirm(), session.short(), session.skip()):
        assert answer.code == "no_task"


def test_a_two_step_task_answers_each_step(session: PdaSession, hub: Hub) -> None:
    hub.tasks["T4"] = _json(task(TaskKind.PICK, step(1), step(2, location="A-02-01"),
                                 state=TaskState.OPEN,
                                 assigned_to=None, task_id="T4"))
    session.sign_in("ann", "right-password")
    session.take("T4")
    for location in ("A-01-02", "A-02-01"):
        for raw in (location, GTIN, "5"):
            session.scan(raw)
        session.confirm()
    session.absorb(session.replay())
    assert hub.confirmed == ["s1", "s2"] and session.flow is not None
    assert session.flow.unanswered == 0 and session.flow.feedback.message == "picked"


def test_skip_after_a_refusal_tells_the_supervisor_why(session: PdaSession, hub: Hub) -> None:
    session.sign_in("ann", "right-password")
    session.take("T1")
    session.scan("B-09-09")  # refused: wrong location
    session.skip()
    item = session.queue.items(ItemState.PENDING)[0]
    body = json.loads(session.queue.body_of(item.seq))
    assert item.kind == "skip" and "Wrong location" in body["note"]
    assert session.flow is not None and session.flow.phase is Phase.FINISHED
