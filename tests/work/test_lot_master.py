"""The lot master through the hub's HTTP API on real PostgreSQL (issue 21): one record of a
lot's expiry whatever reported it — receipts, moves, imports — read by FEFO; a second,
different expiry is an exception a supervisor resolves, never an overwrite; an expired lot on
receipt is accepted and flagged; imports report every row; an unknown lot is a 404."""

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
NOW = datetime.now(UTC).replace(microsecond=0)
SOON = (NOW + timedelta(days=10)).date().isoformat()
LATER = (NOW + timedelta(days=400)).date().isoformat()


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url:
        with connect(url) as conn:
            build_site(conn)
            upsert_locations(conn, [Location("W2-BIN", "WH2", "bin")])
            create_user(conn, "ann", "picker-pass", ["picker"], [WH])
            create_user(conn, "sam", "supervisor-pass", ["supervisor"], [WH])
        with running_hub(url, mqtt_enabled=False) as h:
            yield h


def _move(c: httpx.Client, item: dict[str, Any], src: str | None, dst: str,
          reason: str) -> None:
    event = {"event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(), "warehouse": WH,
             "source": {"kind": "system", "device_id": "erp-import"}, "item": item,
             "from_location": src, "to_location": dst, "reason": reason}
    assert ok(c.post("/api/v1/moves", json=event))["applied"] == 1


def _receive(c: httpx.Client, receipt_id: str, sku: str, lot: str, expiry: str) -> None:
    ok(c.post("/api/v1/receipts", json={
        "receipt_id": receipt_id, "warehouse": WH, "dock": "DOCK-1", "supplier": "ACME",
        "lines": [{"line_id": "1", "sku": sku, "lot": lot, "quantity": 10,
                   "expiry": expiry}]}), 201)
    ok(c.post(f"/api/v1/receipts/{receipt_id}/arrivals", json={
        "event_id": str(uuid.uuid4()), "sku": sku, "lot": lot, "quantity": 10,
        "occurred_at": NOW.isoformat(), "device_id": "dock-scanner"}))


def _import(c: httpx.Client, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return ok(c.post("/api/v1/lots/import", json={"rows": rows}))  # type: ignore[no-any-return]


def test_fefo_picks_the_lot_expiring_first_when_only_an_import_said_so(hub: Hub) -> None:
    sku = "SKU-LM-FEFO"
    with hub.client() as admin:
        _receive(admin, "R-LM-FEFO", sku, "KEEPS", LATER)  # expiry from the receipt
        _move(admin, {"sku": sku, "lot": "KEEPS", "quantity": 10}, "DOCK-1", "A1-04", "putaway")
        # Opening stock without an expiry on the move: only the import knows it.
        _move(admin, {"sku": sku, "lot": "IMPORTED", "quantity": 10}, None, "A2-03", "adjust")
        report = _import(admin, [{"sku": sku, "lot": "IMPORTED", "expiry": SOON,
                                  "origin": "NL"}])
        assert [r["outcome"] for r in report["report"]] == ["created"]
        ok(admin.post("/api/v1/orders", json={"order_id": "O-LM", "warehouse": WH, "lines": [
            {"line_no": 1, "sku": sku, "quantity": 4}]}), 201)
        wave = ok(admin.post("/api/v1/waves", json={"warehouse": WH, "wave_id": "W-LM",
                                                     "today": NOW.date().isoformat()}), 201)
        (pick_id,) = wave["task_ids"]
        step = ok(admin.get(f"/api/v1/tasks/{pick_id}"))["steps"][0]
        assert (step["lot"], step["expiry"]) == ("IMPORTED", SOON)
        keeps = ok(admin.get(f"/api/v1/lots/{sku}/KEEPS"))
        assert (keeps["expiry"], keeps["expiry_source"], keeps["supplier"]) == (
            LATER, "receipt", "ACME")
        listed = ok(admin.get("/api/v1/lots", params={"sku": sku}))["lots"]
        assert [(x["lot"], x["expiry"]) for x in listed] == [("IMPORTED", SOON), ("KEEPS", LATER)]


def test_a_receipt_and_an_event_disagreeing_is_one_exception_until_resolved(hub: Hub) -> None:
    sku = "SKU-LM-CONF"
    with hub.client() as admin, hub.client(hub.login("sam", "supervisor-pass")) as sam, \
            hub.client(hub.login("ann", "picker-pass")) as ann:
        _receive(admin, "R-LM-CONF", sku, "L7", LATER)
        _move(admin, {"sku": sku, "lot": "L7", "quantity": 2, "expiry": SOON}, None, "A1-02",
              "adjust")
        assert ok(ann.get(f"/api/v1/lots/{sku}/L7"))["expiry"] == LATER  # unchanged
        assert ann.get("/api/v1/lots/exceptions").status_code == 403  # a supervisor's list
        listed = ok(sam.get("/api/v1/lots/exceptions"))["exceptions"]
        mine = [x for x in listed if x["sku"] == sku]
        assert [(x["kind"], x["lot"], x["master_expiry"], x["reported_expiries"])
                for x in mine] == [("expiry_conflict", "L7", LATER, [SOON, LATER])]
        path = f"/api/v1/lots/exceptions/{mine[0]['exception_id']}/resolve"
        assert sam.post(path, json={"note": "which one?"}).status_code == 409  # names no expiry
        assert ann.post(path, json={"expiry": SOON}).status_code == 403
        done = ok(sam.post(path, json={"expiry": SOON, "note": "label checked"}))
        assert (done["resolved_by"], done["expiry"]) == ("sam", SOON)
        lot = ok(ann.get(f"/api/v1/lots/{sku}/L7"))
        assert (lot["expiry"], lot["expiry_source"], lot["open_exceptions"]) == (
            SOON, "resolved", 0)
        assert sam.post(path, json={"expiry": SOON}).status_code == 409  # already resolved
        after = ok(sam.get("/api/v1/lots/exceptions"))["exceptions"]
        assert [x for x in after if x["sku"] == sku] == []


def test_an_expired_lot_on_receipt_is_accepted_and_flagged(hub: Hub) -> None:
    sku, past = "SKU-LM-OLD", (NOW - timedelta(days=3)).date().isoformat()
    with hub.client() as admin, hub.client(hub.login("sam", "supervisor-pass")) as sam:
        _receive(admin, "R-LM-OLD", sku, "GONE", past)
        stock = ok(admin.get("/api/v1/stock", params={"sku": sku}))
        assert stock, "the receipt was accepted"
        flagged = [x for x in ok(sam.get("/api/v1/lots/exceptions", params={
            "kind": "expired_on_receipt"}))["exceptions"] if x["sku"] == sku]
        assert [(x["lot"], x["detail"]["expiry"]) for x in flagged] == [("GONE", past)]


def test_an_import_reports_every_row_and_keeps_a_conflicting_expiry_aside(hub: Hub) -> None:
    sku = "SKU-LM-IMP"
    csv = (f"sku,lot,expiry,best_before,supplier\n{sku},A,{LATER},,Farm 1\n"
           f"{sku},B,31/12/2027,,\n{sku},,{LATER},,\n{sku},C,{LATER},,x,extra\n"
           f"{sku},A,{SOON},,\n")
    with hub.client() as admin:
        report = ok(admin.post("/api/v1/lots/import", content=csv.encode(),
                               headers={"Content-Type": "text/csv"}))
        rows = {r["row"]: (r["outcome"], r["detail"]) for r in report["report"]}
        assert rows[1] == ("created", "")
        assert rows[2][0] == "rejected" and "expiry" in rows[2][1] and "31/12/2027" in rows[2][1]
        assert rows[3] == ("rejected", "lot is missing")
        assert rows[4][0] == "rejected" and "more values" in rows[4][1]
        assert rows[5][0] == "conflict" and LATER in rows[5][1]
        assert (report["created"], report["rejected"], report["conflicts"]) == (1, 3, 1)
        lot = ok(admin.get(f"/api/v1/lots/{sku}/A"))
        assert (lot["expiry"], lot["supplier"], lot["open_exceptions"]) == (LATER, "Farm 1", 1)
        bad_json = admin.post("/api/v1/lots/import", json={"rows": "no"})
        assert bad_json.status_code == 422
        too_big = admin.post("/api/v1/lots/import", content=b"sku,lot\n" + b"x,y\n" * 600_000,
                             headers={"Content-Type": "text/csv"})
        assert too_big.status_code == 413


def test_an_unknown_lot_is_a_404_problem_and_lots_are_read_by_any_warehouse(hub: Hub) -> None:
    sku = "SKU-LM-WH"
    with hub.client() as admin:
        for wh, where in (("WH1", "A1-03"), ("WH2", "W2-BIN")):
            event = {"event_id": str(uuid.uuid4()), "occurred_at": NOW.isoformat(),
                     "warehouse": wh, "source": {"kind": "system", "device_id": "erp"},
                     "item": {"sku": sku, "lot": "BOTH", "quantity": 3, "expiry": LATER},
                     "to_location": where, "reason": "receive"}
            assert ok(admin.post("/api/v1/moves", json=event))["applied"] == 1
        everywhere = ok(admin.get(f"/api/v1/lots/{sku}/BOTH"))["on_hand"]
        assert [(h["warehouse"], h["location"], h["quantity"]) for h in everywhere] == [
            ("WH1", "A1-03", 3), ("WH2", "W2-BIN", 3)]
    with hub.client(hub.login("ann", "picker-pass")) as ann:
        lot = ok(ann.get(f"/api/v1/lots/{sku}/BOTH"))  # the lot is shared, its stock is not
        assert (lot["expiry"], [h["warehouse"] for h in lot["on_hand"]]) == (LATER, ["WH1"])
        missing = ann.get("/api/v1/lots/SKU-NONE/NOPE")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert "NOPE" in missing.json()["detail"]
        assert ann.get("/api/v1/lots", params={"sku": "x" * 200}).status_code == 422
        assert ann.post("/api/v1/lots/import", json={"rows": []}).status_code == 403


def test_a_pda_label_expiry_unlike_the_receipts_is_a_conflict_not_an_overwrite(
        hub: Hub) -> None:
    sku = "SKU-LM-PDA"
    with hub.client() as admin, hub.client(hub.login("ann", "picker-pass")) as ann, \
            hub.client(hub.login("sam", "supervisor-pass")) as sam:
        ok(admin.post("/api/v1/receipts", json={
            "receipt_id": "R-LM-PDA", "warehouse": WH, "dock": "DOCK-1",
            "lines": [{"line_id": "1", "sku": sku, "lot": "P1", "quantity": 1,
                       "expiry": LATER}]}), 201)
        got = ok(ann.post("/api/v1/tasks/receive-R-LM-PDA/steps/1/confirm", json={
            "idempotency_key": str(uuid.uuid4()), "task_id": "receive-R-LM-PDA",
            "step_id": "1", "occurred_at": NOW.isoformat(), "device_id": "pda-7",
            "scanned_sku": sku, "lot": "P1", "expiry": SOON, "serial": "SN-0001",
            "quantity": 1}))
        assert got["status"] == "accepted", got
        lot = ok(ann.get(f"/api/v1/lots/{sku}/P1"))
        assert (lot["expiry"], lot["open_exceptions"]) == (LATER, 1)
        assert sorted((r["expiry"], r["source"]) for r in lot["expiry_reports"]) == [
            (SOON, "event"), (LATER, "receipt")]
        mine = [x for x in ok(sam.get("/api/v1/lots/exceptions"))["exceptions"]
                if x["sku"] == sku]
        assert [(x["kind"], x["detail"]["reported"]) for x in mine] == [
            ("expiry_conflict", SOON)]
    with connect(hub.settings.database_url or "", migrate_schema=False) as conn:
        serial = conn.execute("SELECT payload->'item'->>'serial' FROM moves WHERE sku = %s "
                              "AND reason = 'receive'", (sku,)).fetchone()
    assert serial == ("SN-0001",)


def test_a_read_does_not_wait_for_a_refresh_another_session_is_running(hub: Hub) -> None:
    from cloud_hub.work.pg import lots
    with connect(hub.settings.database_url or "", migrate_schema=False) as other, \
            hub.client() as admin:
        _move(admin, {"sku": "SKU-LM-LOCK", "lot": "K", "quantity": 1, "expiry": LATER},
              None, "A1-01", "adjust")
        with other.transaction():
            other.execute("SELECT pg_advisory_xact_lock(%s)", (lots.LOCK_KEY,))
            started = datetime.now(UTC)
            got = admin.get("/api/v1/lots/exceptions")
            waited = datetime.now(UTC) - started
        assert got.status_code == 200 and waited < timedelta(seconds=5)
        # Once the other refresher is done, the next read folds the move in.
        assert ok(admin.get("/api/v1/lots/SKU-LM-LOCK/K"))["expiry"] == LATER
