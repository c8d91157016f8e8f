"""Through the hub's HTTP API on real PostgreSQL: receipt → putaway → order → wave → pick →
ship leaves balances exact, every step is a move with the user who did it, and the order's
cost of goods comes from the receipt line's cost."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import T0, WH, build_site

pytestmark = pytest.mark.integration
SSCC = "106141411234567897"


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
            create_user(conn, "sam", "supervisor-pass", ["supervisor"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def confirm(c: httpx.Client, task: dict[str, Any], step: dict[str, Any], t: float,
            key: uuid.UUID | None = None, **scan: Any) -> dict[str, Any]:
    body = {"idempotency_key": str(key or uuid.uuid4()), "task_id": task["task_id"],
            "step_id": step["step_id"], "occurred_at": (T0 + timedelta(minutes=t)).isoformat(),
            "device_id": "pda-7", **scan}
    return ok(c.post(f"/api/v1/tasks/{task['task_id']}/steps/{step['step_id']}/confirm",
                     json=body))  # type: ignore[no-any-return]


def balances(hub: Hub) -> dict[tuple[str, str], Decimal]:
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        return {(loc, sku): q for loc, sku, q in conn.execute(
            "SELECT location, sku, sum(quantity) FROM balances GROUP BY 1, 2")}


def test_receipt_to_shipment(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        hook = ok(admin.post("/api/v1/webhooks", json={  # a receiver that is down: queued
            "name": "erp", "url": "http://127.0.0.1:9/hooks", "allow_private": True,
            "event_types": ["order.shipped", "receipt.closed"], "warehouse": WH}), 201)
        _cycle(hub, admin, ann)
        _cogs_of_the_order(admin)
        ok(admin.post("/api/v1/receipts/R1/close"))
        _webhooks_queued(hub, hook["id"])


def _webhooks_queued(hub: Hub, subscription: int) -> None:
    """Shipping the order and closing the receipt queued their webhooks in their own
    transactions (the receiver is down: they wait in the outbox, nothing is lost)."""
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        queued = {t: p for t, p in conn.execute(
            "SELECT event_type, payload FROM webhook_deliveries WHERE subscription_id = %s",
            (subscription,))}
    assert set(queued) == {"order.shipped", "receipt.closed"}
    assert [(ln["sku"], ln["quantity"]) for ln in queued["order.shipped"]["lines"]] == \
        [("SKU-1", 8)]
    assert queued["receipt.closed"]["receipt_id"] == "R1"


def _cogs_of_the_order(admin: httpx.Client) -> None:
    """The valuation follows the ledger on its own thread: wait until it has valued the ship."""
    deadline = time.monotonic() + 30
    while (body := ok(admin.get("/api/v1/valuation/cogs", params={
            "warehouse": WH, "order": "O1"})))["lag_moves"] or not body["shipments"]:
        assert time.monotonic() < deadline, body
        time.sleep(0.05)  # polling over HTTP: the follower's progress has no event here
    assert [(o["order_id"], o["quantity"], o["cogs"]) for o in body["orders"]] == \
        [("O1", 8, 20.0)]  # 8 x 2.50, the receipt line's cost
    assert [(s["order_id"], s["sku"], s["lot"]) for s in body["shipments"]] == \
        [("O1", "SKU-1", "L1")]


def _cycle(hub: Hub, admin: httpx.Client, ann: httpx.Client) -> None:
    ok(admin.post("/api/v1/receipts", json={
        "receipt_id": "R1", "warehouse": WH, "dock": "DOCK-1", "lines": [
            {"line_id": "1", "sku": "SKU-1", "lot": "L1", "expiry": "2027-01-31",
             "quantity": 20, "unit_cost": "2.50",
             "units": [{"unit": {"sscc": SSCC}, "quantity": 20}]}]}), 201)

    # receive: the picker's next task is the receipt; scanning the pallet receives it
    task = ok(ann.get("/api/v1/tasks/next", params={"kind": "receive"}))
    assert task["task_id"] == "receive-R1"
    ok(ann.post(f"/api/v1/tasks/{task['task_id']}/claim"))
    got = confirm(ann, task, task["steps"][0], 1, scanned_unit={"sscc": SSCC})
    assert got["status"] == "accepted" and got["task_state"] == "done"
    (putaway_id,) = got["follow_up_task_ids"]

    # putaway: a different bin is refused for a picker; the suggested one is accepted
    putaway = ok(ann.post(f"/api/v1/tasks/{putaway_id}/claim"))
    step = putaway["steps"][0]
    target = step["to_location"]
    assert target == "A1-01"  # nearest empty bin to the dock with room
    wrong = confirm(ann, putaway, step, 2, scanned_location="A2-04", scanned_unit={"sscc": SSCC})
    assert (wrong["status"], wrong["code"]) == ("rejected", "override_not_allowed")
    assert confirm(ann, putaway, step, 3, scanned_location=target,
                   scanned_unit={"sscc": SSCC})["status"] == "accepted"
    assert balances(hub) == {(target, "SKU-1"): 20}

    # order and wave
    order = ok(admin.post("/api/v1/orders", json={
        "order_id": "O1", "warehouse": WH, "lines": [{"line_no": 1, "sku": "SKU-1",
                                                      "quantity": 8}]}), 201)
    assert order["lines"][0]["reserved"] == 8
    assert ok(admin.get("/api/v1/atp", params={"warehouse": WH, "sku": "SKU-1"}))["atp"] == \
        {"SKU-1": 12}
    wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W1",
                                                 "today": "2026-06-01"}), 201)
    assert wave["orders"] == ["O1"] and wave["shortfalls"] == []

    # pick: wrong item refused, then the right scan; a replay applies nothing twice
    (pick_id,) = wave["task_ids"]
    pick = ok(ann.post(f"/api/v1/tasks/{pick_id}/claim"))
    step = pick["steps"][0]
    assert (step["location"], step["lot"], step["expected_quantity"]) == (target, "L1", 8)
    scans = {"scanned_location": target, "lot": "L1", "quantity": 8}
    assert confirm(ann, pick, step, 4, scanned_sku="SKU-2", **scans)["code"] == "wrong_item"
    key = uuid.uuid4()
    first = confirm(ann, pick, step, 5, key=key, scanned_gtin="09506000134352", **scans)
    again = confirm(ann, pick, step, 5, key=key, scanned_gtin="09506000134352", **scans)
    assert first["status"] == "accepted" and first["task_state"] == "done"
    assert again["replayed"] is True and again["move_ids"] == first["move_ids"]
    assert balances(hub) == {(target, "SKU-1"): 12, ("STAGE-1", "SKU-1"): 8}
    assert ok(admin.get("/api/v1/orders/O1"))["state"] == "picked"

    # ship: the picked stock leaves; the reservation is gone with it
    ok(admin.post("/api/v1/orders/O1/ship", json={
        "occurred_at": (T0 + timedelta(minutes=9)).isoformat(), "device_id": "portal-out",
        "source_kind": "rfid", "read_point": "DOCK-1"}))
    assert balances(hub) == {(target, "SKU-1"): 12}
    assert ok(admin.get("/api/v1/orders/O1"))["state"] == "shipped"
    assert ok(admin.get("/api/v1/atp", params={"warehouse": WH, "sku": "SKU-1"}))["atp"] == \
        {"SKU-1": 12}

    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        moves = conn.execute("SELECT reason, source_kind, user_id, from_location, to_location, "
                             "quantity FROM moves ORDER BY occurred_at, seq").fetchall()
    assert [(m[0], m[1], m[2]) for m in moves] == [
        ("receive", "pda", "ann"), ("putaway", "pda", "ann"), ("pick", "pda", "ann"),
        ("ship", "rfid", "admin")]
    assert moves[2][3:] == (target, "STAGE-1", Decimal(8))


def test_task_api_errors_and_roles(hub: Hub) -> None:
    with hub.client(hub.login("ann", "picker-pass")) as ann:
        _errors(hub, ann)


def _errors(hub: Hub, ann: httpx.Client) -> None:
    assert ann.get("/api/v1/tasks/nope").status_code == 404
    assert ann.post("/api/v1/orders", json={"order_id": "X", "warehouse": WH, "lines": [
        {"line_no": 1, "sku": "SKU-1", "quantity": 1}]}).status_code == 403
    assert httpx.get(f"{hub.base_url}/api/v1/tasks", timeout=10).status_code == 401
    # the task is looked up (and its warehouse checked) before the body is read
    assert ann.post("/api/v1/tasks/t/steps/s/confirm", json={"task_id": "t"}).status_code == 404
    with hub.client() as admin:
        (task_id,) = ok(admin.post("/api/v1/counts", json={"warehouse": WH,
                                                          "locations": ["A1-01"]}), 201)["task_ids"]
    bad = ann.post(f"/api/v1/tasks/{task_id}/steps/s/confirm", json={"task_id": task_id})
    assert bad.status_code == 422


def test_putaway_rules_cold_zone_and_replenishment(hub: Hub) -> None:
    from cloud_hub.catalog.model import Location
    from cloud_hub.catalog.pg.store import upsert_locations
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        upsert_locations(conn, [
            Location(f"C-0{i}", WH, "bin", x=30.0 + i, y=0, capacity=Decimal(100),
                     attributes={"aisle": 9, "bay": i, "zone": "cold", "tags": ["cold"]})
            for i in (1, 2)])
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        assert ann.put("/api/v1/sku-profiles/SKU-2", json={"needs": ["cold"]}).status_code == 403
        ok(admin.put("/api/v1/sku-profiles/SKU-2", json={"needs": ["cold"]}))
        ok(admin.put("/api/v1/putaway-rules/sku/SKU-2", json={
            "strategies": ["consolidate", "nearest_empty"], "zones": ["cold"]}))
        rules = ok(admin.get("/api/v1/putaway-rules"))
        assert rules["sku"]["SKU-2"]["zones"] == ["cold"]
        ok(admin.post("/api/v1/receipts", json={
            "receipt_id": "R2", "warehouse": WH, "dock": "DOCK-1",
            "lines": [{"line_id": "1", "sku": "SKU-2", "quantity": 6}]}), 201)
        got = ok(admin.post("/api/v1/receipts/R2/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": "SKU-2", "quantity": 6,
            "occurred_at": (T0 + timedelta(hours=1)).isoformat(), "device_id": "dock-1"}))
        putaway = ok(ann.post(f"/api/v1/tasks/{got['putaway_task_id']}/claim"))
        step = putaway["steps"][0]
        assert step["to_location"] == "C-01"  # the only zone SKU-2 may go to, nearest first
        assert confirm(ann, putaway, step, 61, scanned_location="C-01")["status"] == "accepted"

        made = ok(admin.post("/api/v1/replenishments", json={
            "warehouse": WH, "sku": "SKU-2", "quantity": 4, "from_location": "C-01",
            "to_location": "C-02"}), 201)
        task = ok(ann.post(f"/api/v1/tasks/{made['task_id']}/claim"))
        done = confirm(ann, task, task["steps"][0], 62, scanned_location="C-01",
                       scanned_sku="SKU-2", quantity=4)
        assert done["status"] == "accepted" and done["task_state"] == "done"
        now = balances(hub)
        assert (now[("C-01", "SKU-2")], now[("C-02", "SKU-2")]) == (2, 4)
