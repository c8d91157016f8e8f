"""Webhooks through a running hub: an admin subscribes, moves posted over REST reach a real
receiver signed and in order, the log shows them, a failed one is replayed; loopback targets
are refused unless allowed, and only admins manage webhooks."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.integration
SITE = [{"code": c, "warehouse": "WH1", "kind": "bin", "x": i, "y": 0}
        for i, c in enumerate(["DOCK-1", "BIN-A"])]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False,
                                                webhooks_interval_s=0.2) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
        with connect(url) as conn:
            create_user(conn, "mia", "manager-pass", ["manager"], ["WH1"])
        yield h


def test_subscribe_post_moves_receive_them_signed_in_order(hub: Hub) -> None:
    receiver = Receiver().start()
    try:
        with hub.client() as c:
            r = c.post("/api/v1/webhooks", json={
                "name": "erp", "url": receiver.url, "event_types": ["move.applied"],
                "allow_private": True})
            assert r.status_code == 201, r.text
            receiver.secret = r.json()["secret"]
            moves = [item_move("S-HOOK", 2, None, "BIN-A", t=i) for i in range(5)]
            assert c.post("/api/v1/moves", content=encode_batch(moves)).json()["applied"] == 5
            got = receiver.wait_for(5)  # the apply service wakes the dispatcher
            assert [m["id"] for m in got] == [f"msg_move_{m.event_id}" for m in moves]
            assert all(m["verified"] for m in got)
            # the log (its states commit just after the receiver answers)
            log = c.get(f"/api/v1/webhooks/{r.json()['id']}/deliveries").json()
            assert [e["message_id"] for e in log] == [m["id"] for m in got]
            again = c.post(f"/api/v1/webhooks/deliveries/{log[0]['id']}/replay")
            assert again.status_code == 200 and again.json()["state"] == "pending"
            assert receiver.wait_for(6)[-1]["id"] == log[0]["message_id"], \
                "a replay is the same message (same webhook-id): receivers dedupe on it"
            assert c.post("/api/v1/webhooks/deliveries/999999/replay").status_code == 404
    finally:
        receiver.stop()


def test_loopback_targets_need_an_admins_permission(hub: Hub) -> None:
    with hub.client() as c:
        r = c.post("/api/v1/webhooks", json={"name": "x", "url": "http://127.0.0.1:8080/in",
                                             "event_types": ["move.applied"]})
        assert r.status_code == 422 and "loopback, private or reserved" in r.json()["detail"]
        r = c.post("/api/v1/webhooks", json={"name": "x", "url": "http://10.1.2.3/in",
                                             "event_types": ["teleport"]})
        assert r.status_code == 422


def test_only_admins_manage_webhooks(hub: Hub) -> None:
    manager = hub.login("mia", "manager-pass")
    with hub.client(manager) as c:
        assert c.get("/api/v1/webhooks").status_code == 403
        assert c.post("/api/v1/webhooks", json={"name": "x", "url": "https://example.com/",
                                                "event_types": ["move.applied"]}
                      ).status_code == 403
    assert httpx.get(f"{hub.base_url}/api/v1/webhooks").status_code == 401
