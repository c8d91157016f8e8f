"""Recall over a real hub and PostgreSQL: POST /api/v1/recalls holds every available quantity of
a lot — a pallet of it, its share of a mixed pallet, loose stock — through the ledger, and
reports what was received, what is on hand where and what was shipped on which order."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, Source, StockMoved, UnitRef, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import at

pytestmark = pytest.mark.integration
FULL = "340123450000000303"  # a pallet of the lot alone
MIXED = "340123450000000404"  # the lot beside another
SITE = [{"code": c, "warehouse": "WH1", "kind": k} for c, k in (
    ("R-DOCK", "dock_door"), ("R-BIN-A", "bin"), ("R-BIN-B", "bin"), ("R-BIN-C", "bin"))]


def _move(t: float, reason: str, frm: str | None, to: str | None, *, item: ItemLine | None = None,
          unit: str | None = None, **extra: Any) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse="WH1",
                      source=Source(kind="pda", device_id="pda-1"), item=item,
                      unit=UnitRef(sscc=unit) if unit else None, from_location=frm,
                      to_location=to, reason=reason, **extra)


def _lot(qty: int, lot: str = "L-RC", sku: str = "R-SKU") -> ItemLine:
    return ItemLine(sku=sku, lot=lot, quantity=Decimal(qty))


MOVES = [
    _move(0, "receive", None, "R-DOCK", unit=FULL, contents=(_lot(10),), task_id="receipt:R-R1"),
    _move(10, "putaway", "R-DOCK", "R-BIN-A", unit=FULL),
    _move(20, "receive", None, "R-BIN-B", unit=MIXED,
          contents=(_lot(5), _lot(3, lot="L-KEEP"))),
    _move(30, "receive", None, "R-BIN-C", item=_lot(7)),
    _move(40, "ship", "R-BIN-C", None, item=_lot(2), task_id="ship:O-R1"),
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


def test_a_recall_holds_every_available_quantity_and_reports_the_lot(hub: Hub) -> None:
    report = _recall(hub)
    assert report["held"] == 10 + 5 + 5
    assert report["held_whole_units"] == [f"sscc:{FULL}"]
    assert report["taken_out_of_units"] == [f"sscc:{MIXED}"]
    assert len(report["move_ids"]) == 3
    assert report["received"] == 10 + 5 + 7
    assert report["shipped"] == [{"order_id": "O-R1", "quantity": 2, "carrier": None}]
    held = {(h["location"], h["status"]): h["quantity"] for h in report["now"]["at_locations"]}
    assert held == {("R-BIN-A", "quarantine"): 10, ("R-BIN-B", "quarantine"): 5,
                    ("R-BIN-C", "quarantine"): 5}
    with hub.client() as c:  # the other lot on the mixed pallet is untouched
        other = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L-KEEP"}).json()
    assert [(h["status"], h["quantity"]) for h in other["now"]["at_locations"]] == [
        ("available", 3)]
    # the holds are ledger moves of the recall, with the caller as user
    with hub.client() as c:
        trace = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L-RC"}).json()
    holds = [s for s in trace["steps"] if s["to_status"] == "quarantine"]
    assert {s["user"] for s in holds} == {"admin"} and len(holds) >= 3


def test_repeating_a_recall_holds_nothing_twice(hub: Hub) -> None:
    again = _recall(hub)
    assert again["held"] == 0 and again["move_ids"] == []


def test_unknown_lot_is_404_and_other_warehouses_403(hub: Hub) -> None:
    r = _recall(hub, status=404, lot="NO-SUCH")
    assert "NO-SUCH" in r["detail"]
    token = hub.login("wes", "wes-pass")
    _recall(hub, token, status=403)
