"""A task confirmation reaches the live feed through the ledger's one apply entry point: its
move and the balances it wrote are published once, after the commit, from what the commit
applied (not every balance at the places it touched, read again); a replayed confirmation
publishes nothing. Real hub, PostgreSQL and WebSocket."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import websockets

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, Source, StockMoved, encode_event
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import T0, WH, build_site, stock

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            stock(conn, "SKU-1", 10, "A1-01")
            stock(conn, "SKU-2", 3, "A1-01")  # untouched by the task: not on the feed
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def test_a_confirmed_replenishment_is_on_the_live_feed_once(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        made = ok(admin.post("/api/v1/replenishments", json={
            "warehouse": WH, "sku": "SKU-1", "lot": "L1", "quantity": 4,
            "from_location": "A1-01", "to_location": "A1-02"}), 201)
        task = ok(ann.post(f"/api/v1/tasks/{made['task_id']}/claim"))
        step = task["steps"][0]
        body = {"idempotency_key": str(uuid.uuid4()), "task_id": task["task_id"],
                "step_id": step["step_id"], "occurred_at": (T0 + timedelta(hours=1)).isoformat(),
                "device_id": "pda-7", "scanned_location": "A1-01", "scanned_sku": "SKU-1",
                "lot": "L1", "quantity": 4}
        url = f"/api/v1/tasks/{task['task_id']}/steps/{step['step_id']}/confirm"
        sentinel = StockMoved(event_id=uuid.uuid4(), occurred_at=T0 + timedelta(hours=2),
                              warehouse=WH, source=Source(kind="barcode", device_id="end"),
                              item=ItemLine(sku="SKU-2", quantity=1), to_location="A2-04",
                              reason="receive")

        async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
            async with websockets.connect(hub.live_url(WH)) as feed:
                first = await asyncio.to_thread(lambda: ok(ann.post(url, json=body)))
                again = await asyncio.to_thread(lambda: ok(ann.post(url, json=body)))
                # A REST move after both: the feed delivers in commit order, so everything
                # before the sentinel's move came from the confirmation and its replay.
                await asyncio.to_thread(lambda: ok(admin.post(
                    "/api/v1/moves", content=encode_event(sentinel),
                    headers={"Content-Type": "application/json"})))
                seen: list[dict[str, Any]] = []
                while not any(m.get("event_id") == str(sentinel.event_id) for m in seen):
                    seen.append(json.loads(await asyncio.wait_for(feed.recv(), 10)))
                return first, again, seen[:-1]

        first, again, seen = asyncio.run(scenario())
    assert first["status"] == "accepted" and again["replayed"] is True
    (move_id,) = first["move_ids"]
    moves = [m for m in seen if m["type"] == "move"]
    assert [(m["event_id"], m["outcome"], m["from_location"], m["to_location"], m["quantity"],
             m["user_id"]) for m in moves] == [(move_id, "applied", "A1-01", "A1-02", 4.0, "ann")]
    balances = sorted((m["location"], m["sku"], m["lot"], m["quantity"])
                      for m in seen if m["type"] == "balance")
    assert balances == [("A1-01", "SKU-1", "L1", 6.0), ("A1-02", "SKU-1", "L1", 4.0)]
