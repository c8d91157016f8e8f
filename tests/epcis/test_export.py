"""EPCIS 2.0 export over a real hub and PostgreSQL: moves posted through POST /moves (the
ledger's one apply path) come back as GS1-schema-valid EPCIS documents, by REST and CLI."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.epcis.pg.export import export as export_document
from cloud_hub.epcis.query import EpcisQuery
from cloud_hub.work.pg.tasks import insert_task
from cloud_hub.work.steps import StepLink, WorkTask
from protocol import ItemLine, Source, StockMoved, UnitRef, encode_batch
from protocol.tasks import Instruction, Task, TaskKind, TaskState, TaskStep
from tests.conftest import scratch_database
from tests.epcis.schema import assert_valid
from tests.hub_fixtures import ROOT, Hub, hub_env, running_hub
from tests.ledger.factories import T0, at

pytestmark = pytest.mark.integration
GLN = "4012345000009"
GTIN = "04012345123456"
SSCC = "340123450000000017"
TAG = "3074257BF7194E4000001A85"  # an SGTIN-96 tag: urn:epc:id:sgtin:0614141.812345.6789
SITE = [{"code": "E-DOCK", "warehouse": "WH1", "kind": "dock_door",
         "attributes": {"gln": GLN, "gln_extension": "D1"}},
        {"code": "E-BIN-A", "warehouse": "WH1", "kind": "bin"},
        {"code": "E-BIN-B", "warehouse": "WH1", "kind": "bin"},
        {"code": "E-PACK", "warehouse": "WH1", "kind": "packing"},
        {"code": "E2-DOCK", "warehouse": "WH2", "kind": "dock_door"}]
LOC = "urn:stockpulse:loc:WH1:"
LGTIN = f"https://id.gs1.org/01/{GTIN}/10/L7"
UNIT = f"https://id.gs1.org/00/{SSCC}"


def _move(t: float, reason: str, frm: str | None, to: str | None, *, item: ItemLine | None = None,
          unit: UnitRef | None = None, kind: str = "pda", wh: str = "WH1",
          **extra: Any) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=at(t), warehouse=wh,
                      source=Source(kind=kind, device_id=f"{kind}-1",
                                    read_point="E-DOCK" if kind == "rfid" else None),
                      item=item, unit=unit, from_location=frm, to_location=to, reason=reason,
                      **extra)


def _item(sku: str, qty: int, lot: str) -> ItemLine:
    return ItemLine(sku=sku, lot=lot, quantity=Decimal(qty))


MOVES = [
    _move(0, "receive", None, "E-DOCK", item=_item("E-GT", 10, "L7"), task_id="receipt:R-1"),
    _move(10, "putaway", "E-DOCK", "E-BIN-A", item=_item("E-GT", 10, "L7")),
    _move(20, "receive", None, "E-DOCK", unit=UnitRef(sscc=SSCC),
          contents=(_item("E-NOG", 5, "L2"),), task_id="receipt:R-1"),
    _move(30, "transfer", "E-DOCK", "E-PACK", unit=UnitRef(sscc=SSCC)),
    _move(40, "pick", "E-BIN-A", "E-PACK", item=_item("E-GT", 4, "L7"), unit=UnitRef(sscc=SSCC),
          task_id="W-1-1"),
    _move(50, "putaway", "E-PACK", "E-BIN-B", item=_item("E-NOG", 2, "L2"),
          unit=UnitRef(sscc=SSCC)),
    _move(60, "adjust", "E-BIN-A", "E-BIN-A", item=_item("E-GT", 6, "L7"), to_status="quarantine"),
    _move(70, "ship", "E-PACK", None, unit=UnitRef(sscc=SSCC), task_id="ship:O-1"),
    _move(80, "portal_pass", None, "E-DOCK", unit=UnitRef(epc=TAG), kind="rfid"),
    _move(90, "sighting", "E-DOCK", "E-DOCK", unit=UnitRef(epc=TAG), kind="rfid"),
    _move(5, "receive", None, "E2-DOCK", item=_item("E-GT", 3, "L9"), wh="WH2"),
]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201, "site"
            assert c.post("/api/v1/skus", json={"sku": "E-GT", "gtin": GTIN}).status_code == 201
            r = c.post("/api/v1/moves", content=encode_batch(MOVES))
            assert r.json()["applied"] == len(MOVES), r.text
        with connect(url) as conn:
            create_user(conn, "pia", "picker-pass", ["picker"], ["WH1"])
            insert_task(conn, wave_task())
        yield h


PICK = (Instruction.SCAN_LOCATION, Instruction.SCAN_ITEM, Instruction.ENTER_QUANTITY)


def wave_task() -> WorkTask:
    """The wave pick task the pick move confirmed: two of its steps took lot L7 from E-BIN-A
    for orders O-1 and O-2; a third, elsewhere, was for O-3."""
    steps = tuple(TaskStep(step_id=str(n), sequence=n, instructions=PICK, location=bin_,
                           to_location="E-PACK", sku="E-GT", lot="L7",
                           expected_quantity=Decimal(2), remaining_quantity=Decimal(0))
                  for n, bin_ in ((1, "E-BIN-A"), (2, "E-BIN-A"), (3, "E-BIN-B")))
    task = Task(task_id="W-1-1", kind=TaskKind.PICK, state=TaskState.DONE, warehouse="WH1",
                created_at=T0, reference="W-1", steps=steps)
    return WorkTask(task, {str(n): StepLink(order_id=f"O-{n}", line_no=1) for n in (1, 2, 3)})


def export(hub: Hub, **params: str | list[str]) -> dict[str, Any]:
    with hub.client() as c:
        r = c.get("/api/v1/epcis/events", params={"warehouse": "WH1", **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/ld+json")
    document = r.json()
    assert_valid(document)
    return document  # type: ignore[no-any-return]


def events(hub: Hub, **params: str | list[str]) -> list[dict[str, Any]]:
    return export(hub, **params)["epcisBody"]["eventList"]  # type: ignore[no-any-return]


def test_every_move_maps_to_schema_valid_cbv_events(hub: Hub) -> None:
    all_events = events(hub)
    steps = [e["bizStep"] for e in all_events]
    assert steps == ["receiving", "storing", "receiving", "storing", "picking", "packing",
                     "unpacking", "storing", "holding", "shipping", "arriving", "inspecting"]
    receipt = all_events[0]
    assert receipt["type"] == "ObjectEvent" and receipt["action"] == "OBSERVE"
    assert receipt["bizLocation"] == {"id": f"https://id.gs1.org/414/{GLN}/254/D1"}
    assert receipt["quantityList"] == [{"epcClass": LGTIN, "quantity": 10}]
    assert receipt["disposition"] == "sellable_not_accessible"
    assert receipt["bizTransactionList"] == [
        {"type": "desadv", "bizTransaction": "urn:stockpulse:receipt:WH1:R-1"}]
    assert receipt["eventTime"].startswith(T0.strftime("%Y-%m-%dT%H:%M:%S"))
    assert all_events[1]["bizLocation"] == {"id": LOC + "E-BIN-A"}
    pallet = all_events[2]  # a unit received with declared contents, no GTIN for that SKU
    assert pallet["epcList"] == [UNIT]
    assert pallet["quantityList"] == [{"epcClass": "urn:stockpulse:lot:E-NOG:L2", "quantity": 5}]


def test_packing_and_unpacking_are_aggregation_events(hub: Hub) -> None:
    pick, pack, unpack, away = [e for e in events(hub) if e["bizStep"] in
                                ("picking", "packing", "unpacking")
                                or e.get("bizLocation", {}).get("id") == LOC + "E-BIN-B"]
    assert pick["type"] == "ObjectEvent" and pick["quantityList"] == [
        {"epcClass": LGTIN, "quantity": 4}]
    assert pick["disposition"] == "in_progress" and pick["bizLocation"]["id"] == LOC + "E-PACK"
    assert pack["type"] == "AggregationEvent" and pack["action"] == "ADD"
    assert pack["parentID"] == UNIT and pack["bizLocation"]["id"] == LOC + "E-PACK"
    assert pack["childQuantityList"] == [{"epcClass": LGTIN, "quantity": 4}]
    assert pack["eventID"] != pick["eventID"]
    orders = [{"type": "po", "bizTransaction": f"urn:stockpulse:order:WH1:O-{n}"} for n in (1, 2)]
    assert pick["bizTransactionList"] == orders, "the wave's orders picked at that bin"
    assert pack["bizTransactionList"] == orders
    assert unpack["type"] == "AggregationEvent" and unpack["action"] == "DELETE"
    assert unpack["childQuantityList"] == [{"epcClass": "urn:stockpulse:lot:E-NOG:L2",
                                            "quantity": 2}]
    assert away["bizStep"] == "storing" and away["type"] == "ObjectEvent"


def test_holds_ship_and_rfid_observations(hub: Hub) -> None:
    by_step = {e["bizStep"]: e for e in events(hub)}
    hold = by_step["holding"]
    assert hold["persistentDisposition"] == {"set": ["non_sellable_other"]}
    assert hold["disposition"] == "non_sellable_other"
    ship = by_step["shipping"]
    assert ship["disposition"] == "in_transit" and "bizLocation" not in ship
    assert ship["epcList"] == [UNIT] and ship["bizTransactionList"] == [
        {"type": "po", "bizTransaction": "urn:stockpulse:order:WH1:O-1"}]
    seen = by_step["arriving"]
    assert seen["epcList"] == ["https://id.gs1.org/01/80614141123458/21/6789"]
    assert seen["readPoint"] == {"id": f"https://id.gs1.org/414/{GLN}/254/D1"}


def test_filters(hub: Hub) -> None:
    window = events(hub, GE_eventTime=at(10).isoformat(), LT_eventTime=at(40).isoformat())
    assert [e["bizStep"] for e in window] == ["storing", "receiving", "storing"]
    assert all(at(10) <= _time(e) < at(40) for e in window)
    mine = events(hub, MATCH_epc=UNIT)
    assert [e["bizStep"] for e in mine] == ["receiving", "storing", "shipping"]
    anywhere = events(hub, MATCH_anyEPC=UNIT)
    assert [e["bizStep"] for e in anywhere] == ["receiving", "storing", "packing", "unpacking",
                                               "shipping"]
    assert [e["bizStep"] for e in events(hub, EQ_bizStep="receiving,shipping")] == [
        "receiving", "receiving", "shipping"]
    assert [e["action"] for e in events(hub, eventType="AggregationEvent")] == ["ADD", "DELETE"]
    at_bin = events(hub, EQ_bizLocation=LOC + "E-BIN-A")
    assert [e["bizStep"] for e in at_bin] == ["storing", "holding"]
    assert len(events(hub, lot="L7")) == 5  # receipt, putaway, pick + packing, hold


def test_refusals_are_problems(hub: Hub) -> None:
    with hub.client() as c:
        for params, word in (({"MATCH_epcs": UNIT}, "unknown query parameter"),
                             ({"GE_eventTime": "yesterday"}, "ISO 8601"),
                             ({"eventType": "Object"}, "not an EPCIS event type"),
                             ({"MATCH_epc": ",".join(f"u{i}" for i in range(101))}, "more than")):
            r = c.get("/api/v1/epcis/events", params={"warehouse": "WH1", **params})
            assert r.status_code == 400, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
            assert word in r.json()["detail"]
    picker = hub.login("pia", "picker-pass")
    with hub.client(picker) as c:
        assert c.get("/api/v1/epcis/events", params={"warehouse": "WH1"}).status_code == 200
        r = c.get("/api/v1/epcis/events", params={"warehouse": "WH2"})
        assert r.status_code == 403 and r.headers["content-type"].startswith(
            "application/problem+json")
    assert httpx.get(f"{hub.base_url}/api/v1/epcis/events?warehouse=WH1").status_code == 401


def test_cli_export_equals_rest(hub: Hub, tmp_path: Path) -> None:
    rest = export(hub, GE_eventTime=at(20).isoformat(), MATCH_anyEPC=UNIT)
    out = tmp_path / "slice.jsonld"
    subprocess.run([sys.executable, "-m", "cloud_hub", "epcis", "export", "--warehouse", "WH1",
                    "--from", at(20).isoformat(), "--any-epc", UNIT, "--out", str(out)],
                   env=hub_env(hub.settings), cwd=ROOT, check=True, timeout=120)
    cli = json.loads(out.read_text())
    assert_valid(cli)
    assert len(cli["epcisBody"]["eventList"]) == 5  # receiving at 20 s onwards
    assert {**cli, "creationDate": ""} == {**rest, "creationDate": ""}


def _time(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))


def _peak_of_export(url: str, query: EpcisQuery) -> tuple[int, int]:
    """(events, peak bytes of Python allocations) of one export read to its end."""
    count = 0
    with psycopg.connect(url, autocommit=True) as conn:
        tracemalloc.start()
        try:
            for piece in export_document(lambda: contextlib.nullcontext(conn), query, "x"):
                count += piece.count(b'"eventID"')
            return count, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_stays_flat_as_the_slice_grows(hub: Hub) -> None:
    site = [{"code": f"M-BIN-{i}", "warehouse": "WH3", "kind": "bin"} for i in range(20)]
    moves = [_move(1000 + i, "receive", None, f"M-BIN-{i % 20}", wh="WH3",
                   item=_item(f"M-S{i % 30}", 5, f"ML{i}"), task_id=f"receipt:M{i}")
             for i in range(3000)]
    with hub.client() as c:
        assert c.post("/api/v1/locations", json=site).status_code == 201
        for start in range(0, len(moves), 500):
            r = c.post("/api/v1/moves", content=encode_batch(moves[start:start + 500]))
            assert r.json()["applied"] == 500, r.text
    url = hub.settings.database_url or ""
    # both slices span several pages (500 moves), so both hold the page being encoded and the
    # one read ahead: twice the events, not twice the memory
    small = _peak_of_export(url, EpcisQuery("WH3", before=at(1000 + 1500)))
    large = _peak_of_export(url, EpcisQuery("WH3"))
    assert (small[0], large[0]) == (1500, 3000)
    assert large[1] < small[1] * 1.5 + 200_000, (small, large)
    assert large[1] < 8_000_000  # a page of 500 moves and the bounded URI memos
