"""Transfer orders through REST on a real hub and PostgreSQL: shipped out of the source into
the destination's transit location (one ledger transaction), counted by the destination's
planning while in transit, received with damaged, short and over quantities; a transfer to the
same warehouse, an unshippable one and a retried receipt book nothing wrong."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.supply.site import ok, open_suggestion, problem, seed

pytestmark = pytest.mark.integration


@pytest.fixture
def hub2(fresh_db_url: str, wh: str) -> Iterator[Hub]:
    """Both `wh` and `<wh>-2` sell 20 a day and hold 40."""
    seed(fresh_db_url, wh)
    seed(fresh_db_url, f"{wh}-2")
    with running_hub(fresh_db_url, mqtt_enabled=False, rules_enabled=False) as h:
        yield h


def _stock(api: httpx.Client, wh: str) -> dict[tuple[str, str], float]:
    rows = ok(api.get("/api/v1/stock", params={"warehouse": wh, "sku": "S1"}))
    return {(r["location"], r["status"]): r["quantity"] for r in rows if r["quantity"]}


def _transfer(api: httpx.Client, wh: str, qty: int, **extra: Any) -> dict[str, Any]:
    return ok(api.post("/api/v1/transfers", json={  # type: ignore[no-any-return]
        "warehouse": wh, "to_warehouse": f"{wh}-2", **extra,
        "lines": [{"sku": "S1", "lot": "L1", "quantity": qty, "from_location": f"{wh}-BIN-A"}]}),
        201)


def test_ship_in_transit_receive_with_damage_and_short(hub2: Hub, wh: str) -> None:
    wh2, transit = f"{wh}-2", f"{wh}-2-TRANSIT"
    with hub2.client() as api:
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        before = open_suggestion(api, wh2)
        assert before is not None and before["inventory_position"] == 40
        t = _transfer(api, wh, 30)
        assert (t["state"], t["transit_location"]) == ("draft", transit)
        shipped = ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/ship"))
        assert len(shipped["move_ids"]) == 2 and shipped["transfer"]["state"] == "shipped"
        assert shipped["transfer"]["lines"][0]["in_transit"] == 30
        assert _stock(api, wh) == {(f"{wh}-BIN-A", "available"): 10}
        assert _stock(api, wh2) == {(f"{wh2}-BIN-A", "available"): 40,
                                    (transit, "available"): 30}
        # The destination's planning counts the 30 on their way (not as on hand).
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        after = open_suggestion(api, wh2)
        assert after is not None and after["inventory_position"] == 70
        assert after["days_of_supply"] == before["days_of_supply"]  # on hand is still 40
        problem(api.post(f"/api/v1/transfers/{t['transfer_id']}/ship"), 409,
                "only a draft is shipped")
        key = str(uuid.uuid4())
        body = {"key": key, "location": f"{wh2}-BIN-A", "close": True,
                "lines": [{"line_no": 1, "good": 20, "damaged": 5}]}
        got = ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json=body))
        line = got["transfer"]["lines"][0]
        assert got["transfer"]["state"] == "received"
        assert (line["received"], line["damaged"], line["short"], line["in_transit"]) == \
            (20, 5, 5, 0)
        assert _stock(api, wh2) == {(f"{wh2}-BIN-A", "available"): 60,
                                    (f"{wh2}-BIN-A", "damaged"): 5}
        # The same receipt sent again (a retry) books nothing more.
        assert ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive",
                           json=body))["move_ids"] == []
        assert _stock(api, wh2)[(f"{wh2}-BIN-A", "available")] == 60


def test_over_delivery_and_refusals_book_nothing(hub2: Hub, wh: str) -> None:
    wh2 = f"{wh}-2"
    with hub2.client() as api:
        problem(api.post("/api/v1/transfers", json={
            "warehouse": wh, "to_warehouse": wh, "lines": [
                {"sku": "S1", "quantity": 1, "from_location": f"{wh}-BIN-A"}]}),
            422, "a transfer needs two warehouses")
        problem(api.post("/api/v1/transfers", json={
            "warehouse": wh, "to_warehouse": wh2, "lines": [
                {"sku": "NOPE", "quantity": 1, "from_location": f"{wh}-BIN-A"}]}),
            422, "unknown SKU(s): NOPE")
        problem(api.post("/api/v1/transfers", json={
            "warehouse": wh, "to_warehouse": wh2, "lines": [
                {"sku": "S1", "quantity": 1, "from_location": f"{wh2}-BIN-A"}]}),
            422, f"is not a location of warehouse {wh}")
        too_much = _transfer(api, wh, 41)
        problem(api.post(f"/api/v1/transfers/{too_much['transfer_id']}/ship"), 409,
                "negative_stock")
        assert ok(api.get(f"/api/v1/transfers/{too_much['transfer_id']}"))["state"] == "draft"
        assert _stock(api, wh) == {(f"{wh}-BIN-A", "available"): 40}
        assert (f"{wh2}-TRANSIT", "available") not in _stock(api, wh2)
        assert ok(api.post(f"/api/v1/transfers/{too_much['transfer_id']}/cancel"))[
            "state"] == "cancelled"
        t = _transfer(api, wh, 10)
        problem(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json={
            "key": str(uuid.uuid4()), "location": f"{wh2}-BIN-A",
            "lines": [{"line_no": 1, "good": 10}]}), 409, "only a shipped transfer")
        ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/ship"))
        problem(api.post(f"/api/v1/transfers/{t['transfer_id']}/cancel"), 409,
                "only a draft is cancelled")
        problem(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json={
            "key": str(uuid.uuid4()), "location": f"{wh}-BIN-A",
            "lines": [{"line_no": 1, "good": 10}]}), 422, "not a receiving location")
        got = ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json={
            "key": str(uuid.uuid4()), "location": f"{wh2}-BIN-A", "close": True,
            "lines": [{"line_no": 1, "good": 12}]}))
        line = got["transfer"]["lines"][0]
        assert (line["received"], line["over"], line["short"]) == (10, 2, 0)
        assert _stock(api, wh2)[(f"{wh2}-BIN-A", "available")] == 52
        listed = ok(api.get("/api/v1/transfers", params={"warehouse": wh2}))
        assert {x["transfer_id"] for x in listed} == {t["transfer_id"], too_much["transfer_id"]}


def test_the_source_ships_and_the_destination_receives(hub2: Hub, wh: str) -> None:
    wh2 = f"{wh}-2"
    with connect(hub2.settings.database_url) as conn:
        create_user(conn, "sup-1", "supervisor-password", ["supervisor"], [wh])
        create_user(conn, "sup-2", "supervisor-password", ["supervisor"], [wh2])
    with hub2.client() as api:
        t = _transfer(api, wh, 5)
    with hub2.client(hub2.login("sup-2", "supervisor-password")) as api:
        assert api.post(f"/api/v1/transfers/{t['transfer_id']}/ship").status_code in (403, 404)
    with hub2.client(hub2.login("sup-1", "supervisor-password")) as api:
        ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/ship"))
        r = api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json={
            "key": str(uuid.uuid4()), "location": f"{wh2}-BIN-A",
            "lines": [{"line_no": 1, "good": 5}]})
        assert r.status_code in (403, 404), r.text
    with hub2.client(hub2.login("sup-2", "supervisor-password")) as api:
        ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/receive", json={
            "key": str(uuid.uuid4()), "location": f"{wh2}-BIN-A",
            "lines": [{"line_no": 1, "good": 5}]}))


def test_an_accepted_transfer_suggestion_becomes_a_transfer_and_is_not_suggested_again(
        hub2: Hub, wh: str) -> None:
    wh2 = f"{wh}-2"
    with hub2.client() as api:
        ok(api.post("/api/v1/moves", json={
            "event_id": str(uuid.uuid4()), "occurred_at": "2026-12-01T08:00:00Z",
            "warehouse": wh2, "source": {"kind": "pda", "device_id": "pda-1"},
            "item": {"sku": "S1", "lot": "L2", "quantity": 6000},
            "to_location": f"{wh2}-BIN-B", "reason": "receive"}))
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        s = open_suggestion(api, wh)
        assert s is not None and (s["kind"], s["source"]) == ("transfer", wh2), s
        ok(api.post(f"/api/v1/planning/suggestions/{s['id']}/accept"))
        made = ok(api.post("/api/v1/transfers/from-suggestions", json={"warehouse": wh}), 201)
        (t,) = made["transfers"]
        assert (t["from_warehouse"], t["to_warehouse"], t["state"]) == (wh2, wh, "draft")
        assert sum(ln["quantity"] for ln in t["lines"]) == s["quantity"]
        assert {ln["from_location"] for ln in t["lines"]} == {f"{wh2}-BIN-B"}
        # Drafted, then shipped: neither time does the next run suggest it again.
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is None
        ok(api.post(f"/api/v1/transfers/{t['transfer_id']}/ship"))
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is None
        assert ok(api.post("/api/v1/transfers/from-suggestions", json={"warehouse": wh}),
                  201)["transfers"] == []
