"""Trace by serial and moves by lot, through the hub's HTTP API on real PostgreSQL: a serial's
receipt and supplier, the pallet that carried it, the order and customer that shipped it; a
serial seen in two places at once shows both sightings; unknown serials and lots are 404
problem+json; GET /moves?lot= keeps that lot's moves only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import WH, build_site
from tests.work.test_api_cycle import ok

pytestmark = pytest.mark.integration
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
PALLET = "340123450000000911"


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
        with running_hub(url, mqtt_enabled=False) as h:
            with h.client() as admin:
                _seed(admin)
            yield h


def _post(c: httpx.Client, minute: int, *, src: str | None, dst: str | None, reason: str,
          **what: Any) -> None:
    event = {"event_id": str(uuid.uuid4()),
             "occurred_at": (T0 + timedelta(minutes=minute)).isoformat(), "warehouse": WH,
             "source": {"kind": "barcode", "device_id": "scan-1"}, "from_location": src,
             "to_location": dst, "reason": reason, **what}
    assert ok(c.post("/api/v1/moves", json=event))["applied"] == 1


def _item(serial: str, lot: str = "L-S") -> dict[str, Any]:
    return {"sku": "SKU-1", "lot": lot, "serial": serial, "quantity": 1}


def _seed(admin: httpx.Client) -> None:
    ok(admin.post("/api/v1/receipts", json={
        "receipt_id": "R-S1", "warehouse": WH, "dock": "DOCK-1", "supplier": "Serial Supplies",
        "lines": [{"line_id": "1", "sku": "SKU-1", "lot": "L-S", "quantity": 2}]}), 201)
    ok(admin.put("/api/v1/customers/C-9", json={"name": "Nine Shops", "address": {
        "lines": ["9 Main St"], "city": "Utrecht", "country": "NL"}}))
    ok(admin.post("/api/v1/orders", json={
        "order_id": "O-S1", "warehouse": WH, "customer_id": "C-9",
        "lines": [{"line_no": 1, "sku": "SKU-2", "quantity": 1}]}), 201)
    _post(admin, 0, src=None, dst="DOCK-1", reason="receive", item=_item("SN-A"),
          task_id="receipt:R-S1")
    _post(admin, 1, src="DOCK-1", dst="A1-01", reason="putaway", item=_item("SN-A"))
    _post(admin, 2, src="A1-01", dst=None, reason="ship", item=_item("SN-A"), task_id="ship:O-S1")
    # SN-B arrives packed on a pallet, which is then put away without naming its contents
    _post(admin, 3, src=None, dst="DOCK-1", reason="receive", unit={"sscc": PALLET},
          contents=[_item("SN-B")], task_id="receipt:R-S1")
    _post(admin, 4, src="DOCK-1", dst="A2-02", reason="putaway", unit={"sscc": PALLET})
    # SN-C is received twice without leaving: two places at once
    _post(admin, 5, src=None, dst="A1-02", reason="receive", item=_item("SN-C", "L-T"))
    _post(admin, 6, src=None, dst="A1-03", reason="receive", item=_item("SN-C", "L-T"))


def _trace(hub: Hub, status: int = 200, **params: str) -> Any:
    with hub.client() as c:
        r = c.get("/api/v1/trace", params={"warehouse": WH, **params})
    assert r.status_code == status, r.text
    return r.json()


def test_a_serial_traces_back_to_its_supplier_and_forward_to_its_customer(hub: Hub) -> None:
    got = _trace(hub, serial="SN-A")
    assert got["subject"] == "serial" and got["lots"] == [{"sku": "SKU-1", "lot": "L-S"}]
    assert [(s["kind"], s["from_location"], s["to_location"]) for s in got["steps"]] == [
        ("receive", None, "DOCK-1"), ("putaway", "DOCK-1", "A1-01"), ("ship", "A1-01", None)]
    assert [(r["receipt_id"], r["supplier"]) for r in got["receipts"]] == [
        ("R-S1", "Serial Supplies")]
    assert [(o["order_id"], o["customer"]) for o in got["orders"]] == [("O-S1", "Nine Shops")]
    assert got["now"]["on_hand"] == 0
    back = _trace(hub, serial="SN-A", direction="backward")
    assert [s["kind"] for s in back["steps"]] == ["receive"] and back["orders"] == []


def test_a_serial_on_a_pallet_moves_with_the_pallet(hub: Hub) -> None:
    got = _trace(hub, serial="SN-B", sku="SKU-1")
    assert [(s["kind"], s["to_location"], s["via_unit"]) for s in got["steps"]] == [
        ("receive", "DOCK-1", True), ("putaway", "A2-02", True)]
    assert got["units"] == [f"sscc:{PALLET}"]
    assert [(h["location"], h["unit"]) for h in got["now"]["in_units"]] == [
        ("A2-02", f"sscc:{PALLET}")]


def test_a_serial_seen_in_two_places_at_once_shows_both_sightings(hub: Hub) -> None:
    got = _trace(hub, serial="SN-C")
    (exception,) = got["exceptions"]
    assert exception["kind"] == "serial_two_places"
    assert [s["location"] for s in exception["detail"]["sightings"]] == ["A1-02", "A1-03"]


def test_unknown_serial_and_lot_are_404_problems(hub: Hub) -> None:
    for params in ({"serial": "SN-NONE"}, {"lot": "NO-LOT"}):
        with hub.client() as c:
            r = c.get("/api/v1/trace", params={"warehouse": WH, **params})
        assert r.status_code == 404 and r.headers["content-type"].startswith(
            "application/problem+json")
    with hub.client() as c:
        r = c.get("/api/v1/moves", params={"lot": "NO-LOT"})
        assert r.status_code == 404 and "NO-LOT" in r.json()["detail"]
        assert c.get("/api/v1/trace", params={"warehouse": WH, "serial": "SN-A",
                                              "lot": "L-S"}).status_code == 422


def test_moves_filter_by_lot(hub: Hub) -> None:
    with hub.client() as c:
        page = ok(c.get("/api/v1/moves", params={"lot": "L-T"}))
        assert [(m["lot"], m["to_location"]) for m in page["items"]] == [
            ("L-T", "A1-02"), ("L-T", "A1-03")]
        assert c.get("/api/v1/moves", params={"lot": "L-T", "sku": "SKU-2"}).status_code == 404
        later = (T0 + timedelta(minutes=6)).isoformat()
        assert [m["to_location"] for m in ok(c.get("/api/v1/moves", params={
            "lot": "L-T", "sku": "SKU-1", "start": later}))["items"]] == ["A1-03"]
        everything = ok(c.get("/api/v1/moves"))["items"]
        assert {m["lot"] for m in everything} >= {"L-S", "L-T", None}
