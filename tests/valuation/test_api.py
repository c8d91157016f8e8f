"""The valuation over HTTP on a real hub: a receipt's line cost flows to stock value and COGS,
the value as of a past time, the period report as JSON, CSV and XLSX, and cost fields absent — not
null — for callers whose roles may not see costs; the lag on /metrics."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import openpyxl
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, Source, StockMoved, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import T0, at

pytestmark = pytest.mark.integration
SITE = [{"code": "V-DOCK", "warehouse": "WH1", "kind": "dock_door"},
        {"code": "V-BIN", "warehouse": "WH1", "kind": "bin"},
        {"code": "V2-DOCK", "warehouse": "WH2", "kind": "dock_door"}]
USERS = {"fay": ["finance"], "pia": ["picker"], "sam": ["supervisor"], "max": ["manager"]}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COSTS = {"value", "base_currency", "opening_value", "receipts_value", "issues_value",
         "closing_value", "cogs"}


def _move(t: float, reason: str, frm: str | None, to: str | None, qty: int,
          **extra: Any) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse="WH1",
                      source=Source(kind="pda", device_id="pda-1"),
                      item=ItemLine(sku="V-SKU", lot="L1", quantity=Decimal(qty)),
                      from_location=frm, to_location=to, reason=reason, **extra)


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
            assert c.post("/api/v1/skus", json={"sku": "V-SKU"}).status_code == 201
            for rid, cost in (("RV1", {"unit_cost": "1.5", "currency": "USD", "rate": "7"}),
                              ("RV2", {"unit_cost": "12"})):
                r = c.post("/api/v1/receipts", json={
                    "receipt_id": rid, "warehouse": "WH1", "dock": "V-DOCK", "lines": [
                        {"line_id": "1", "sku": "V-SKU", "quantity": 10, "lot": "L1",
                         **cost}]})
                assert r.status_code == 201, r.text
            moves = [
                _move(0, "receive", None, "V-DOCK", 10, task_id="receipt:RV1"),  # 10 x 10.50
                _move(86400, "receive", None, "V-DOCK", 10, task_id="receipt:RV2"),  # 10 x 12
                _move(2 * 86400, "putaway", "V-DOCK", "V-BIN", 20),
                _move(3 * 86400, "ship", "V-BIN", None, 12),  # FIFO: 105 + 2 x 12 = 129
            ]
            r = c.post("/api/v1/moves", content=encode_batch(moves))
            assert r.json()["applied"] == len(moves), r.text
        with connect(url) as conn:
            for name, roles in USERS.items():
                create_user(conn, name, f"{name}-password", roles, ["WH1"])
        _valued(h)
        yield h


def _valued(hub: Hub) -> None:
    """Until the follower has valued every committed move (it runs on its own thread)."""
    deadline = time.monotonic() + 30
    with hub.client() as c:
        while (body := c.get("/api/v1/valuation/stock").json())["lag_moves"] or \
                body["valued_through_seq"] == 0:
            assert time.monotonic() < deadline, body
            time.sleep(0.05)  # polling over HTTP: the follower's progress has no event here


def client(hub: Hub, user: str | None = None) -> httpx.Client:
    return hub.client(hub.login(user, f"{user}-password") if user else None)


def test_receipt_costs_flow_to_stock_value(hub: Hub) -> None:
    with client(hub, "fay") as c:
        body = c.get("/api/v1/valuation/stock").json()
    assert body["method"] == "fifo" and body["base_currency"] == "CNY"
    assert body["positions"] == [{"warehouse": "WH1", "sku": "V-SKU", "quantity": 8,
                                  "value": 96.0}]  # 8 x 12
    assert body["value"] == 96.0


def test_value_as_of_a_past_time_and_by_lot(hub: Hub) -> None:
    with client(hub, "max") as c:
        before_ship = c.get("/api/v1/valuation/stock", params={
            "as_of": (T0 + timedelta(days=2)).isoformat()}).json()
        by_lot = c.get("/api/v1/valuation/stock", params={"by": "lot"}).json()
        naive = c.get("/api/v1/valuation/stock", params={"as_of": "2026-11-02T00:00:00"})
    assert before_ship["positions"][0]["quantity"] == 20
    assert before_ship["positions"][0]["value"] == 225.0  # 105 + 120
    assert by_lot["positions"][0]["lot"] == "L1"
    assert naive.status_code == 422
    assert naive.headers["content-type"].startswith("application/problem+json")


def test_month_report_json_and_csv(hub: Hub) -> None:
    params = {"period": "month", "on": T0.date().isoformat()}
    with client(hub, "fay") as c:
        body = c.get("/api/v1/valuation/report", params=params).json()
        text = c.get("/api/v1/valuation/report", params={**params, "format": "csv"}).text
    [row] = body["rows"]
    assert row == {"warehouse": "WH1", "sku": "V-SKU", "opening_quantity": 0,
                   "opening_value": 0.0, "receipts_quantity": 20, "receipts_value": 225.0,
                   "issues_quantity": 12, "issues_value": 129.0, "closing_quantity": 8,
                   "closing_value": 96.0, "cogs": 129.0, "revalued": False}
    assert (body["start"], body["end"]) == ("2026-11-01", "2026-12-01")
    [csv_row] = list(csv.DictReader(io.StringIO(text)))
    assert csv_row["closing_value"] == "96.00" and csv_row["issues_quantity"] == "12"
    # the next month opens with what this one closed
    with client(hub, "fay") as c:
        december = c.get("/api/v1/valuation/report", params={"on": "2026-12-15"}).json()
    assert december["rows"][0]["opening_value"] == 96.0
    assert december["rows"][0]["receipts_quantity"] == 0


@pytest.mark.parametrize("user", ["pia", "sam"])
def test_cost_fields_are_absent_for_roles_that_may_not_see_costs(hub: Hub, user: str) -> None:
    with client(hub, user) as c:
        stock = c.get("/api/v1/valuation/stock").json()
        report = c.get("/api/v1/valuation/report", params={"on": "2026-11-05"}).json()
        text = c.get("/api/v1/valuation/report", params={"on": "2026-11-05",
                                                           "format": "csv"}).text
    assert stock["positions"] == [{"warehouse": "WH1", "sku": "V-SKU", "quantity": 8}]
    assert not COSTS & stock.keys()
    assert report["rows"][0]["closing_quantity"] == 8
    assert not COSTS & report["rows"][0].keys() and not COSTS & report.keys()
    header = text.splitlines()[0].split(",")
    assert header == ["warehouse", "sku", "opening_quantity", "receipts_quantity",
                      "issues_quantity", "closing_quantity", "revalued"]


@pytest.mark.parametrize("user", ["fay", "max", None])
def test_cost_roles_see_costs(hub: Hub, user: str | None) -> None:
    with client(hub, user) as c:
        assert "value" in c.get("/api/v1/valuation/stock").json()["positions"][0]


def test_reviews_list_receipts_without_cost(hub: Hub) -> None:
    """In WH2 (the other tests' stock stays as it is): a receipt with no receipt line cost."""
    arrival = _move(4 * 86400, "receive", None, "V2-DOCK", 1).model_copy(
        update={"warehouse": "WH2"})
    with hub.client() as c:
        assert c.post("/api/v1/moves", content=encode_batch([arrival])).json()["applied"] == 1
    with connect(hub.settings.database_url or "") as conn:
        create_user(conn, "wen", "wen-password", ["picker"], ["WH2"])
    _valued(hub)
    with hub.client() as c:
        [review] = c.get("/api/v1/valuation/reviews", params={"warehouse": "WH2"}
                         ).json()["reviews"]
        stock = c.get("/api/v1/valuation/stock", params={"warehouse": "WH2"}).json()
    # no cost of its own: the SKU's last unit cost (12, in WH1), flagged
    assert (review["warehouse"], review["quantity"], review["unit_cost"], review["reason"]) == \
        ("WH2", 1, 12.0, "receipt without a cost: valued at the last unit cost")
    assert stock["value"] == 12.0
    with client(hub, "wen") as c:
        [seen] = c.get("/api/v1/valuation/reviews").json()["reviews"]
    assert "unit_cost" not in seen and seen["reason"] == review["reason"]


def test_warehouse_scope_is_checked(hub: Hub) -> None:
    with client(hub, "fay") as c:
        r = c.get("/api/v1/valuation/stock", params={"warehouse": "WH2"})
    assert r.status_code == 403


def test_receipt_in_another_currency_without_rate_is_refused(hub: Hub) -> None:
    with hub.client() as c:
        r = c.post("/api/v1/receipts", json={
            "receipt_id": "RV9", "warehouse": "WH1", "dock": "V-DOCK", "lines": [
                {"line_id": "1", "sku": "V-SKU", "quantity": 1, "unit_cost": 2,
                 "currency": "EUR"}]})
    assert r.status_code == 422
    assert "currency EUR needs a rate" in r.json()["detail"]


def test_valuation_lag_is_on_metrics(hub: Hub) -> None:
    text = httpx.get(f"{hub.base_url}/metrics", timeout=10).text
    assert "stockpulse_valuation_lag_moves 0" in text
    assert "stockpulse_valuation_lag_seconds 0" in text


@pytest.mark.parametrize(("user", "costs"), [("fay", True), ("max", True), ("pia", False),
                                             ("sam", False)])
def test_month_report_as_xlsx_per_role(hub: Hub, user: str, costs: bool) -> None:
    with client(hub, user) as c:
        r = c.get("/api/v1/valuation/report", params={"on": "2026-11-05", "format": "xlsx"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith(XLSX)
    assert 'filename="valuation-2026-11-01-2026-12-01.xlsx"' in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content), read_only=True)
    header, row = [list(cells) for cells in book["valuation"].iter_rows(values_only=True)]
    got = dict(zip(header, row, strict=True))
    assert (got["warehouse"], got["sku"], got["closing_quantity"]) == ("WH1", "V-SKU", 8)
    if costs:
        assert (got["receipts_value"], got["cogs"], got["closing_value"]) == (225, 129, 96)
    else:
        assert not COSTS & set(header)
        assert header == ["warehouse", "sku", "opening_quantity", "receipts_quantity",
                          "issues_quantity", "closing_quantity", "revalued"]
