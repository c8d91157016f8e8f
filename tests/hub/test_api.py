"""The REST API on a real hub and PostgreSQL: auth, locations, moves, stock, supervisor queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg.store import create_gateway_credential, create_user
from cloud_hub.db.database import connect
from protocol import encode_batch, encode_event
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move, line, unit_move

pytestmark = pytest.mark.integration
SITE = [{"code": c, "warehouse": "WH1", "kind": "bin", "x": i, "y": 0}
        for i, c in enumerate(["DOCK-1", "BIN-A", "BIN-B", "BIN-C"])]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import scratch_database
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
        with connect(url) as conn:
            create_user(conn, "pia", "picker-pass", ["picker"], ["WH1"])
            create_user(conn, "sam", "supervisor-pass", ["supervisor"], ["WH1"])
        yield h


def problem_of(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body  # type: ignore[no-any-return]


def test_auth_refusals(hub: Hub) -> None:
    event = encode_event(item_move("S1", 1, None, "BIN-A"))
    problem_of(httpx.post(f"{hub.base_url}/api/v1/moves", content=event), 401)
    picker = hub.login("pia", "picker-pass")
    with hub.client(picker) as c:
        problem_of(c.post("/api/v1/moves", content=event), 403)
        problem_of(c.post("/api/v1/locations", json=SITE[0]), 403)
        assert c.get("/api/v1/locations").status_code == 200  # reading is allowed
    problem_of(httpx.post(f"{hub.base_url}/api/v1/auth/token",
                          json={"username": "pia", "password": "nope"}), 401)
    with connect(hub.settings.database_url or "") as conn:
        old = create_gateway_credential(conn, "WH1", "gw-old", now=datetime.now(UTC) -
                                        timedelta(days=2), ttl=timedelta(days=1),
                                        secret_key=hub.settings.secret_key)
        gw = create_gateway_credential(conn, "WH1", "gw-1", now=datetime.now(UTC),
                                       ttl=timedelta(days=1), secret_key=hub.settings.secret_key)
    with hub.client(old.token) as c:
        assert "expired" in str(problem_of(c.post("/api/v1/moves", content=event), 401)["detail"])
    with hub.client(gw.token) as c:
        foreign = encode_event(item_move("S1", 1, None, "BIN-A", wh="WH2"))
        problem_of(c.post("/api/v1/moves", content=foreign), 403)
        ok = c.post("/api/v1/moves", content=event)
        assert ok.status_code == 200 and ok.json()["applied"] == 1
    with hub.client() as c:
        rows = c.get("/api/v1/moves", params={"location": "BIN-A"}).json()["items"]
    assert any(r["applied_by"] == "gateway:WH1/gw-1" for r in rows)


def test_post_moves_then_query_stock_units_and_history(hub: Hub) -> None:
    sscc = f"{uuid.uuid4().int % 10**18:018d}"
    batch = [unit_move(sscc, None, "DOCK-1", contents=(line("S-API", 8),)),
             unit_move(sscc, "DOCK-1", "BIN-B", t=5)]
    with hub.client() as c:
        r = c.post("/api/v1/moves", content=encode_batch(batch))
        assert r.json()["applied"] == 2
        again = c.post("/api/v1/moves", content=encode_batch(batch)).json()
        assert again["applied"] == 0 and len(again["duplicates"]) == 2
        unit = c.get(f"/api/v1/units/{sscc}").json()
        assert unit["location"] == "BIN-B" and [h["to_location"] for h in unit["history"]] == [
            "DOCK-1", "BIN-B"]
        stock = c.get("/api/v1/stock", params={"sku": "S-API"}).json()
        assert [(s["location"], s["quantity"]) for s in stock] == [("BIN-B", 8)]
        problem_of(c.get("/api/v1/units/000000000000000000"), 404)
        problem_of(c.post("/api/v1/moves", content=b"{not json"), 422)
        bad = c.post("/api/v1/moves", content=b'{"events":[{"event_id":"x"}]}').json()
        assert bad["applied"] == 0 and "event_id" in bad["invalid"][0]["reason"]


def test_dead_letters_listed_for_one_warehouse(hub: Hub) -> None:
    tag = uuid.uuid4().hex[:8]
    mine, theirs = f"A{tag}", f"B{tag}"
    with connect(hub.settings.database_url) as conn:
        for name, wh in ((f"stockpulse/v1/{mine}/gw/moves", mine),
                         (f"stockpulse/v1/{theirs}/gw/moves", theirs),
                         (f"junk/{tag}", None)):
            conn.execute("INSERT INTO dead_letters (topic, warehouse, reason, raw) "
                         "VALUES (%s, %s, 'unreadable', %s)", (name, wh, b"\xff"))
    with hub.client() as c:
        listed = c.get("/api/v1/dead-letters", params={"warehouse": mine}).json()["items"]
        everyone = c.get("/api/v1/dead-letters").json()["items"]
    ours = {(d["topic"], d["warehouse"]) for d in listed if tag in d["topic"]}
    assert ours == {(f"stockpulse/v1/{mine}/gw/moves", mine), (f"junk/{tag}", None)}
    assert sum(tag in d["topic"] for d in everyone) == 3


def test_rejected_move_corrected_and_reapplied(hub: Hub) -> None:
    sup = hub.login("sam", "supervisor-pass")
    move = item_move("S-REJ", 3, None, "NO-SUCH-BIN")
    with hub.client(sup) as c:
        assert c.post("/api/v1/moves", content=encode_event(move)).json()["rejected"] == 1
        waiting = c.get("/api/v1/rejected").json()
        assert any(w["event_id"] == str(move.event_id) and w["code"] == "unknown_location"
                   for w in waiting)
        r = c.post(f"/api/v1/rejected/{move.event_id}/resolve",
                   json={"action": "reapply", "corrections": {"to_location": "BIN-C"},
                         "note": "typo on the label"})
        assert r.json()["resolved"] is True
        assert c.get("/api/v1/stock", params={"sku": "S-REJ"}).json()[0]["location"] == "BIN-C"
        problem_of(c.post(f"/api/v1/rejected/{move.event_id}/resolve",
                          json={"action": "dismiss"}), 409)
        assert all(w["event_id"] != str(move.event_id) for w in c.get("/api/v1/rejected").json())


def test_locations_csv_import_reports_rows(hub: Hub) -> None:
    csv_text = ("code,warehouse,kind,parent,x,y,capacity\n"
                "Z-CSV,WH1,zone,,0,0,\n"
                "Z-CSV-B1,WH1,bin,Z-CSV,1,2,50\n"
                "Z-CSV-B2,WH1,shelf,Z-CSV,1,2,50\n"
                "Z-CSV-B3,WH1,bin,NOPE,1,2,-5\n"
                "Z-CSV-B4,WH1,bin,MISSING,1,2,5\n")
    with hub.client() as c:
        r = c.post("/api/v1/locations/import", content=csv_text.encode(),
                   headers={"content-type": "text/csv"}).json()
        assert r["written"] == 2 and r["rejected"] == 3
        assert {e.get("line") for e in r["errors"]} >= {4, 5}
        assert "MISSING" in str(r["errors"])
        assert c.get("/api/v1/locations/Z-CSV-B1").json()["parent"] == "Z-CSV"
        assert c.delete("/api/v1/locations/Z-CSV-B1").json()["result"] == "deleted"
        problem_of(c.put("/api/v1/locations/X", json={**SITE[0], "code": "Y"}), 422)


def test_health_and_metrics(hub: Hub) -> None:
    assert httpx.get(f"{hub.base_url}/healthz").json()["database"] == "ok"
    text = httpx.get(f"{hub.base_url}/metrics").text
    assert "stockpulse_events_applied_total" in text and "stockpulse_batch_seconds_bucket" in text


def test_first_admin_from_the_bootstrap_password(fresh_db_url: str) -> None:
    from datetime import timedelta

    from cloud_hub.auth.pg.store import bootstrap_admin, login
    with connect(fresh_db_url) as conn:
        assert bootstrap_admin(conn, "first-admin-pass") is True
        assert bootstrap_admin(conn, "another-password") is False  # never overwrites
        issued = login(conn, "admin", "first-admin-pass", now=datetime.now(UTC),
                       ttl=timedelta(minutes=5), secret_key="k")
    assert issued.principal.roles == ("admin",)


def test_the_change_feed_follows_every_move_from_a_cursor(hub: Hub) -> None:
    """An ERP's loop: read from its cursor until `more` is false, keep `next`, come back."""
    def follow(c: httpx.Client, cursor: str) -> tuple[list[dict[str, Any]], str]:
        seen: list[dict[str, Any]] = []
        while True:
            page = c.get("/api/v1/changes", params={"after": cursor, "limit": 3}).json()
            seen += page["moves"]
            cursor = page["next"]
            if not page["more"]:
                return seen, cursor

    with hub.client() as c:
        _, cursor = follow(c, "0")
        batch = [item_move("S-FEED", 5, None, "BIN-A", t=i) for i in range(4)]
        assert c.post("/api/v1/moves", content=encode_batch(batch)).json()["applied"] == 4
        seen, cursor = follow(c, cursor)
        assert sorted(m["event_id"] for m in seen) == sorted(str(e.event_id) for e in batch)
        assert follow(c, cursor) == ([], cursor)
        problem_of(c.get("/api/v1/changes", params={"after": "-1"}), 422)
        problem_of(c.get("/api/v1/changes", params={"after": "9" * 18}), 409)
    with hub.client(hub.login("pia", "picker-pass")) as c:  # WH1 only
        problem_of(c.get("/api/v1/changes", params={"warehouse": "WH2"}), 403)
        assert c.get("/api/v1/changes").status_code == 200
