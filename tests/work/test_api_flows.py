"""More floor situations through the HTTP API on real PostgreSQL: short pick → backorder and a
blind count; counts with moves during the count, auto-adjust vs supervisor review; quarantine
on receipt until released; portal arrivals and receipt discrepancies; skip and exceptions."""

from __future__ import annotations

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
from tests.work.site import T0, WH, build_site, stock
from tests.work.test_api_cycle import confirm, ok

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    """One hub for the module: each test works with its own SKUs and bins."""
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
            create_user(conn, "sam", "supervisor-pass", ["supervisor"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def db(hub: Hub) -> Any:
    return connect(hub.settings.database_url or "", migrate_schema=False)


def qty(hub: Hub, location: str, sku: str, status: str = "available") -> Decimal:
    with db(hub) as conn:
        row = conn.execute("SELECT sum(quantity) FROM balances WHERE location = %s AND sku = %s "
                           "AND status = %s", (location, sku, status)).fetchone()
    return row[0] or Decimal(0)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def test_short_pick_backorders_and_counts_the_bin(hub: Hub) -> None:
    with db(hub) as conn:
        stock(conn, "SKU-2", 5, "A1-02")
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        ok(admin.post("/api/v1/orders", json={"order_id": "O2", "warehouse": WH, "lines": [
            {"line_no": 1, "sku": "SKU-2", "quantity": 5}]}), 201)
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "today": "2026-06-01"}), 201)
        pick = ok(ann.post(f"/api/v1/tasks/{wave['task_ids'][0]}/claim"))
        step = pick["steps"][0]
        over = confirm(ann, pick, step, 1, scanned_location="A1-02", scanned_sku="SKU-2",
                       quantity=6)
        assert over["code"] == "quantity_over"
        got = confirm(ann, pick, step, 2, scanned_location="A1-02", scanned_sku="SKU-2",
                      quantity=3, short=True)
        assert (got["status"], got["code"], got["task_state"]) == ("accepted", "short_pick",
                                                                    "done")
        line = ok(admin.get("/api/v1/orders/O2"))["lines"][0]
        assert (line["picked"], line["backordered"], line["reserved"]) == (3, 2, 3)
        # the count task for the bin is blind: the PDA never sees the expected quantity
        (count_id,) = got["follow_up_task_ids"]
        count = ok(ann.post(f"/api/v1/tasks/{count_id}/claim"))
        cstep = count["steps"][0]
        assert cstep["blind"] and cstep.get("expected_quantity") is None
        assert count["priority"] > 0
        # the bin really holds 2 (the ledger says 2 after the pick): exact, nothing to adjust
        counted = confirm(ann, count, cstep, 3, scanned_location="A1-02", scanned_sku="SKU-2",
                          quantity=2)
        assert (counted["status"], counted["code"], counted["move_ids"]) == ("accepted", "ok", [])


def test_count_with_moves_during_it_small_variance_posts_large_needs_review(hub: Hub) -> None:
    with db(hub) as conn:
        stock(conn, "SKU-1", 50, "A2-01")
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann, \
            hub.client(hub.login("sam", "supervisor-pass")) as sam:
        (task_id,) = ok(admin.post("/api/v1/counts", json={
            "warehouse": WH, "locations": ["A2-01"], "blind": False}), 201)["task_ids"]
        task = ok(ann.post(f"/api/v1/tasks/{task_id}/claim"))
        assert task["steps"][0]["expected_quantity"] == 50  # an open count shows it
        # 10 leave the bin before the counter gets there, 5 arrive after the count
        ok(admin.post("/api/v1/moves", json=_move("SKU-1", 10, "A2-01", "A1-04", 1)))
        ok(admin.post("/api/v1/moves", json=_move("SKU-1", 5, "A1-04", "A2-01", 30)))
        got = confirm(ann, task, task["steps"][0], 10, scanned_location="A2-01",
                      scanned_sku="SKU-1", quantity=39)
        assert got["code"] == "ok" and len(got["move_ids"]) == 1  # 40 expected, 1 missing
        assert qty(hub, "A2-01", "SKU-1") == Decimal(44)

        (task_id,) = ok(admin.post("/api/v1/counts", json={
            "warehouse": WH, "locations": ["A2-01"]}), 201)["task_ids"]
        task = ok(ann.post(f"/api/v1/tasks/{task_id}/claim"))
        got = confirm(ann, task, task["steps"][0], 40, scanned_location="A2-01",
                      scanned_sku="SKU-1", quantity=30)
        assert (got["code"], got["move_ids"]) == ("variance_review", [])
        assert qty(hub, "A2-01", "SKU-1") == Decimal(44)
        (pending,) = ok(sam.get("/api/v1/counts/review", params={"warehouse": WH}))
        assert (pending["expected"], pending["counted"], pending["variance"]) == (44, 30, -14)
        assert ann.post(f"/api/v1/counts/{task_id}/1/approve",
                        json={"occurred_at": at(50)}).status_code == 403
        ok(sam.post(f"/api/v1/counts/{task_id}/1/approve", json={"occurred_at": at(50)}))
        assert qty(hub, "A2-01", "SKU-1") == Decimal(30)
        assert sam.post(f"/api/v1/counts/{task_id}/1/approve",
                        json={"occurred_at": at(50)}).status_code == 409
        acc = {r["location"]: r for r in ok(sam.get("/api/v1/counts/accuracy",
                                                    params={"warehouse": WH}))}
        assert (acc["A2-01"]["counts"], acc["A2-01"]["exact"]) == (2, 0)
        with db(hub) as conn:
            users = conn.execute("SELECT reason, user_id FROM moves WHERE task_id IS NOT NULL "
                                 "AND 'A2-01' IN (from_location, to_location) "
                                 "ORDER BY seq").fetchall()
        assert users == [("count", "ann"), ("adjust", "sam")]


def _move(sku: str, n: int, src: str, dst: str, minutes: float) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": at(minutes), "warehouse": WH,
            "source": {"kind": "barcode", "device_id": "scanner-1"},
            "item": {"sku": sku, "lot": "L1", "quantity": n}, "from_location": src,
            "to_location": dst, "reason": "transfer"}


def test_portal_arrival_quarantine_release_and_discrepancies(hub: Hub) -> None:
    sscc_a, sscc_b = "106141411234567897", "106141411234567880"
    with hub.client() as admin:
        ok(admin.post("/api/v1/receipts", json={
            "receipt_id": "R9", "warehouse": WH, "dock": "DOCK-1", "quarantine": True,
            "lines": [{"line_id": "1", "sku": "SKU-3", "lot": "L1", "quantity": 20,
                       "units": [{"unit": {"sscc": sscc_a}, "quantity": 10},
                                 {"unit": {"sscc": sscc_b}, "quantity": 10}]},
                      {"line_id": "2", "sku": "SKU-2", "quantity": 4}]}), 201)
        arrival = {"event_id": str(uuid.uuid4()), "unit": {"sscc": sscc_a},
                   "occurred_at": at(1), "device_id": "portal-in", "source_kind": "rfid"}
        got = ok(admin.post("/api/v1/receipts/R9/arrivals", json=arrival))
        assert got["match"] == "matched" and got["putaway_task_id"]
        assert ok(admin.post("/api/v1/receipts/R9/arrivals", json={
            **arrival, "event_id": str(uuid.uuid4())}))["match"] == "duplicate"
        assert ok(admin.post("/api/v1/receipts/R9/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": "SKU-2", "quantity": 6, "occurred_at": at(2),
            "device_id": "dock-scanner"}))["match"] == "over"
        assert qty(hub, "DOCK-1", "SKU-3", "quarantine") == Decimal(10)
        assert ok(admin.get("/api/v1/atp", params={"warehouse": WH, "sku": "SKU-3"}))["atp"] \
            == {"SKU-3": 0}
        found = ok(admin.post("/api/v1/receipts/R9/close"))["discrepancies"]
        assert {(d["kind"], d["line_id"]) for d in found} == {("under", "1"), ("over", "2")}
        released = ok(admin.post("/api/v1/receipts/R9/release", json={"occurred_at": at(5)}))
        assert len(released["move_ids"]) == 2
        assert qty(hub, "DOCK-1", "SKU-3") == Decimal(10)
        assert qty(hub, "DOCK-1", "SKU-2") == Decimal(6)
        assert ok(admin.get("/api/v1/atp", params={"warehouse": WH, "sku": "SKU-3"}))["atp"] \
            == {"SKU-3": 10}


def test_skip_and_exception_are_idempotent(hub: Hub) -> None:
    with db(hub) as conn:
        stock(conn, "SKU-1", 7, "A1-03")
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        (task_id,) = ok(admin.post("/api/v1/counts", json={
            "warehouse": WH, "locations": ["A1-03"]}), 201)["task_ids"]
        ok(ann.post(f"/api/v1/tasks/{task_id}/claim"))
        skip = {"idempotency_key": str(uuid.uuid4()), "reason": "location_blocked",
                "occurred_at": at(1), "device_id": "pda-7"}
        first = ok(ann.post(f"/api/v1/tasks/{task_id}/skip", json=skip))
        assert (first["state"], first["assigned_to"]) == ("open", None)
        assert ok(ann.post(f"/api/v1/tasks/{task_id}/skip", json=skip)) == first
        report = {"idempotency_key": str(uuid.uuid4()), "kind": "item_missing",
                  "location": "A1-03", "sku": "SKU-1", "occurred_at": at(2), "device_id": "p"}
        made = ok(ann.post(f"/api/v1/tasks/{task_id}/exception", json=report))
        again = ok(ann.post(f"/api/v1/tasks/{task_id}/exception", json=report))
        assert again["replayed"] and again["exception_id"] == made["exception_id"]
        assert len(made["follow_up_task_ids"]) == 1
        listed = ok(ann.get("/api/v1/tasks", params={"kind": "count", "state": "open"}))
        assert {task_id, *made["follow_up_task_ids"]} <= {t["task_id"] for t in listed["tasks"]}
        assert httpx.codes.is_success(ann.get(f"/api/v1/tasks/{task_id}").status_code)
