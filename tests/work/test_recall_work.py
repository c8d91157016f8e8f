"""A recall as warehouse work sees it, through the hub's HTTP API on real PostgreSQL: customers
and ship-to on orders reach the shipment and the recall report; the recalled lot leaves ATP,
its open pick step is cancelled (backordered), a picker is refused it with the recall named,
an order holding picked stock of it does not ship; release gives it all back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.rebuild import check_consistency
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import T0, WH, build_site, stock
from tests.work.test_api_cycle import confirm, ok

pytestmark = pytest.mark.integration
ADDRESS = {"lines": ["1 Quay Street"], "city": "Rotterdam", "postcode": "3011", "country": "NL"}
DEPOT = {"lines": ["Depot 4", "Harbour Road"], "city": "Antwerp", "country": "BE"}


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            stock(conn, "SKU-1", 10, "A1-01", lot="LOT-R")
            stock(conn, "SKU-2", 4, "A2-01", lot="LOT-K")
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def _when(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def _order(admin: httpx.Client, order_id: str, qty: int, **more: Any) -> dict[str, Any]:
    return ok(admin.post("/api/v1/orders", json={  # type: ignore[no-any-return]
        "order_id": order_id, "warehouse": WH, "carrier": "DHL",
        "lines": [{"line_no": 1, "sku": "SKU-1", "quantity": qty}], **more}), 201)


def _pick(ann: httpx.Client, wave: dict[str, Any], t: float) -> dict[str, Any]:
    (task_id,) = wave["task_ids"]
    task = ok(ann.post(f"/api/v1/tasks/{task_id}/claim"))
    step = task["steps"][0]
    return confirm(ann, task, step, t, scanned_location=step["location"], scanned_sku="SKU-1",
                   lot=step["lot"], quantity=step["expected_quantity"])


def _atp(admin: httpx.Client) -> float:
    return ok(admin.get("/api/v1/atp", params={"warehouse": WH, "sku": "SKU-1"}))["atp"]["SKU-1"]


def test_customers_bad_input_is_a_problem_and_roles_are_checked(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        bad = admin.put("/api/v1/customers/C-1", json={"name": "Acme", "address": {
            **ADDRESS, "country": "Netherlands"}})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        dup = admin.put("/api/v1/customers/C-1", json={"name": "Acme", "address": ADDRESS,
                        "ship_tos": [{"ship_to_id": "S", "name": "a", "address": DEPOT}] * 2})
        assert dup.status_code == 422 and "unique" in dup.text
        assert ann.put("/api/v1/customers/C-1", json={"name": "Acme",
                                                      "address": ADDRESS}).status_code == 403
        assert admin.get("/api/v1/customers/NOPE").status_code == 404
        unknown = admin.post("/api/v1/orders", json={
            "order_id": "O-BAD", "warehouse": WH, "customer_id": "NOPE",
            "lines": [{"line_no": 1, "sku": "SKU-1", "quantity": 1}]})
        assert unknown.status_code == 422 and "no customer NOPE" in unknown.text
        assert admin.get("/api/v1/orders/O-BAD").status_code == 404  # nothing half-written


def test_a_recalled_lot_cannot_be_picked_nor_shipped_and_release_gives_it_back(
        hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        acme = ok(admin.put("/api/v1/customers/C-ACME", json={
            "name": "Acme Foods", "address": ADDRESS,
            "ship_tos": [{"ship_to_id": "ANTWERP", "name": "Acme depot", "address": DEPOT}]}))
        assert [s["ship_to_id"] for s in acme["ship_tos"]] == ["ANTWERP"]
        assert ann.get("/api/v1/customers", params={"name": "acme"}).json()[0]["name"] == \
            "Acme Foods"

        # shipped before the recall: 2 to Acme's Antwerp depot on O-SHIP
        order = _order(admin, "O-SHIP", 2, customer_id="C-ACME", ship_to_id="ANTWERP")
        assert order["customer_id"] == "C-ACME" and order["ship_to"]["name"] == "Acme depot"
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-1",
                                                     "today": "2026-06-01"}), 201)
        assert _pick(ann, wave, 1)["status"] == "accepted"
        ok(admin.post("/api/v1/orders/O-SHIP/ship", json={"occurred_at": _when(2),
                                                           "device_id": "dock"}))
        # picked, not shipped: 3 in staging for O-STAGED; and an open pick step of 4 for O-OPEN
        _order(admin, "O-STAGED", 3, customer_id="C-ACME")
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-2",
                                                     "today": "2026-06-01"}), 201)
        assert _pick(ann, wave, 3)["status"] == "accepted"
        _order(admin, "O-OPEN", 4)
        open_wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-3",
                                                          "today": "2026-06-01"}), 201)
        assert _atp(admin) == 8 - 3 - 4

        report = ok(admin.post("/api/v1/recalls", json={
            "recall_id": "RC-W", "warehouse": WH, "sku": "SKU-1", "lot": "LOT-R",
            "reason": "supplier: listeria"}))
        assert report["quantity"] == 8
        assert report["shipped"] == [{
            "order_id": "O-SHIP", "quantity": 2, "carrier": "DHL", "customer_id": "C-ACME",
            "customer": "Acme Foods", "ship_to": {"ship_to_id": "ANTWERP", "name": "Acme depot",
                                                  "address": {**DEPOT, "postcode": ""}}}]
        assert [(p["order_id"], p["quantity"]) for p in report["cancelled_picks"]] == [
            ("O-OPEN", 4)]
        assert [(p["order_id"], p["location"], p["quantity"])
                for p in report["flagged_picks"]] == [("O-STAGED", "STAGE-1", 3)]
        assert _atp(admin) == 0

        # the picker holding the cancelled step is told why
        (task_id,) = open_wave["task_ids"]
        task = ok(ann.get(f"/api/v1/tasks/{task_id}"))
        assert task["state"] == "cancelled" and "RC-W" in task["note"]
        step = task["steps"][0]
        got = confirm(ann, task, step, 5, scanned_location=step["location"],
                      scanned_sku="SKU-1", lot="LOT-R", quantity=4)
        assert (got["status"], got["code"]) == ("rejected", "recalled")
        assert "LOT-R" in got["message"] and "RC-W" in got["message"]
        line = ok(admin.get("/api/v1/orders/O-OPEN"))["lines"][0]
        assert (line["reserved"], line["backordered"]) == (0, 4)
        # a new wave does not allocate it; the staged order does not ship
        _order(admin, "O-LATE", 1)
        late = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-4",
                                                     "today": "2026-06-01"}), 201)
        assert late["task_ids"] == []
        refused = admin.post("/api/v1/orders/O-STAGED/ship", json={"occurred_at": _when(6),
                                                                    "device_id": "dock"})
        assert refused.status_code == 409 and "RC-W" in refused.json()["detail"]

        released = ok(admin.post("/api/v1/recalls/RC-W/release", json={"reason": "cleared"}))
        assert released["quantity"] == 8 and released["state"] == "released"
        assert _atp(admin) == 8 - 3
        ok(admin.post("/api/v1/orders/O-STAGED/ship", json={"occurred_at": _when(7),
                                                             "device_id": "dock"}))
        with hub.client() as c:  # trace forward shows to whom the lot went
            trace = c.get("/api/v1/trace", params={"warehouse": WH, "lot": "LOT-R",
                                                    "direction": "forward"}).json()
        whom = {o["order_id"]: (o["customer"], (o["ship_to"] or {}).get("name"))
                for o in trace["orders"]}
        assert whom["O-SHIP"] == ("Acme Foods", "Acme depot")
        assert whom["O-STAGED"] == ("Acme Foods", "Acme Foods")
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        ships = conn.execute("SELECT payload->>'customer' FROM moves WHERE reason = 'ship'")
        assert {r[0] for r in ships} == {"C-ACME"}
        assert check_consistency(conn).ok


def test_a_picker_scanning_a_recalled_serial_is_refused(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        ok(admin.post("/api/v1/moves", json={
            "event_id": "7d0f0c2e-8f7a-4c44-9a51-1b2c3d4e5f60", "occurred_at": _when(10),
            "warehouse": WH, "source": {"kind": "barcode", "device_id": "scan-1"},
            "item": {"sku": "SKU-2", "lot": "LOT-K", "serial": "SN-K1", "quantity": 1},
            "to_location": "A2-01", "reason": "receive"}))
        ok(admin.post("/api/v1/orders", json={
            "order_id": "O-K", "warehouse": WH,
            "lines": [{"line_no": 1, "sku": "SKU-2", "quantity": 2}]}), 201)
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-K",
                                                     "today": "2026-06-01"}), 201)
        held = ok(admin.post("/api/v1/recalls", json={
            "recall_id": "RC-SK", "warehouse": WH, "sku": "SKU-2", "serials": ["SN-K1"],
            "reason": "returned by a customer: faulty"}))
        assert held["quantity"] == 1 and held["cancelled_picks"] == []  # steps name lots
        (task_id,) = wave["task_ids"]
        task = ok(ann.post(f"/api/v1/tasks/{task_id}/claim"))
        step = task["steps"][0]
        scans = {"scanned_location": step["location"], "scanned_sku": "SKU-2",
                 "lot": "LOT-K", "quantity": 1}
        got = confirm(ann, task, step, 11, serial="SN-K1", **scans)
        assert (got["status"], got["code"]) == ("rejected", "recalled")
        assert "SN-K1" in got["message"] and "RC-SK" in got["message"]
        assert confirm(ann, task, step, 12, **scans)["status"] == "accepted"
