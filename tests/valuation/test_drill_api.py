"""Behind the report, over HTTP on a real hub: a row's moves (adding up to the row, paged) and
the cost of goods issued per shipment move and per order (orders reached through their
shipment moves' task `ship:<order_id>`), cost fields absent for roles that may not see costs,
the warehouse scope checked, bad input refused as problem+json."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, Source, StockMoved, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import at

pytestmark = pytest.mark.integration
DAY = 86400
SITE = [{"code": "D-DOCK", "warehouse": "WH1", "kind": "dock_door"},
        {"code": "D2-DOCK", "warehouse": "WH2", "kind": "dock_door"}]
USERS = {"fay": ["finance"], "pia": ["picker"]}
COSTS = {"value", "cogs", "adjustments", "base_currency"}
MONTH = {"warehouse": "WH1", "on": "2026-11-15"}


def _move(t: float, reason: str, qty: int, task: str | None) -> StockMoved:
    inbound = reason == "receive"
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse="WH1",
                      source=Source(kind="pda", device_id="pda-1"),
                      item=ItemLine(sku="D-SKU", lot="L1", quantity=Decimal(qty)),
                      from_location=None if inbound else "D-DOCK",
                      to_location="D-DOCK" if inbound else None, reason=reason, task_id=task)


# FIFO: 10 at 10.00, 10 at 12.00; O-1 ships 4 (40) and later 2 (1 x 10 + 1 x 12 = 22), O-2
# ships 5 (50), a gate ships 1 with no order (12). 8 stay, at 12.00 (96).
MOVES = [_move(0, "receive", 10, "receipt:RD1"), _move(DAY, "receive", 10, "receipt:RD2"),
         _move(2 * DAY, "ship", 4, "ship:O-1"), _move(3 * DAY, "ship", 5, "ship:O-2"),
         _move(4 * DAY, "ship", 2, "ship:O-1"), _move(5 * DAY, "ship", 1, None)]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
            assert c.post("/api/v1/skus", json={"sku": "D-SKU"}).status_code == 201
            for rid, cost in (("RD1", "10"), ("RD2", "12")):
                assert c.post("/api/v1/receipts", json={
                    "receipt_id": rid, "warehouse": "WH1", "dock": "D-DOCK", "lines": [
                        {"line_id": "1", "sku": "D-SKU", "quantity": 10, "lot": "L1",
                         "unit_cost": cost}]}).status_code == 201
            r = c.post("/api/v1/moves", content=encode_batch(MOVES))
            assert r.json()["applied"] == len(MOVES), r.text
        with connect(url) as conn:
            for name, roles in USERS.items():
                create_user(conn, name, f"{name}-password", roles, ["WH1"])
        deadline = time.monotonic() + 30
        with h.client() as c:  # until the follower (its own thread) has valued every move
            while (body := c.get("/api/v1/valuation/stock").json())["lag_moves"] or \
                    body["valued_through_seq"] == 0:
                assert time.monotonic() < deadline, body
                time.sleep(0.05)
        yield h


def client(hub: Hub, user: str) -> httpx.Client:
    return hub.client(hub.login(user, f"{user}-password"))


def get(c: httpx.Client, path: str, **params: Any) -> Any:
    r = c.get(f"/api/v1/valuation/{path}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_report_rows_moves_add_up_to_the_row(hub: Hub) -> None:
    with client(hub, "fay") as c:
        [row] = get(c, "report", **MONTH)["rows"]
        body = get(c, "report/moves", sku="D-SKU", **MONTH)
    moves = body["moves"]
    assert [(m["kind"], m["reason"], m["quantity"], m["value"]) for m in moves] == [
        ("receipt", "receive", 10, 100.0), ("receipt", "receive", 10, 120.0),
        ("issue", "ship", -4, -40.0), ("issue", "ship", -5, -50.0),
        ("issue", "ship", -2, -22.0), ("issue", "ship", -1, -12.0)]
    assert sum(m["quantity"] for m in moves) == row["closing_quantity"] - row["opening_quantity"]
    assert sum(m["value"] for m in moves) == row["closing_value"] - row["opening_value"]
    assert sum(m["cogs"] for m in moves) == row["cogs"] == 124.0
    first = moves[0]
    assert (first["event_id"], first["task_id"], first["lot"], first["occurred_at"]) == (
        str(MOVES[0].event_id), "receipt:RD1", "L1", "2026-11-01T08:00:00Z")
    assert body["next"] is None and body["sku"] == "D-SKU"


def test_the_drill_down_is_paged(hub: Hub) -> None:
    with client(hub, "fay") as c:
        everything = get(c, "report/moves", sku="D-SKU", **MONTH)["moves"]
        first = get(c, "report/moves", sku="D-SKU", limit=4, **MONTH)
        rest = get(c, "report/moves", sku="D-SKU", limit=4, cursor=first["next"], **MONTH)
    assert len(first["moves"]) == 4 and first["next"]
    assert first["moves"] + rest["moves"] == everything and rest["next"] is None


def test_cogs_per_order_and_per_shipment(hub: Hub) -> None:
    with client(hub, "fay") as c:
        body = get(c, "cogs", **MONTH)
    assert (body["cogs"], body["quantity"], body["shipments_count"]) == (124.0, 12, 4)
    assert [(o["order_id"], o["shipments"], o["quantity"], o["cogs"]) for o in body["orders"]] \
        == [("O-1", 2, 6, 62.0), ("O-2", 1, 5, 50.0)]
    assert [(s["order_id"], s["quantity"], s["cogs"]) for s in body["shipments"]] == [
        ("O-1", 4, 40.0), ("O-2", 5, 50.0), ("O-1", 2, 22.0), (None, 1, 12.0)]
    assert body["shipments"][0]["event_id"] == str(MOVES[2].event_id)


def test_cogs_of_one_order_over_all_time_and_paged(hub: Hub) -> None:
    with client(hub, "fay") as c:
        one = get(c, "cogs", warehouse="WH1", order="O-1", limit=1)
        more = get(c, "cogs", warehouse="WH1", order="O-1", limit=1, cursor=one["next"])
        none = get(c, "cogs", warehouse="WH1", order="O-404")
    assert (one["start"], one["end"], one["order_id"]) == (None, None, "O-1")
    assert (one["cogs"], one["quantity"], one["shipments_count"]) == (62.0, 6, 2)
    assert [s["cogs"] for s in one["shipments"] + more["shipments"]] == [40.0, 22.0]
    assert more["next"] is None
    assert (none["cogs"], none["orders"], none["shipments"]) == (0.0, [], [])


def test_cost_fields_are_absent_for_a_picker(hub: Hub) -> None:
    with client(hub, "pia") as c:
        drill = get(c, "report/moves", sku="D-SKU", **MONTH)
        cogs = get(c, "cogs", **MONTH)
    assert drill["moves"][0]["quantity"] == 10
    assert not any(COSTS & m.keys() for m in drill["moves"])
    assert not COSTS & cogs.keys() and cogs["quantity"] == 12
    assert not any(COSTS & row.keys() for row in cogs["orders"] + cogs["shipments"])


@pytest.mark.parametrize("path", ["report/moves", "cogs"])
def test_another_warehouse_is_refused(hub: Hub, path: str) -> None:
    with client(hub, "fay") as c:
        r = c.get(f"/api/v1/valuation/{path}", params={"warehouse": "WH2", "sku": "D-SKU"})
    assert r.status_code == 403


@pytest.mark.parametrize(("path", "params", "says"), [
    ("report/moves", {"sku": "D-SKU", "cursor": "not-a-cursor"}, "cursor"),
    ("report/moves", {"sku": "D-SKU", "from": "2026-11-01"}, "both from and to"),
    ("report/moves", {"on": "2026-11-15"}, "sku"),
    ("cogs", {"from": "2026-11-10", "to": "2026-11-01"}, "to must be after from"),
    ("cogs", {"limit": "0"}, "limit"),
])
def test_bad_input_is_a_problem(hub: Hub, path: str, params: dict[str, str], says: str) -> None:
    with client(hub, "fay") as c:
        r = c.get(f"/api/v1/valuation/{path}", params={"warehouse": "WH1", **params})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert says in r.text
