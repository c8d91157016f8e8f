"""Offline picking against a real hub in a subprocess on loopback with real PostgreSQL.

The hub goes away mid-pick (SIGKILL), the picker finishes the pick, the office cancels another
task meanwhile, the hub comes back: every confirmation is applied exactly once and in order,
and the cancelled task's confirmation is shown to the picker as a conflict, not dropped.
"""

from __future__ import annotations

import signal
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from pda_app.flows.sync import ItemState
from pda_app.flows.task import Phase
from pda_app.hub import HubClient
from pda_app.queue import SqliteQueue
from pda_app.session import PdaSession
from pda_app.settings import PdaSettings
from protocol.tasks import ResultCode, TaskState
from tests.hub_fixtures import ADMIN, ensure_admin, hub_process, hub_settings, wait_http
from tests.pda.hub_seed import (
    PICKER,
    add_pick_task,
    pick_moves,
    seed_site,
    set_task_state,
    stock,
)
from tests.pda.tasks_factory import GTIN

pytestmark = pytest.mark.integration


def _login(base: str) -> str:
    client = HubClient(base)
    try:
        return client.sign_in(*ADMIN).token
    finally:
        client.close()


def _pick(session: PdaSession, location: str, quantity: int) -> None:
    """Scan the step as the picker would, and confirm it (into the durable queue)."""
    for raw in (location, GTIN, str(quantity)):
        session.scan(raw)
    assert session.flow is not None and session.flow.phase is Phase.READY, \
        session.flow.feedback if session.flow else None
    session.confirm()


def test_hub_away_mid_pick_then_back(fresh_db_url: str, tmp_path: Path) -> None:
    settings = hub_settings(fresh_db_url, mqtt_enabled=False)
    ensure_admin(fresh_db_url)
    base = f"http://127.0.0.1:{settings.port}"
    pda_settings = PdaSettings(hub_url=base, device_id="pda-off", data_dir=tmp_path)
    client = HubClient(base, timeout=3)
    session = PdaSession(pda_settings, client, SqliteQueue(pda_settings.queue_path))
    try:
        with hub_process(settings) as proc:
            wait_http(f"{base}/healthz")
            admin = _login(base)
            seed_site(base, admin, fresh_db_url)
            add_pick_task(fresh_db_url, "OFF-1", [("A-01-02", 2), ("A-01-02", 3), ("A-02-01", 4)])
            add_pick_task(fresh_db_url, "OFF-2", [("A-02-01", 1)])
            assert session.sign_in(*PICKER).tone == "ok"
            session.take("OFF-2")  # taken before the outage, finished during it
            session.leave_task()
            session.take("OFF-1")
            _pick(session, "A-01-02", 2)
            first = session.replay()
            session.absorb(first)
            assert first.online and [r.code for _, r in first.answers if r] == [ResultCode.OK]

            proc.send_signal(signal.SIGKILL)  # the Wi-Fi drops / the hub dies mid-pick
            proc.wait(timeout=30)
            _pick(session, "A-01-02", 3)
            _pick(session, "A-02-01", 4)
            assert session.flow is not None and session.flow.phase is Phase.FINISHED
            away = session.replay()
            session.absorb(away)
            assert not away.online and session.waiting() == 2
            status = session.sync_status()
            assert status.headline.startswith("Offline") and len(status.waiting) == 2
            session.leave_task()
            session.resume("OFF-2")  # from the copy kept on the PDA: no hub needed
            assert session.flow is not None and session.flow.task.task_id == "OFF-2"
            assert session.flow.step_id == "OFF-2-1"
            _pick(session, "A-02-01", 1)
            assert session.waiting() == 3
            set_task_state(fresh_db_url, "OFF-2", TaskState.CANCELLED)  # the office, meanwhile

        with hub_process(settings):
            wait_http(f"{base}/healthz")
            back = session.replay()
            session.absorb(back)
            assert back.online and session.waiting() == 0
            codes = [(item.step_id, r.code) for item, r in back.answers if r]
            assert codes == [("OFF-1-2", ResultCode.OK), ("OFF-1-3", ResultCode.OK),
                             ("OFF-2-1", ResultCode.TASK_CANCELLED)]
            # The picker sees the conflict with what to do, on the task and on the sync screen.
            assert session.flow is not None and session.flow.phase is Phase.STOPPED
            assert "cancelled" in session.flow.feedback.message
            conflicts = session.sync_status().conflicts
            assert len(conflicts) == 1 and "OFF-2" in conflicts[0] and "supervisor" in conflicts[0]

            # Exactly once, in order: three pick moves, in the order the picker confirmed them.
            admin = _login(base)
            moves = pick_moves(base, admin, "OFF-1")
            assert [Decimal(str(m["quantity"])) for m in moves] == [2, 3, 4]
            keys = [uuid.UUID(i.key) for i in session.queue.items(ItemState.DELIVERED)]
            assert [m["event_id"] for m in moves] == [str(uuid.uuid5(k, "move-0")) for k in keys]
            assert stock(base, admin, "STAGE-1") == 9
            assert stock(base, admin, "A-01-02") == 15 and stock(base, admin, "A-02-01") == 6

            # Resending everything (a lost answer, a restarted PDA) applies nothing twice.
            for item in session.queue.items(ItemState.DELIVERED):
                answer = client.post_raw(
                    f"/api/v1/tasks/{item.task_id}/steps/{item.step_id}/confirm",
                    session.queue.body_of(item.seq))
                assert answer["replayed"] is True
            assert len(pick_moves(base, admin, "OFF-1")) == 3
            assert stock(base, admin, "STAGE-1") == 9
    finally:
        session.queue.close()
        client.close()

