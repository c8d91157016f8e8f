"""The offline queue and its replay: durable across reopen, in order, retried, conflicts kept.

The hub here is httpx's own MockTransport playing the task API (docs/tasks.md) — the real
hub is used in test_offline_hub.py; this one lets a test switch the network off at will.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from pda_app.courier import Courier
from pda_app.flows.sync import ItemState, sync_view
from pda_app.hub import HubClient, HubRefused, HubUnreachable, SignInRequired
from pda_app.queue import QueueError, SqliteQueue
from protocol.tasks import SkipReason, SkipRequest, StepConfirmation
from tests.pda.tasks_factory import NOW


@dataclass
class FakeHub:
    """The task API's confirm/skip endpoints: idempotent by key, switchable off."""

    up: bool = True
    status: int = 200
    refuse: dict[str, str] = field(default_factory=dict)  # step_id -> result code
    applied: list[str] = field(default_factory=list)  # keys in the order first applied
    answers: dict[str, dict[str, object]] = field(default_factory=dict)
    token_ok: bool = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        if self.status != 200:
            return httpx.Response(self.status, json={"detail": f"status {self.status}"})
        if not self.token_ok:
            return httpx.Response(401, json={"detail": "token expired"})
        body = json.loads(request.content)
        key = body["idempotency_key"]
        if key in self.answers:
            return httpx.Response(200, json={**self.answers[key], "replayed": True})
        if request.url.path.endswith("/skip"):
            self.applied.append(key)
            return httpx.Response(200, json={"task_id": "T1", "state": "open"})
        code = self.refuse.get(body["step_id"], "ok")
        answer = {"idempotency_key": key, "task_id": body["task_id"], "step_id": body["step_id"],
                  "status": "rejected" if code != "ok" else "accepted", "code": code,
                  "message": f"{code} for {body['step_id']}"}
        if code == "ok":
            self.applied.append(key)
        self.answers[key] = answer
        return httpx.Response(200, json=answer)


def confirmation(step_id: str, qty: int = 1) -> StepConfirmation:
    return StepConfirmation(idempotency_key=uuid.uuid4(), task_id="T1", step_id=step_id,
                            scanned_location="A-01", quantity=Decimal(qty), occurred_at=NOW,
                            device_id="pda-1")


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
def courier(tmp_path: Path, hub: FakeHub) -> Iterator[Courier]:
    client = HubClient("http://hub.test", transport=httpx.MockTransport(hub))
    client.token = "t"
    courier = Courier(SqliteQueue(tmp_path / "queue.db"), client)
    yield courier
    courier.queue.close()
    client.close()


def test_items_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.db")
    keys = [str(uuid.uuid4()) for _ in range(3)]
    for n, key in enumerate(keys):
        queue.put(key=key, kind="confirm", task_id="T1", step_id=f"s{n}", path="/x", body="{}",
                  summary=f"step {n}", now=NOW)
    queue.remember("session", "ann")
    queue.close()
    again = SqliteQueue(tmp_path / "q.db")
    assert [i.key for i in again.items(ItemState.PENDING)] == keys
    assert again.recall("session") == "ann"
    assert again.items()[0].created_at == NOW


def test_a_double_tap_is_stored_once(tmp_path: Path) -> None:
    queue = SqliteQueue(tmp_path / "q.db")
    first = queue.put(key="k1", kind="confirm", task_id="T1", step_id="s1", path="/x",
                      body="{}", summary="", now=NOW)
    again = queue.put(key="k1", kind="confirm", task_id="T1", step_id="s1", path="/x",
                      body="{}", summary="", now=NOW)
    assert first == again and queue.count(ItemState.PENDING) == 1


def test_a_corrupt_queue_file_is_our_error(tmp_path: Path) -> None:
    bad = tmp_path / "q.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(QueueError, match="offline queue"):
        SqliteQueue(bad)


def test_replay_delivers_in_order(courier: Courier, hub: FakeHub) -> None:
    confs = [confirmation(f"s{n}") for n in range(5)]
    for conf in confs:
        courier.send_confirmation(conf, "pick")
    done = courier.replay()
    assert done.online and hub.applied == [str(c.idempotency_key) for c in confs]
    assert [r.step_id for _, r in done.answers if r] == [f"s{n}" for n in range(5)]
    assert courier.queue.count(ItemState.PENDING) == 0
    assert courier.queue.count(ItemState.DELIVERED) == 5


def test_hub_away_keeps_everything_and_retries_later(courier: Courier, hub: FakeHub) -> None:
    hub.up = False
    confs = [confirmation("s1"), confirmation("s2")]
    for conf in confs:
        courier.send_confirmation(conf, "pick")
    first = courier.replay()
    assert not first.online and "unreachable" in (first.stopped or "")
    waiting = courier.queue.items(ItemState.PENDING)
    assert [(i.step_id, i.attempts) for i in waiting] == [("s1", 1), ("s2", 0)]
    assert "2 waiting" in sync_view(waiting, False, first.stopped).headline
    hub.up = True
    assert courier.replay().online
    assert hub.applied == [str(c.idempotency_key) for c in confs]


def test_hub_failing_with_5xx_is_retried_not_dropped(courier: Courier, hub: FakeHub) -> None:
    hub.status = 503
    courier.send_confirmation(confirmation("s1"), "pick")
    assert not courier.replay().online
    hub.status = 200
    assert courier.replay().online and len(hub.applied) == 1


def test_replaying_a_delivered_key_applies_nothing_twice(courier: Courier, hub: FakeHub) -> None:
    conf = confirmation("s1")
    courier.send_confirmation(conf, "pick")
    courier.replay()
    # The answer was lost on the way back: the PDA resends the same stored body.
    answer = courier.client.confirm(conf)
    assert answer.replayed and hub.applied == [str(conf.idempotency_key)]


def test_refusals_become_conflicts_and_the_replay_goes_on(courier: Courier,
                                                          hub: FakeHub) -> None:
    hub.refuse = {"s2": "task_cancelled"}
    for step in ("s1", "s2", "s3"):
        courier.send_confirmation(confirmation(step), "pick")
    done = courier.replay()
    assert done.online and [c.step_id for c in done.conflicts] == ["s2"]
    conflicts = courier.queue.items(ItemState.CONFLICT)
    assert [(c.step_id, c.code) for c in conflicts] == [("s2", "task_cancelled")]
    shown = sync_view(courier.queue.items(), True, None)
    assert "1 to check" in shown.headline
    assert "cancelled" in shown.conflicts[0] and "supervisor" in shown.conflicts[0]
    courier.queue.acknowledge(conflicts[0].seq)
    assert courier.queue.items(ItemState.CONFLICT) == []
    assert courier.queue.count(ItemState.ACKNOWLEDGED) == 1


def test_http_refusal_is_a_conflict_with_advice(courier: Courier, hub: FakeHub) -> None:
    hub.status = 409
    courier.send_confirmation(confirmation("s1"), "pick")
    done = courier.replay()
    assert [c.code for c in courier.queue.items(ItemState.CONFLICT)] == ["http_409"]
    assert done.online
    assert "Someone else" in sync_view(courier.queue.items(), True, None).conflicts[0]


def test_expired_token_stops_the_replay_and_asks_to_sign_in(courier: Courier,
                                                           hub: FakeHub) -> None:
    hub.token_ok = False
    courier.send_confirmation(confirmation("s1"), "pick")
    done = courier.replay()
    assert done.sign_in and courier.queue.count(ItemState.PENDING) == 1


def test_skips_go_through_the_same_queue(courier: Courier, hub: FakeHub) -> None:
    courier.send_confirmation(confirmation("s1"), "pick")
    skip = SkipRequest(idempotency_key=uuid.uuid4(), reason=SkipReason.ITEM_NOT_FOUND,
                       step_id="s2", occurred_at=NOW, device_id="pda-1")
    courier.send_skip("T1", skip)
    courier.replay()
    assert hub.applied[-1] == str(skip.idempotency_key) and len(hub.applied) == 2


def test_client_turns_transport_errors_into_ours() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/token"):
            return httpx.Response(401, json={"detail": "bad password"})
        if "/tasks/T404" in request.url.path:
            return httpx.Response(404, json={"detail": "no task T404"})
        if "/tasks/TBAD" in request.url.path:
            return httpx.Response(200, json={"task_id": "TBAD"})
        raise httpx.ReadTimeout("slow", request=request)

    client = HubClient("http://hub.test", transport=httpx.MockTransport(broken))
    with pytest.raises(SignInRequired, match="bad password"):
        client.sign_in("ann", "x")
    with pytest.raises(HubRefused, match="no task T404"):
        client.task("T404")
    with pytest.raises(HubRefused, match="not a Task"):
        client.task("TBAD")
    with pytest.raises(HubUnreachable):
        client.tasks("WH1")
    assert client.get_json("/api/v1/tasks/T404") == (404, None)
    assert not client.healthy()
