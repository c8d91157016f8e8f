"""Locations stay a tree on every write path (JSON, CSV), a CSV import reports every row it
does not write, and walks over a tree that holds a loop anyway (stored before these checks)
end; API statements are cut at the configured timeout while ledger writes go on."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from cloud_hub.catalog.tree import MAX_DEPTH, Place, check_parents
from protocol import encode_event
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
WH = "WHT"


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url, running_hub(url, mqtt_enabled=False,
                                                api_statement_timeout_ms=1500) as h:
        with h.client() as c:
            site = [{"code": "T-Z", "warehouse": WH, "kind": "zone"},
                    {"code": "T-R", "warehouse": WH, "kind": "rack", "parent": "T-Z"},
                    {"code": "T-B1", "warehouse": WH, "kind": "bin", "parent": "T-R"}]
            assert c.post("/api/v1/locations", json=site).status_code == 201
        yield h


def _import(c: httpx.Client, text: str, **params: object) -> dict[str, object]:
    r = c.post("/api/v1/locations/import", content=text.encode(), params=params,
               headers={"content-type": "text/csv"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _parent(c: httpx.Client, code: str) -> object:
    return c.get(f"/api/v1/locations/{code}").json()["parent"]


def test_csv_that_would_close_a_loop_through_stored_locations_is_refused(hub: Hub) -> None:
    # T-R is stored under T-Z: making T-Z a child of T-B1 (under T-R) closes a loop.
    text = ("code,warehouse,kind,parent\n"
            f"T-Z,{WH},zone,T-B1\n"
            f"T-B9,{WH},bin,T-R\n")
    with hub.client() as c:
        report = _import(c, text)
        assert report["written"] == 1 and report["rejected"] == 1
        (error,) = report["errors"]  # type: ignore[misc]
        assert error["line"] == 2 and error["column"] == "parent" and error["code"] == "T-Z"
        assert "T-Z → T-B1 → T-R → T-Z" in error["error"]
        assert _parent(c, "T-Z") is None and _parent(c, "T-B9") == "T-R"


def test_csv_with_a_two_cycle_keeps_its_good_rows_and_names_the_loop(hub: Hub) -> None:
    text = ("code,warehouse,kind,parent\n"
            f"C-X,{WH},rack,C-Y\n"
            f"C-Y,{WH},rack,C-X\n"
            f"C-B,{WH},bin,C-X\n"
            f"C-OK,{WH},bin,T-R\n")
    with hub.client() as c:
        report = _import(c, text)
        assert report["written"] == 1 and report["rejected"] == 3
        errors = {e["line"]: e for e in report["errors"]}  # type: ignore[attr-defined]
        assert "C-X → C-Y → C-X" in errors[2]["error"]
        assert "C-Y → C-X → C-Y" in errors[3]["error"]
        assert "parent 'C-X' is refused" in errors[4]["error"]  # hangs below the loop
        assert c.get("/api/v1/locations/C-X").status_code == 404
        assert _parent(c, "C-OK") == "T-R"


def test_json_and_put_refuse_a_loop_with_its_path(hub: Hub) -> None:
    with hub.client() as c:
        r = c.put("/api/v1/locations/T-R", json={"code": "T-R", "warehouse": WH, "kind": "rack",
                                                 "parent": "T-B1"})
        assert r.status_code == 422 and "T-R → T-B1 → T-R" in r.json()["detail"]
        r = c.post("/api/v1/locations", json=[{"code": "J-1", "warehouse": WH, "kind": "bin"},
                                              {"code": "J-1", "warehouse": WH, "kind": "rack"}])
        assert r.status_code == 422 and "J-1" in r.json()["detail"]
        assert c.get("/api/v1/locations/J-1").status_code == 404
        assert _parent(c, "T-R") == "T-Z"


def test_csv_reports_unknown_warehouse_duplicates_and_stray_cells(hub: Hub) -> None:
    text = ("code,warehouse,kind,parent,capacity\n"
            f"D-1,{WH},bin,T-R,5\n"
            f"D-1,{WH},bin,T-R,7\n"
            "D-2,NO-SUCH-WH,bin,,\n"
            f"D-3,{WH},bin,T-R,5,SKU-42\n"
            f"D-4,{WH},bin,T-R,-1\n"
            f"D-5,{WH},bin,T-R,\n")
    with hub.client() as c:
        report = _import(c, text)
        assert report["written"] == 1 and report["rejected"] == 5
        errors = {e["line"]: e for e in report["errors"]}  # type: ignore[attr-defined]
        assert "also on line(s) 3" in errors[2]["error"] and errors[3]["column"] == "code"
        assert errors[4]["column"] == "warehouse" and "NO-SUCH-WH" in errors[4]["error"]
        assert "6 cells" in errors[5]["error"]
        assert errors[6]["column"] == "capacity"
        assert [r["code"] for r in c.get("/api/v1/locations",
                                         params={"warehouse": WH}).json()
                if r["code"].startswith("D-")] == ["D-5"]
        assert c.get("/api/v1/map/warehouses").json()["warehouses"].count("NO-SUCH-WH") == 0
        made = _import(c, "code,warehouse,kind\nN-1,NEW-WH,zone\n", create_warehouses="true")
        assert made["written"] == 1


def test_csv_with_unknown_columns_or_no_header_is_refused_whole(hub: Hub) -> None:
    with hub.client() as c:
        for text in ("code,warehouse,kind,sku\nU-1,WHT,bin,S1\n", "", "code,kind\nU-2,bin\n"):
            r = c.post("/api/v1/locations/import", content=text.encode())
            assert r.status_code == 422, r.text
        assert c.get("/api/v1/locations/U-1").status_code == 404


def test_walks_over_a_loop_stored_before_the_checks_end_and_ingest_goes_on(hub: Hub) -> None:
    url = hub.settings.database_url or ""
    with psycopg.connect(url, autocommit=True) as conn:  # data from before the checks
        conn.execute("INSERT INTO locations (code, warehouse, kind, parent) VALUES "
                     "('L-A', %s, 'zone', NULL), ('L-B', %s, 'rack', 'L-A')", (WH, WH))
        conn.execute("UPDATE locations SET parent = 'L-B' WHERE code = 'L-A'")
    answers: list[int] = []

    def ask() -> None:
        with hub.client() as c:
            r = c.get("/api/v1/stock", params={"location": "L-A", "include_children": "true"},
                      timeout=10)
            answers.append(r.status_code)

    askers = [threading.Thread(target=ask) for _ in range(10)]  # more than the pool holds
    for t in askers:
        t.start()
    with hub.client() as c:
        move = item_move("S-LOOP", 3, None, "T-B1", wh=WH)
        started = time.monotonic()
        assert c.post("/api/v1/moves", content=encode_event(move)).json()["applied"] == 1
        assert time.monotonic() - started < 5
        detail = c.get("/api/v1/map/location/L-B", timeout=10)
        assert detail.status_code == 200
    for t in askers:
        t.join(timeout=20)
    assert answers == [200] * 10


def test_api_statements_are_cut_at_the_timeout_ledger_writes_are_not(hub: Hub) -> None:
    url = hub.settings.database_url or ""
    with psycopg.connect(url) as locker:
        locker.execute("LOCK TABLE planning_alerts IN ACCESS EXCLUSIVE MODE")
        with hub.client() as c:
            started = time.monotonic()
            r = c.get("/api/v1/planning/alerts", timeout=20)
            assert r.status_code == 503 and "HUB_API_STATEMENT_TIMEOUT_MS" in r.json()["detail"]
            assert time.monotonic() - started < 10
        locker.rollback()
    with psycopg.connect(url) as slow:  # a ledger write waiting longer than the API may
        slow.execute("SELECT pg_advisory_lock(hashtext('stockpulse:wh:' || %s))", (WH,))
        done: list[object] = []
        with hub.client() as c:
            move = item_move("S-WAIT", 2, None, "T-B1", wh=WH, event_id=uuid.uuid4())
            poster = threading.Thread(target=lambda: done.append(
                c.post("/api/v1/moves", content=encode_event(move), timeout=30).json()))
            poster.start()
            poster.join(timeout=3)  # longer than the API's 1.5 s: the writer still waits
            assert poster.is_alive()
            slow.execute("SELECT pg_advisory_unlock(hashtext('stockpulse:wh:' || %s))", (WH,))
            poster.join(timeout=20)
    assert done and done[0]["applied"] == 1  # type: ignore[index]


@pytest.mark.parametrize(("incoming", "stored", "code", "expected"), [
    ({"A": Place("W", "B")}, {"B": Place("W", "A")}, "A", "A → B → A"),
    ({"A": Place("W", "B")}, {"B": Place("V", None)}, "A", "warehouse 'V'"),
    ({"A": Place("W", "B")}, {}, "A", "'B' is not a known location"),
    ({"A": Place("W", "B"), "B": Place("W", "C")}, {}, "A", "parent 'B' is refused"),
    ({"A": Place("W", "B"), "B": Place("W", "C")}, {}, "B", "'C' is not a known location"),
    ({"A": Place("W", "X")}, {"X": Place("W", "Y"), "Y": Place("W", "X")}, "A", "X → Y → X"),
])
def test_check_parents_names_what_is_wrong(incoming: dict[str, Place],
                                           stored: dict[str, Place], code: str,
                                           expected: str) -> None:
    assert expected in check_parents(incoming, stored)[code]


def test_check_parents_bounds_depth_and_allows_a_fix_of_a_stored_loop() -> None:
    chain = {f"N{i}": Place("W", f"N{i + 1}" if i < MAX_DEPTH + 5 else None)
             for i in range(MAX_DEPTH + 6)}
    assert "levels" in check_parents({"N0": chain["N0"]}, chain)["N0"]
    stored = {"A": Place("W", "B"), "B": Place("W", "A")}
    assert check_parents({"A": Place("W", None)}, stored) == {}
