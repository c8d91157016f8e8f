"""Suppliers, their terms and planning parameters through REST on a real hub and PostgreSQL:
a SKU with a 14-day lead time plans with 14 days, its suggestion names the preferred supplier
and its quantity respects the MOQ and pack multiple; bad input is a clear problem."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub
from tests.supply.site import ok, open_suggestion, problem

pytestmark = pytest.mark.integration
TERMS = {"lead_time_days": 14, "lead_time_sd_days": 2, "moq": 500, "pack_multiple": 48,
         "price": 2.5, "currency": "EUR", "preferred": True}


def _status(api: httpx.Client, wh: str) -> dict[str, Any]:
    (row,) = ok(api.get("/api/v1/planning/forecasts", params={"warehouse": wh, "sku": "S1"}))
    return row  # type: ignore[no-any-return]


def test_a_suppliers_terms_change_what_planning_suggests(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        before = _status(api, wh)
        plain = open_suggestion(api, wh)
        assert plain is not None and plain["source"] == ""  # no supplier yet: blank
        ok(api.post("/api/v1/suppliers", json={"code": "ACME", "name": "Acme Ltd"}), 201)
        terms = ok(api.put("/api/v1/suppliers/ACME/skus/S1", json=TERMS))
        assert terms["lead_time_days"] == 14 and terms["preferred"] is True
        params = ok(api.get(f"/api/v1/planning/parameters/{wh}/S1"))
        assert params["lead_time_days"] == 14 and params["supplier"] == "ACME"
        assert params["sources"]["lead_time_days"] == "supplier"
        assert params["sources"]["service_level"] == "default"
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        after = _status(api, wh)
        # twice the lead time: about twice the demand to cover, and more safety stock
        assert after["reorder_point"] > 1.4 * before["reorder_point"], (before, after)
        assert after["safety_stock"] > before["safety_stock"]
        s = open_suggestion(api, wh)
        assert s is not None and s["id"] == plain["id"]  # the same suggestion, refreshed
        assert s["source"] == "ACME" and s["unit_cost"] == 2.5
        assert s["quantity"] >= 500 and s["quantity"] % 48 == 0, s
        # A planner's own override wins over the supplier's term; null gives it back.
        over = ok(api.put(f"/api/v1/planning/parameters/{wh}/S1",
                          json={"lead_time_days": 3, "lead_time_sd_days": 0,
                                "service_level": 0.99}))
        assert over["lead_time_days"] == 3 and over["sources"]["lead_time_days"] == "setting"
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert _status(api, wh)["reorder_point"] < before["reorder_point"]
        back = ok(api.put(f"/api/v1/planning/parameters/{wh}/S1",
                          json={"lead_time_days": None}))
        assert back["lead_time_days"] == 14 and back["service_level"] == 0.99


def test_min_and_max_set_by_a_planner_drive_the_order(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        ok(api.put(f"/api/v1/planning/parameters/{wh}/S1", json={"min_qty": 100,
                                                                  "max_qty": 1000}))
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        s = open_suggestion(api, wh)
        assert s is not None and s["reorder_point"] == 100
        assert s["quantity"] == 1000 - 40  # up to the max from the 40 on hand


def test_bad_input_is_a_clear_problem_and_writes_nothing(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        problem(api.get("/api/v1/suppliers/NOPE"), 404, "no supplier 'NOPE'")
        problem(api.get("/api/v1/suppliers/NOPE/skus"), 404, "no supplier 'NOPE'")
        problem(api.put("/api/v1/suppliers/NOPE/skus/S1", json=TERMS), 404, "no supplier")
        ok(api.post("/api/v1/suppliers", json={"code": "ACME"}), 201)
        problem(api.post("/api/v1/suppliers", json={"code": "ACME"}), 409, "exists")
        problem(api.put("/api/v1/suppliers/ACME/skus/NOSKU", json=TERMS), 404, "no SKU 'NOSKU'")
        problem(api.put("/api/v1/suppliers/ACME/skus/S1", json={**TERMS, "lead_time_days": -1}),
                422, "lead_time_days")
        problem(api.put("/api/v1/suppliers/ACME/skus/S1", json={**TERMS, "currency": "euro"}),
                422, "currency")
        problem(api.put("/api/v1/suppliers/ACME/skus/S1", json={**TERMS, "pack_multiple": 0}),
                422, "pack_multiple")
        assert ok(api.get("/api/v1/suppliers/ACME/skus")) == []
        problem(api.get(f"/api/v1/planning/parameters/{wh}/NOSKU"), 404, "no SKU 'NOSKU'")
        problem(api.put(f"/api/v1/planning/parameters/{wh}/S1", json={"service_level": 1.5}),
                422, "service_level")
        problem(api.put(f"/api/v1/planning/parameters/{wh}/S1",
                        json={"min_qty": 10, "max_qty": 5}), 422, "min_qty must be below")
        problem(api.put(f"/api/v1/planning/parameters/{wh}/S1", json={"supplier": "GHOST"}),
                422, "no supplier 'GHOST'")
        assert ok(api.get(f"/api/v1/planning/parameters/{wh}/S1"))["sources"] == {
            name: "default" for name in ("supplier", "lead_time_days", "lead_time_sd_days",
                                         "service_level", "review_days", "unit_cost",
                                         "order_cost", "holding_rate", "pack_size", "min_order",
                                         "min_qty", "max_qty")} | {"unit_cost": "supplier"}


def test_roles_and_warehouses_are_checked(hub: Hub, wh: str) -> None:
    with connect(hub.settings.database_url) as conn:
        create_user(conn, "picker-s", "picker-password", ["picker"], [wh])
        create_user(conn, "manager-2", "manager-password", ["manager"], [f"{wh}-2"])
    picker = hub.login("picker-s", "picker-password")
    with hub.client(picker) as api:
        assert ok(api.get(f"/api/v1/planning/parameters/{wh}/S1"))["sku"] == "S1"
        problem(api.put(f"/api/v1/planning/parameters/{wh}/S1", json={"lead_time_days": 3}),
                403, "")
        problem(api.post("/api/v1/suppliers", json={"code": "X"}), 403, "")
    other = hub.login("manager-2", "manager-password")
    with hub.client(other) as api:
        r = api.put(f"/api/v1/planning/parameters/{wh}/S1", json={"lead_time_days": 3})
        assert r.status_code in (403, 404), r.text
        ok(api.put(f"/api/v1/planning/parameters/{wh}-2/S1", json={"lead_time_days": 3}))
