"""Stock figures that stay right (issue 18's acceptance defects), through the hub's HTTP API on
real PostgreSQL: a closed receipt receives nothing more, an over-receipt beyond the receipt's
tolerance needs a supervisor, and FEFO reads lot expiry from every applied event."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import WH, build_site
from tests.work.test_api_cycle import ok

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)


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


def on_hand(hub: Hub, sku: str) -> Decimal:
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        row = conn.execute("SELECT sum(quantity) FROM balances WHERE sku = %s", (sku,)).fetchone()
    return row[0] if row and row[0] is not None else Decimal(0)


def receipt(c: httpx.Client, receipt_id: str, sku: str, qty: int, **extra: Any) -> str:
    body = {"receipt_id": receipt_id, "warehouse": WH, "dock": "DOCK-1",
            "lines": [{"line_id": "1", "sku": sku, "lot": "LR", "quantity": qty, **extra}]}
    return ok(c.post("/api/v1/receipts", json=body), 201)["task_id"]  # type: ignore[no-any-return]


def confirm_receive(c: httpx.Client, task_id: str, sku: str, qty: int) -> dict[str, Any]:
    body = {"idempotency_key": str(uuid.uuid4()), "task_id": task_id, "step_id": "1",
            "occurred_at": NOW.isoformat(), "device_id": "pda-7", "scanned_sku": sku,
            "lot": "LR", "quantity": qty}
    return ok(c.post(f"/api/v1/tasks/{task_id}/steps/1/confirm", json=body))  # type: ignore[no-any-return]


def test_a_closed_receipt_cancels_its_receive_task_and_receives_nothing_more(hub: Hub) -> None:
    sku = "SKU-RC"
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        task_id = receipt(admin, "R-CLOSED", sku, 50)
        got = ok(admin.post("/api/v1/receipts/R-CLOSED/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": sku, "lot": "LR", "quantity": 50,
            "occurred_at": NOW.isoformat(), "device_id": "dock-scanner"}))
        assert got["match"] == "matched"
        assert ok(admin.post("/api/v1/receipts/R-CLOSED/close"))["discrepancies"] == []
        task = ok(ann.get(f"/api/v1/tasks/{task_id}"))
        assert task["state"] == "cancelled" and "R-CLOSED was closed" in task["note"]
        late = confirm_receive(ann, task_id, sku, 60)
        assert (late["status"], late["code"]) == ("rejected", "task_cancelled")
        assert "closed" in late["message"]
        refused = admin.post("/api/v1/receipts/R-CLOSED/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": sku, "lot": "LR", "quantity": 5,
            "occurred_at": NOW.isoformat(), "device_id": "dock-scanner"})
        assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    assert on_hand(hub, sku) == 50


def test_a_task_left_open_on_a_closed_receipt_is_refused_with_the_reason(hub: Hub) -> None:
    sku = "SKU-RL"
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        task_id = receipt(admin, "R-LEGACY", sku, 50)
        with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
            conn.execute("UPDATE work_receipts SET state = 'closed' WHERE receipt_id = "
                         "'R-LEGACY'")  # closed before closing cancelled tasks
        late = confirm_receive(ann, task_id, sku, 50)
        assert (late["status"], late["code"]) == ("rejected", "task_cancelled")
        assert "receipt R-LEGACY is closed" in late["message"]
    assert on_hand(hub, sku) == 0


def test_over_receipt_beyond_the_tolerance_needs_a_supervisor(hub: Hub) -> None:
    sku = "SKU-RO"
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann, \
            hub.client(hub.login("sam", "supervisor-pass")) as sam:
        task_id = receipt(admin, "R-OVER", sku, 50)
        too_many = confirm_receive(ann, task_id, sku, 60)
        assert (too_many["status"], too_many["code"]) == ("rejected", "quantity_over")
        assert "60 of 50" in too_many["message"] and "supervisor" in too_many["message"]
        assert on_hand(hub, sku) == 0
        accepted = confirm_receive(sam, task_id, sku, 60)
        assert accepted["status"] == "accepted"
        arrivals = ok(admin.get("/api/v1/receipts/R-OVER"))["arrivals"]
        assert [(a["match"], a["quantity"]) for a in arrivals] == [("over", 60)]
        within = receipt(admin, "R-WITHIN", sku, 50, )
        assert confirm_receive(ann, within, sku, 54)["status"] == "accepted"  # +8 %
        strict = receipt(admin, "R-STRICT", sku, 10)
        ok(admin.post("/api/v1/receipts", json={
            "receipt_id": "R-ZERO", "warehouse": WH, "dock": "DOCK-1",
            "over_tolerance_pct": 0, "lines": [{"line_id": "1", "sku": sku, "lot": "LR",
                                                "quantity": 10}]}), 201)
        assert confirm_receive(ann, "receive-R-ZERO", sku, 11)["code"] == "quantity_over"
        assert confirm_receive(ann, strict, sku, 11)["status"] == "accepted"
    assert on_hand(hub, sku) == 60 + 54 + 11


def _post_move(c: httpx.Client, item: dict[str, Any], src: str | None, dst: str,
               reason: str) -> None:
    event = {"event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(), "warehouse": WH,
             "source": {"kind": "system", "device_id": "erp-import"}, "item": item,
             "from_location": src, "to_location": dst, "reason": reason}
    assert ok(c.post("/api/v1/moves", json=event))["applied"] == 1


def test_fefo_picks_the_lot_expiring_first_whatever_brought_it_in(hub: Hub) -> None:
    sku, soon, later = "SKU-FEFO", (NOW + timedelta(days=10)).date(), "2027-12-31"
    with hub.client() as admin:
        # Opening stock, loaded as moves: the lot that expires this month.
        _post_move(admin, {"sku": sku, "lot": "SOON", "quantity": 10,
                           "expiry": soon.isoformat()}, None, "A2-03", "adjust")
        # A receipt of a lot that keeps until 2027, put away nearer the staging lane.
        receipt(admin, "R-FEFO", sku, 10, expiry=later)
        ok(admin.post("/api/v1/receipts/R-FEFO/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": sku, "lot": "LR", "quantity": 10,
            "occurred_at": NOW.isoformat(), "device_id": "dock-scanner"}))
        _post_move(admin, {"sku": sku, "lot": "LR", "quantity": 10}, "DOCK-1", "A1-04",
                   "putaway")
        ok(admin.post("/api/v1/orders", json={"order_id": "O-FEFO", "warehouse": WH,
                                              "lines": [{"line_no": 1, "sku": sku,
                                                         "quantity": 4}]}), 201)
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-FEFO",
                                                     "today": NOW.date().isoformat()}), 201)
        (pick_id,) = wave["task_ids"]
        step = ok(admin.get(f"/api/v1/tasks/{pick_id}"))["steps"][0]
    assert (step["lot"], step["location"], step["expiry"]) == ("SOON", "A2-03", soon.isoformat())
