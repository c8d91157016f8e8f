"""A picker on a real hub picks in boxes: the SKU's units come from an import (kind uoms), the
PDA scans the box's GTIN (as a GTIN-14 while the master holds it as given) or keys a unit, and
the ledger books base units; half an item is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub
from tests.work.site import WH, build_site, stock
from tests.work.test_api_cycle import confirm, ok

pytestmark = pytest.mark.integration
BOX_GTIN = "4006381333931"  # a GTIN-13 on the master; labels carry it as 04006381333931


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            stock(conn, "SKU-2", 60, "A1-03")
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def test_picking_by_the_box(hub: Hub) -> None:
    with hub.client() as admin:
        r = admin.post("/api/v1/imports/uoms", content=f"sku,uom,factor,gtin\nSKU-2,BOX,12,"
                       f"{BOX_GTIN}\n".encode(), headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        ok(admin.post("/api/v1/orders", json={"order_id": "O-BOX", "warehouse": WH, "lines": [
            {"line_no": 1, "sku": "SKU-2", "quantity": 36}]}), 201)
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "today": "2026-06-01"}),
                  201)
    with hub.client(hub.login("ann", "picker-pass")) as ann:
        pick = ok(ann.post(f"/api/v1/tasks/{wave['task_ids'][0]}/claim"))
        step = pick["steps"][0]
        half = confirm(ann, pick, step, 1, scanned_location="A1-03", scanned_sku="SKU-2",
                       quantity="0.5", uom="EA")
        assert (half["status"], half["code"]) == ("rejected", "invalid")
        key = uuid.uuid4()
        boxes = confirm(ann, pick, step, 2, key, scanned_location="A1-03",
                        scanned_gtin="0" + BOX_GTIN, quantity=2)
        assert (boxes["status"], boxes["remaining_quantity"]) == ("accepted", 12), boxes
        rest = confirm(ann, pick, step, 3, scanned_location="A1-03", scanned_sku="SKU-2",
                       quantity=1, uom="BOX")
        assert (rest["status"], rest["code"], rest["task_state"]) == ("accepted", "ok", "done")
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        assert conn.execute("SELECT quantity FROM balances WHERE location = 'A1-03' "
                            "AND sku = 'SKU-2'").fetchone() == (24,)
