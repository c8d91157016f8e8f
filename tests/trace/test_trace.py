"""Trace over a real hub and PostgreSQL: a lot received on a pallet, put away, the pallet moved,
part picked and packed into an outbound SSCC, shipped — every move posted through POST /moves
(the ledger's one apply path), the receipt and order through the work API."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, Source, StockMoved, UnitRef, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import ROOT, Hub, hub_env, running_hub
from tests.ledger.factories import at

pytestmark = pytest.mark.integration
IN = "340123450000000101"  # the inbound pallet
OUT = "340123450000000202"  # the outbound SSCC
SITE = [{"code": "T-DOCK", "warehouse": "WH1", "kind": "dock_door"},
        {"code": "T-BIN-A", "warehouse": "WH1", "kind": "bin"},
        {"code": "T-BIN-B", "warehouse": "WH1", "kind": "bin"},
        {"code": "T-STAGE", "warehouse": "WH1", "kind": "staging"},
        {"code": "T-PACK", "warehouse": "WH1", "kind": "packing"},
        {"code": "T2-DOCK", "warehouse": "WH2", "kind": "dock_door"}]


def _move(t: float, reason: str, frm: str | None, to: str | None, *, item: ItemLine | None = None,
          unit: str | None = None, wh: str = "WH1", **extra: Any) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse=wh,
                      source=Source(kind="pda", device_id="pda-1"), item=item,
                      unit=UnitRef(sscc=unit) if unit else None, from_location=frm,
                      to_location=to, reason=reason, user="ana", **extra)


def _lot(qty: int, lot: str = "L-TR", sku: str = "T-SKU") -> ItemLine:
    return ItemLine(sku=sku, lot=lot, quantity=Decimal(qty))


MOVES = [
    _move(0, "receive", None, "T-DOCK", unit=IN, contents=(_lot(10),), task_id="receipt:R-T1"),
    _move(10, "putaway", "T-DOCK", "T-BIN-A", unit=IN),
    _move(20, "transfer", "T-BIN-A", "T-BIN-B", unit=IN),  # the pallet moved: so did the lot
    _move(25, "transfer", None, "T-PACK", unit=OUT),  # an empty outbound SSCC at packing
    _move(30, "pick", "T-BIN-B", "T-STAGE", item=_lot(4), unit=IN),  # out of the pallet
    _move(40, "pick", "T-STAGE", "T-PACK", item=_lot(4), unit=OUT),  # into the SSCC
    _move(50, "ship", "T-PACK", None, unit=OUT, task_id="ship:O-T1"),
    _move(5, "receive", None, "T-DOCK", item=_lot(3, lot="L-OTHER")),  # not traced
    _move(6, "receive", None, "T2-DOCK", item=_lot(2), wh="WH2"),  # same lot, other warehouse
]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201, "site"
            assert c.post("/api/v1/skus", json={"sku": "T-SKU"}).status_code == 201
            r = c.post("/api/v1/receipts", json={
                "receipt_id": "R-T1", "warehouse": "WH1", "dock": "T-DOCK",
                "supplier": "ACME Foods", "lines": [
                    {"line_id": "1", "sku": "T-SKU", "quantity": 10, "lot": "L-TR"}]})
            assert r.status_code == 201, r.text
            r = c.post("/api/v1/moves", content=encode_batch(MOVES))
            assert r.json()["applied"] == len(MOVES), r.text
            r = c.post("/api/v1/orders", json={"order_id": "O-T1", "warehouse": "WH1",
                                               "carrier": "DHL", "lines": [
                                                   {"line_no": 1, "sku": "T-SKU", "quantity": 4}]})
            assert r.status_code == 201, r.text
        with connect(url) as conn:
            create_user(conn, "wes", "wes-pass", ["manager"], ["WH2"])
        yield h


def trace(hub: Hub, status: int = 200, **params: Any) -> dict[str, Any]:
    with hub.client() as c:
        r = c.get("/api/v1/trace", params={"warehouse": "WH1", **params})
    assert r.status_code == status, r.text
    return r.json()  # type: ignore[no-any-return]


def _story(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(s["kind"], s["quantity"], s["unit"], s["via_unit"], s["from_location"],
             s["to_location"]) for s in body["steps"]]


def test_forward_trace_finds_every_step_and_where_the_rest_is(hub: Hub) -> None:
    body = trace(hub, lot="L-TR", direction="forward")
    assert body["lots"] == [{"sku": "T-SKU", "lot": "L-TR"}]
    assert _story(body) == [
        ("putaway", 10, f"sscc:{IN}", True, "T-DOCK", "T-BIN-A"),
        ("transfer", 10, f"sscc:{IN}", True, "T-BIN-A", "T-BIN-B"),
        ("unpack", 4, f"sscc:{IN}", False, "T-BIN-B", "T-STAGE"),
        ("pack", 4, f"sscc:{OUT}", False, "T-STAGE", "T-PACK"),
        ("ship", 4, f"sscc:{OUT}", True, "T-PACK", None),
    ]
    assert body["steps"][-1]["order"] == "O-T1"
    assert body["orders"] == [{"order_id": "O-T1", "kind": "sales", "state": body["orders"][0][
        "state"], "carrier": "DHL", "customer_id": None, "customer": None, "ship_to": None}]
    assert body["units"] == [f"sscc:{IN}", f"sscc:{OUT}"]
    now = body["now"]
    assert now["on_hand"] == 6
    assert [(h["location"], h["quantity"]) for h in now["at_locations"]] == [("T-BIN-B", 6)]
    in_pallet = [h for h in now["in_units"] if h["unit"] == f"sscc:{IN}"]
    assert [(h["location"], h["quantity"]) for h in in_pallet] == [("T-BIN-B", 6)]
    assert not body["truncated"]


def test_backward_from_the_shipped_sscc_finds_the_receipt(hub: Hub) -> None:
    body = trace(hub, unit=OUT, direction="backward")  # a bare SSCC names the unit too
    assert body["subject"] == "unit" and body["unit"] == f"sscc:{OUT}"
    assert [s["kind"] for s in body["steps"]] == ["receive", "putaway", "transfer", "unpack",
                                                   "pack"]
    assert body["steps"][0]["receipt"] == "R-T1" and body["steps"][0]["user"] == "ana"
    assert body["receipts"] == [{"receipt_id": "R-T1", "supplier": "ACME Foods",
                                 "dock": "T-DOCK", "state": "open", "expected": [
                                     {"sku": "T-SKU", "lot": "L-TR", "quantity": 10}]}]
    forward = trace(hub, unit=f"sscc:{OUT}", direction="forward")
    assert [s["kind"] for s in forward["steps"]] == ["pack", "ship"]


def test_backward_from_the_lot_is_how_it_came_in(hub: Hub) -> None:
    body = trace(hub, lot="L-TR", sku="T-SKU", direction="backward")
    assert _story(body) == [("receive", 10, f"sscc:{IN}", True, None, "T-DOCK")]
    assert [r["supplier"] for r in body["receipts"]] == ["ACME Foods"]
    both = trace(hub, lot="L-TR")
    assert len(both["steps"]) == 6 and both["page"]["total_steps"] == 6


def test_steps_are_paged(hub: Hub) -> None:
    first = trace(hub, lot="L-TR", limit=4)
    assert len(first["steps"]) == 4 and first["page"]["next_offset"] == 4
    rest = trace(hub, lot="L-TR", limit=4, offset=4)
    assert [s["kind"] for s in rest["steps"]] == ["pack", "ship"]
    assert rest["page"]["next_offset"] is None


def test_unknown_lot_or_unit_is_a_404_problem(hub: Hub) -> None:
    with hub.client() as c:
        for params in ({"lot": "NO-SUCH"}, {"lot": "L-TR", "sku": "OTHER"},
                       {"unit": "sscc:000000000000000000"}):
            r = c.get("/api/v1/trace", params={"warehouse": "WH1", **params})
            assert r.status_code == 404, params
            assert r.headers["content-type"].startswith("application/problem+json")
        r = c.get("/api/v1/trace", params={"warehouse": "WH1"})
        assert r.status_code == 422
        r = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L\x00"})
        assert r.status_code in (400, 422)


def test_a_user_of_wh2_cannot_trace_wh1(hub: Hub) -> None:
    token = hub.login("wes", "wes-pass")
    with hub.client(token) as c:
        r = c.get("/api/v1/trace", params={"warehouse": "WH1", "lot": "L-TR"})
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        own = c.get("/api/v1/trace", params={"warehouse": "WH2", "lot": "L-TR"})
        assert own.status_code == 200
        assert [s["to_location"] for s in own.json()["steps"]] == ["T2-DOCK"]


def test_cli_json_equals_rest(hub: Hub) -> None:
    rest = trace(hub, lot="L-TR", sku="T-SKU")
    out = subprocess.run([sys.executable, "-m", "cloud_hub", "trace", "--warehouse", "WH1",
                          "--lot", "L-TR", "--sku", "T-SKU", "--json"],
                         env=hub_env(hub.settings), cwd=ROOT, check=True, timeout=120,
                         capture_output=True)
    assert json.loads(out.stdout) == rest


def test_cli_finds_the_warehouse_or_asks_for_it(hub: Hub) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, "-m", "cloud_hub", "trace", *args],
                              env=hub_env(hub.settings), cwd=ROOT, timeout=120,
                              capture_output=True)
    both = cli("--lot", "L-TR", "--json")  # in WH1 and WH2: which one?
    assert both.returncode == 2 and b"WH1, WH2" in both.stderr
    unit = cli("--unit", OUT, "--json", "--direction", "forward")
    assert unit.returncode == 0, unit.stderr
    assert json.loads(unit.stdout) == trace(hub, unit=OUT, direction="forward")
    assert cli("--lot", "NO-SUCH", "--warehouse", "WH1").returncode == 1
