"""Exports through a running hub: a manager downloads stock and moves as CSV and XLSX, scoped
to the warehouses they may see; suggestions need the planning permission."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import openpyxl
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
SITE = [{"code": c, "warehouse": wh, "kind": "bin", "x": i, "y": 0}
        for i, (c, wh) in enumerate([("BIN-A", "WH1"), ("BIN-B", "WH1"), ("W2-BIN", "WH2")])]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
            moves = [item_move("=SKU-EVIL", 5, None, "BIN-A"),
                     item_move("=SKU-EVIL", 2, "BIN-A", "BIN-B", t=1),
                     item_move("S-2", 7, None, "W2-BIN", wh="WH2", t=2)]
            assert c.post("/api/v1/moves", content=encode_batch(moves)).json()["applied"] == 3
        with connect(url) as conn:
            create_user(conn, "pia", "picker-pass", ["picker"], ["WH1"])
        yield h


def test_stock_as_csv_is_what_the_ledger_holds(hub: Hub) -> None:
    with hub.client() as c:
        r = c.get("/api/v1/exports/stock", params={"warehouse": "WH1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="stock-WH1-' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {(x["location"], x["sku"], x["quantity"]) for x in rows} == {
        ("BIN-A", "'=SKU-EVIL", "3"), ("BIN-B", "'=SKU-EVIL", "2")}


def test_moves_as_xlsx_open_in_a_spreadsheet(hub: Hub) -> None:
    with hub.client() as c:
        r = c.get("/api/v1/exports/moves", params={"format": "xlsx"})
    assert r.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(r.content))["Moves"]
    header = [c.value for c in ws[1]]
    got = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(2)]
    assert [(m["warehouse"], m["sku"], m["quantity"]) for m in got] == [
        ("WH1", "=SKU-EVIL", 5), ("WH1", "=SKU-EVIL", 2), ("WH2", "S-2", 7)]
    assert ws.cell(2, header.index("sku") + 1).data_type == "s"


def test_exports_are_scoped_and_checked(hub: Hub) -> None:
    with hub.client(hub.login("pia", "picker-pass")) as c:
        mine = c.get("/api/v1/exports/moves").content.decode("utf-8-sig")
        assert "S-2" not in mine and "SKU-EVIL" in mine, "a WH1 picker sees WH1 only"
        assert c.get("/api/v1/exports/moves", params={"warehouse": "WH2"}).status_code == 403
        assert c.get("/api/v1/exports/suggestions").status_code == 403
    with hub.client() as c:
        assert c.get("/api/v1/exports/suggestions", params={"warehouse": "WH1"}
                     ).status_code == 200
        r = c.get("/api/v1/exports/moves", params={"start": "2026-11-01T00:00:00"})
        assert r.status_code == 422 and "time zone" in r.json()["detail"]
        assert c.get("/api/v1/exports/passwords").status_code == 422
        assert c.get("/api/v1/exports/stock", params={"format": "pdf"}).status_code == 422
