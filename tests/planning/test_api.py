"""The planning API on a real hub, PostgreSQL and Mosquitto: run planning, rules that alert on
MQTT and in the API after a posted move, suggestion decisions, PO drafts, reports, roles."""

from __future__ import annotations

import csv
import io
import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol.codec import encode_event
from tests.hub_fixtures import Hub, running_hub
from tests.planning.ledger_site import apply, history, move, site

pytestmark = pytest.mark.integration
RULES = """
rules:
  - name: below safety stock
    when: on_hand < safety_stock
    then: [alert: supervisors, suggest_replenishment]
"""


@pytest.fixture
def hub(fresh_db_url: str, wh: str, mqtt_broker: tuple[str, int]) -> Iterator[Hub]:
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0)
    with connect(fresh_db_url) as conn:
        site(conn, wh)
        apply(conn, history(wh, 56, start - timedelta(days=57)))
        create_user(conn, "picker1", "picker-password", ["picker"], [wh])
    host, port = mqtt_broker
    with running_hub(fresh_db_url, mqtt_host=host, mqtt_port=port) as h:
        yield h


def test_planning_api_end_to_end(hub: Hub, wh: str,
                                 alerts: queue.Queue[dict[str, object]]) -> None:
    with hub.client() as api:
        assert api.post("/api/v1/planning/run", json={"days": 60}).json()["series"] == 1
        status = api.get("/api/v1/planning/forecasts", params={"warehouse": wh}).json()[0]
        assert status["sku"] == "S1" and status["safety_stock"] > 10
        bad = api.put("/api/v1/planning/rules", content="rules: [{name: x, when: onhand < 1, "
                      "then: [alert: a]}]", headers={"Content-Type": "text/plain"})
        assert bad.status_code == 422
        assert "rule 'x' (#1): key 'when': unknown name(s) onhand" in bad.json()["detail"]
        put = api.put("/api/v1/planning/rules", content=RULES,
                      headers={"Content-Type": "text/plain"})
        assert put.status_code == 200 and put.json()["rules"] == ["below safety stock"]
        assert api.get("/api/v1/planning/rules").json()["source"] == RULES
        # A pick posted through the hub drops stock below the safety stock.
        on_hand = 2000 - 20 * 27
        pick = move(wh, "S1", round(on_hand - status["safety_stock"] / 2), f"{wh}-BIN-A", None,
                    "pick", datetime.now(UTC))
        posted = api.post("/api/v1/moves", content=encode_event(pick),
                          headers={"Content-Type": "application/json"})
        assert posted.status_code == 200, posted.text
        run = api.post("/api/v1/planning/rules/evaluate").json()
        assert run["failures"] == [] and all(o["ok"] for o in run["outcomes"]), run
        message = alerts.get(timeout=10)
        assert message["rule"] == "below safety stock" and message["warehouse"] == wh
        listed = api.get("/api/v1/planning/alerts", params={"warehouse": wh}).json()
        assert [a["id"] for a in listed] == [message["alert_id"]]
        # The rule's suggestion: edit, accept, and it is in the PO draft export.
        sugg = api.get("/api/v1/planning/suggestions", params={"warehouse": wh}).json()
        assert len(sugg) == 1 and sugg[0]["state"] == "proposed"
        sid = sugg[0]["id"]
        edited = api.post(f"/api/v1/planning/suggestions/{sid}/edit", json={"quantity": 480})
        assert edited.json()["state"] == "edited"
        assert api.post(f"/api/v1/planning/suggestions/{sid}/edit").status_code == 422
        assert api.post(f"/api/v1/planning/suggestions/{sid}/accept").json()["quantity"] == 480
        again = api.post(f"/api/v1/planning/suggestions/{sid}/reject")
        assert again.status_code == 409 and "already accepted" in again.json()["detail"]
        assert api.post("/api/v1/planning/suggestions/999999/accept").status_code == 404
        rows = list(csv.DictReader(io.StringIO(api.get(
            "/api/v1/planning/purchase-orders", params={"format": "csv"}).text)))
        assert [(r["sku"], r["quantity"], r["warehouse"]) for r in rows] == [("S1", "480", wh)]
        drafts = api.get("/api/v1/planning/purchase-orders").json()["drafts"]
        assert drafts[0]["lines"][0]["suggestion_id"] == sid
        # Reports.
        cls = api.get("/api/v1/planning/classification").json()
        # The only SKU carries all consumption value (A, counted monthly); 60-80 a week is X.
        assert cls == [{"warehouse": wh, "sku": "S1", "abc": "A", "xyz": "X",
                        "count_interval_days": 30}]
        dead = api.get("/api/v1/planning/dead-stock", params={"dead_days": 30}).json()
        assert "items" in dead, dead
        assert dead["items"] == [] and sum(b["quantity"] for b in dead["ageing"]) > 0
        k = api.get("/api/v1/planning/kpis", params={"by": "warehouse"}).json()["groups"][wh]
        assert k["fill_rate"] is None  # no order lines: no fill rate rather than a made-up one
        assert k["cost_of_goods_out"] > 0 and k["stock_out_rate"] == 0
        assert k["average_inventory_value"] > 0 and k["inventory_turnover"] > 0
    picker = hub.login("picker1", "picker-password")
    with hub.client(picker) as api:
        assert api.get("/api/v1/planning/alerts").status_code == 200
        assert api.put("/api/v1/planning/rules", content=RULES,
                       headers={"Content-Type": "text/plain"}).status_code == 403
