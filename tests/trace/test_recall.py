"""Recall over a real hub and PostgreSQL: POST /api/v1/recalls holds every available quantity of
a lot — a pallet of it, its share of a mixed pallet, loose stock — as `recalled` through the
ledger, reports what was received, what is on hand where and what was shipped on which order;
release puts it back to available, scrap takes it out of stock; the ledger stays a fold."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.rebuild import check_consistency
from protocol import ItemLine, Source, StockMoved, UnitRef, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import at

pytestmark = pytest.mark.integration
FULL = "340123450000000303"  # a pallet of the lot alone
MIXED = "340123450000000404"  # the lot beside another
SITE = [{"code": c, "warehouse": "WH1", "kind": k} for c, k in (
    ("R-DOCK", "dock_door"), ("R-BIN-A", "bin"), ("R-BIN-B", "bin"), ("R-BIN-C", "bin"),
    ("R-STAGE", "staging"))]


def _move(t: float, reason: str, frm: str | None, to: str | None, *, item: ItemLine | None = None,
          unit: str | None = None, **extra: Any) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse="WH1",
                      source=Source(kind="pda", device_id="pda-1"), item=item,
                      unit=UnitRef(sscc=unit) if unit else None, from_location=frm,
                      to_location=to, reason=reason, **extra)


def _lot(qty: int, lot: str = "L-RC", sku: str = "R-SKU", **more: Any) -> ItemLine:
    return ItemLine(sku=sku, lot=lot, quantity=Decimal(qty), **more)


MOVES = [
    _move(0, "receive", None, "R-DOCK", unit=FULL, contents=(_lot(10),), task_id="receipt:R-R1"),
    _move(10, "putaway", "R-DOCK", "R-BIN-A", unit=FULL),
    _move(20, "receive", None, "R-BIN-B", unit=MIXED,
          contents=(_lot(5), _lot(3, lot="L-KEEP"))),
    _move(30, "receive", None, "R-BIN-C", item=_lot(7)),
    _move(40, "ship", "R-BIN-C", None, item=_lot(2), task_id="ship:O-R1"),
    _move(50, "receive", None, "R-BIN-A", item=_lot(6, lot="L-SCRAP")),
    _move(60, "receive", None, "R-BIN-A", item=_lot(1, lot="L-SN", serial="SN-1")),
    _move(61, "receive", None, "R-BIN-B", item=_lot(1, lot="L-SN", serial="SN-2")),
]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
            r = c.post("/api/v1/moves", content=encode_batch(MOVES))
            assert r.json()["applied"] == len(MOVES), r.text
        with connect(url) as conn:
            create_user(conn, "wes", "wes-pass", ["manager"], ["WH2"])
        yield h


def _recall(hub: Hub, token: str | None = None, status: int = 200, **body: Any) -> Any:
    with hub.client(token) as c:
        r = c.post("/api/v1/recalls", json={"recall_id": "RC-1", "warehouse": "WH1",
                                            "sku": "R-SKU", "lot": "L-RC",
                                            "reason": "supplier recall 7/26", **body})
    assert r.status_code == status, r.text
    return r.json()


def _post(hub: Hub, path: str, body: dict[str, Any], status: int = 200) -> Any:
    with hub.client() as c:
        r = c.post(path, json=body)
    assert r.status_code == status, r.text
    return r.json()


def _stock(hub: Hub, lot: str) -> dict[tuple[str, str], float]:
    with hub.client() as c:
        rows = c.get("/api/v1/stock", params={"sku": "R-SKU", "lot": lot}).json()
    return {(r["location"], r["status"]): r["quantity"] for r in rows}


def test_a_recall_holds_every_available_quantity_as_recalled_and_reports_the_lot(
        hub: Hub) -> None:
    report = _recall(hub)
    assert report["state"] == "open" and report["reason"] == "supplier recall 7/26"
    assert report["quantity"] == 10 + 5 + 5
    assert report["whole_units"] == [f"sscc:{FULL}"]
    assert report["taken_out_of_units"] == [f"sscc:{MIXED}"]
    assert len(report["move_ids"]) == 3
    assert report["received"] == 10 + 5 + 7
    assert [r["receipt_id"] for r in report["receipts"]] == []  # R-R1 has no receipt row
    assert report["shipped"] == [{"order_id": "O-R1", "quantity": 2, "carrier": None,
                                  "customer_id": None, "customer": None, "ship_to": None}]
    held = {(h["location"], h["status"]): h["quantity"] for h in report["now"]["at_locations"]}
    assert held == {("R-BIN-A", "recalled"): 10, ("R-BIN-B", "recalled"): 5,
                    ("R-BIN-C", "recalled"): 5}
    # the stock shows as recalled wherever stock is read; the other lot is untouched
    assert _stock(hub, "L-RC") == {("R-BIN-A", "recalled"): 10, ("R-BIN-B", "recalled"): 5,
                                   ("R-BIN-C", "recalled"): 5}
    assert _stock(hub, "L-KEEP") == {("R-BIN-B", "available"): 3}
    # the holds are ledger moves of the recall, with the caller as user
    with hub.client() as c:
        trace = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L-RC"}).json()
    holds = [s for s in trace["steps"] if s["to_status"] == "recalled"]
    assert {s["user"] for s in holds} == {"admin"} and len(holds) == 3
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        notes = {r[0] for r in conn.execute(
            "SELECT payload->>'reason_note' FROM moves WHERE task_id = 'recall:RC-1'")}
    assert notes == {"supplier recall 7/26"}


def test_repeating_a_recall_holds_nothing_twice_and_a_second_recall_of_the_lot_is_refused(
        hub: Hub) -> None:
    again = _recall(hub)
    assert again["quantity"] == 0 and again["move_ids"] == []
    # a return of the lot arrives available; repeating the open recall holds it too
    with hub.client() as c:
        r = c.post("/api/v1/moves", content=encode_batch([
            _move(70, "receive", None, "R-BIN-C", item=_lot(4))]))
        assert r.json()["applied"] == 1, r.text
    late = _recall(hub)
    assert late["quantity"] == 4 and len(late["move_ids"]) == 1
    assert _stock(hub, "L-RC")[("R-BIN-C", "recalled")] == 5 + 4
    other = _recall(hub, status=409, recall_id="RC-OTHER")
    assert "already recalled by RC-1" in other["detail"]
    assert _recall(hub, status=409, lot="L-KEEP")["detail"].startswith("recall RC-1 recalls")


def test_unknown_lot_is_404_bad_body_422_and_other_warehouses_403(hub: Hub) -> None:
    r = _recall(hub, status=404, lot="NO-SUCH", recall_id="RC-404")
    assert "NO-SUCH" in r["detail"] and r["status"] == 404
    token = hub.login("wes", "wes-pass")
    _recall(hub, token, status=403, recall_id="RC-403")
    both = _recall(hub, status=422, recall_id="RC-422", serials=["SN-1"])
    assert "either a lot or a list of serials" in str(both)
    _recall(hub, status=422, recall_id="RC-422", reason="")
    with hub.client() as c:
        assert c.get("/api/v1/recalls/NO-SUCH").status_code == 404


def test_release_restores_the_lot_to_available(hub: Hub) -> None:
    _recall(hub, recall_id="RC-REL", lot="L-KEEP")
    assert _stock(hub, "L-KEEP") == {("R-BIN-B", "recalled"): 3}
    released = _post(hub, "/api/v1/recalls/RC-REL/release", {"reason": "supplier cleared it"})
    assert released["state"] == "released" and released["quantity"] == 3
    assert released["close_reason"] == "supplier cleared it"
    assert _stock(hub, "L-KEEP") == {("R-BIN-B", "available"): 3}
    again = _post(hub, "/api/v1/recalls/RC-REL/release", {"reason": "twice"})
    assert again["quantity"] == 0 and again["close_reason"] == "supplier cleared it"
    refused = _post(hub, "/api/v1/recalls/RC-REL/scrap", {"reason": "x"}, status=409)
    assert "already released" in refused["detail"]
    # a released lot can be recalled again, under a new id
    assert _recall(hub, recall_id="RC-REL", lot="L-KEEP", status=409)["detail"].endswith(
        "start a new one")


def test_scrap_takes_the_recalled_stock_out_and_keeps_every_move(hub: Hub) -> None:
    _recall(hub, recall_id="RC-SCRAP", lot="L-SCRAP")
    scrapped = _post(hub, "/api/v1/recalls/RC-SCRAP/scrap", {"reason": "destroyed, cert 42"})
    assert scrapped["state"] == "scrapped" and scrapped["quantity"] == 6
    assert scrapped["now"]["on_hand"] == 0 and _stock(hub, "L-SCRAP") == {}
    with hub.client() as c:
        trace = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L-SCRAP"}).json()
    assert [(s["kind"], s["to_status"], s["to_location"]) for s in trace["steps"]] == [
        ("receive", None, "R-BIN-A"), ("adjust", "recalled", "R-BIN-A"),
        ("adjust", None, None)]


def test_recall_by_serials_holds_each_item_and_says_which_were_not_in_stock(hub: Hub) -> None:
    report = _recall(hub, recall_id="RC-SN", lot=None, serials=["SN-1", "SN-2"])
    assert report["quantity"] == 2 and report["missing_serials"] == []
    where = {(h["serial"], h["location"], h["status"]) for h in report["now"]["at_locations"]}
    assert where == {("SN-1", "R-BIN-A", "recalled"), ("SN-2", "R-BIN-B", "recalled")}
    assert report["received"] == 2
    assert _stock(hub, "L-SN") == {("R-BIN-A", "recalled"): 1, ("R-BIN-B", "recalled"): 1}
    with hub.client() as c:
        got = c.get("/api/v1/recalls/RC-SN").json()
        assert got["serials"] == ["SN-1", "SN-2"] and got["state"] == "open"
        missing = c.post("/api/v1/recalls", json={
            "recall_id": "RC-SN-404", "warehouse": "WH1", "sku": "R-SKU",
            "serials": ["SN-1", "SN-NONE"], "reason": "x"})
    assert missing.status_code == 404 and "serials" in missing.json()["detail"]
    # the lot of recalled serials cannot be recalled beside them (release would be ambiguous)
    both = _recall(hub, recall_id="RC-SN-LOT", lot="L-SN", status=409)
    assert "serials of this lot of R-SKU are already recalled by RC-SN" in both["detail"]
    released = _post(hub, "/api/v1/recalls/RC-SN/release", {"reason": "wrong serials"})
    assert released["quantity"] == 2
    assert _stock(hub, "L-SN") == {("R-BIN-A", "available"): 1, ("R-BIN-B", "available"): 1}


def test_recalls_are_listed_and_the_lot_master_says_recalled(hub: Hub) -> None:
    with hub.client() as c:
        listed = c.get("/api/v1/recalls", params={"warehouse": "WH1"}).json()
        assert {r["recall_id"]: r["state"] for r in listed} == {
            "RC-1": "open", "RC-REL": "released", "RC-SCRAP": "scrapped", "RC-SN": "released"}
        assert [r["recall_id"] for r in c.get("/api/v1/recalls", params={
            "warehouse": "WH1", "state": "open"}).json()] == ["RC-1"]
        assert c.get("/api/v1/recalls", params={"warehouse": "WH1",
                                                "state": "gone"}).status_code == 422
        statuses = {lot: c.get(f"/api/v1/lots/R-SKU/{lot}").json()["status"]
                    for lot in ("L-RC", "L-KEEP", "L-SCRAP")}
    assert statuses == {"L-RC": "recalled", "L-KEEP": "active", "L-SCRAP": "scrapped"}
    token = hub.login("wes", "wes-pass")
    with hub.client(token) as c:
        assert c.get("/api/v1/recalls", params={"warehouse": "WH1"}).status_code == 403
        assert c.get("/api/v1/recalls/RC-1").status_code in (403, 404)


def test_the_ledger_is_still_the_fold_of_its_moves(hub: Hub) -> None:
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        report = check_consistency(conn)
    assert report.ok, (report.balance_differences, report.unit_differences)
