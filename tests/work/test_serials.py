"""Serials (GS1 AI 21) first-class, through the hub's HTTP API on real PostgreSQL: where a
serial is now (following its pallet), its lot and its history; a serial seen in two places at
once is one exception with both sightings; an unknown serial is a 404; a serial of another
warehouse is not shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import WH, build_site
from tests.work.test_api_cycle import ok

pytestmark = pytest.mark.integration
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
WH2 = "WH2"


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            upsert_locations(conn, [Location("W2-BIN", WH2, "bin")])
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
            create_user(conn, "sam", "supervisor-pass", ["supervisor"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def _post(c: httpx.Client, minute: int, *, src: str | None, dst: str | None,
          reason: str, wh: str = WH, **what: Any) -> None:
    event = {"event_id": str(uuid.uuid4()),
             "occurred_at": (T0 + timedelta(minutes=minute)).isoformat(), "warehouse": wh,
             "source": {"kind": "barcode", "device_id": "scan-1"}, "from_location": src,
             "to_location": dst, "reason": reason, **what}
    got = ok(c.post("/api/v1/moves", json=event))
    assert got["applied"] == 1, got


def _item(serial: str, sku: str = "SKU-1", lot: str = "L9") -> dict[str, Any]:
    return {"sku": sku, "lot": lot, "serial": serial, "quantity": 1}


def test_a_serial_is_where_its_last_move_put_it_with_its_lot_and_history(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann:
        _post(admin, 0, src=None, dst="DOCK-1", reason="receive", item=_item("SN-0001"))
        _post(admin, 1, src="DOCK-1", dst="A1-01", reason="putaway", item=_item("SN-0001"))
        got = ok(ann.get("/api/v1/serials/SKU-1/SN-0001"))
        assert (got["warehouse"], got["location"], got["lot"], got["in_stock"]) == (
            WH, "A1-01", "L9", True)
        assert [(h["reason"], h["to_location"]) for h in got["history"]] == [
            ("putaway", "A1-01"), ("receive", "DOCK-1")]
        assert got["open_exceptions"] == []
        found = ok(ann.get("/api/v1/serials", params={"serial": "SN-0001"}))["serials"]
        assert [(x["sku"], x["location"]) for x in found] == [("SKU-1", "A1-01")]
        _post(admin, 2, src="A1-01", dst=None, reason="ship", item=_item("SN-0001"))
        gone = ok(ann.get("/api/v1/serials/SKU-1/SN-0001"))
        assert (gone["location"], gone["in_stock"], len(gone["history"])) == (None, False, 3)


def test_a_packed_serial_follows_its_pallet(hub: Hub) -> None:
    sscc = f"{uuid.uuid4().int % 10**17:017d}0"
    with hub.client() as admin:
        _post(admin, 0, src=None, dst="DOCK-1", reason="receive", unit={"sscc": sscc},
              contents=[_item("SN-P1"), {"sku": "SKU-1", "lot": "L9", "quantity": 4}])
        _post(admin, 1, src="DOCK-1", dst="A2-02", reason="putaway", unit={"sscc": sscc})
        got = ok(admin.get("/api/v1/serials/SKU-1/SN-P1"))
        assert (got["location"], got["unit_key"]) == ("A2-02", f"sscc:{sscc}")
        assert len(got["history"]) == 1  # the pallet's move did not name it


def test_a_serial_seen_in_two_places_is_one_exception_with_both_sightings(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("sam", "supervisor-pass")) as sam:
        _post(admin, 0, src=None, dst="A1-02", reason="receive", item=_item("SN-0002"))
        _post(admin, 1, src=None, dst="A2-03", reason="receive", item=_item("SN-0002"))
        mine = [x for x in ok(sam.get("/api/v1/lots/exceptions", params={
            "kind": "serial_two_places"}))["exceptions"] if x["serial"] == "SN-0002"]
        assert len(mine) == 1
        sightings = mine[0]["detail"]["sightings"]
        assert [s["location"] for s in sightings] == ["A1-02", "A2-03"]
        assert mine[0]["warehouses"] == [WH]
        got = ok(sam.get("/api/v1/serials/SKU-1/SN-0002"))
        assert got["open_exceptions"] == [mine[0]["exception_id"]]
        done = ok(sam.post(f"/api/v1/lots/exceptions/{mine[0]['exception_id']}/resolve",
                           json={"note": "relabelled the duplicate"}))
        assert done["kind"] == "serial_two_places"


def test_unknown_serials_are_404_and_another_warehouses_serial_is_not_shown(hub: Hub) -> None:
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann, \
            hub.client(hub.login("sam", "supervisor-pass")) as sam:
        missing = ann.get("/api/v1/serials/SKU-1/NO-SUCH")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        _post(admin, 0, src=None, dst="W2-BIN", reason="receive", wh=WH2,
              item=_item("SN-W2"))
        _post(admin, 1, src=None, dst="W2-BIN", reason="receive", wh=WH2,
              item=_item("SN-W2"))  # two places at once, in WH2
        assert ok(admin.get("/api/v1/serials/SKU-1/SN-W2"))["warehouse"] == WH2
        assert ann.get("/api/v1/serials/SKU-1/SN-W2").status_code == 404
        assert ok(ann.get("/api/v1/serials", params={"serial": "SN-W2"}))["serials"] == []
        assert len(ok(admin.get("/api/v1/serials", params={"serial": "SN-W2"}))["serials"]) == 1
        theirs = [x for x in ok(admin.get("/api/v1/lots/exceptions"))["exceptions"]
                  if x["serial"] == "SN-W2"]
        assert len(theirs) == 1
        listed = ok(sam.get("/api/v1/lots/exceptions"))["exceptions"]
        assert [x for x in listed if x["serial"] == "SN-W2"] == []
        path = f"/api/v1/lots/exceptions/{theirs[0]['exception_id']}/resolve"
        assert sam.post(path, json={}).status_code == 404
