"""POST /api/v1/imports/{kind}, GET /api/v1/imports and the templates, against a real hub:
multipart uploads, dry runs, 422 problem+json reports, roles and warehouse scope."""

from __future__ import annotations

import http.client
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.imports.kinds import KINDS
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.imports.files import write_csv, write_xlsx

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with connect(url) as conn:
            create_user(conn, "mgr1", "manager-one-password", ["manager"], ["WH1"])
            create_user(conn, "pick1", "picker-one-password", ["picker"], ["WH1"])
        yield h


def upload(hub: Hub, kind: str, path: Path, token: str | None = None, **params: str):  # type: ignore[no-untyped-def]
    with hub.client(token) as c, open(path, "rb") as f:
        return c.post(f"/api/v1/imports/{kind}", params=params,
                      files={"file": (path.name, f, "application/octet-stream")})


def test_a_dry_run_lists_every_rows_fate_then_the_run_writes(hub: Hub, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "skus.xlsx", [["sku", "name", "base_uom"], ["API-1", "a", "EA"],
                                               ["API-2", "b", "EA"]])
    dry = upload(hub, "skus", path, dry_run="true")
    assert dry.status_code == 200, dry.text
    body = dry.json()
    assert (body["dry_run"], body["created"], body["import_id"]) == (True, 2, None)
    assert body["fates"] == [{"row": 2, "fate": "created"}, {"row": 3, "fate": "created"}]
    run = upload(hub, "skus", path)
    assert run.status_code == 200 and run.json()["import_id"] is not None
    again = upload(hub, "skus", path).json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    with hub.client() as c:
        records = c.get("/api/v1/imports").json()
    assert [(r["kind"], r["file_name"], r["user_name"], r["created"], r["unchanged"])
            for r in records[:2]] == [("skus", "skus.xlsx", "admin", 0, 2),
                                      ("skus", "skus.xlsx", "admin", 2, 0)]


def test_errors_are_422_problem_json_with_the_report_and_nothing_is_written(
        hub: Hub, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [["sku", "gtin", "colour"], ["BAD-1", "1", "red"]])
    r = upload(hub, "skus", path)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"] == [{"row": 1, "column": "colour",
                                   "reason": "unknown column for skus (known: sku, name, gtin, "
                                             "base_uom, lot_tracked, serial_tracked, "
                                             "expiry_tracked, category, unit_value, "
                                             "storage_class, abc_class, length_cm, width_cm, "
                                             "height_cm, weight_kg)"}]
    locked = tmp_path / "locked.xlsx"
    from tests.imports.files import fake_encrypted_workbook
    fake_encrypted_workbook(locked)
    r = upload(hub, "skus", locked)
    assert r.status_code == 422
    assert r.json()["errors"][0]["row"] is None
    assert "password-protected" in r.json()["errors"][0]["reason"]
    with hub.client() as c:
        assert c.get("/api/v1/skus", params={"q": "BAD-1"}).json() == []


def test_an_oversized_upload_is_refused_by_its_declared_length(hub: Hub) -> None:
    """The client announces 200 MB and sends a few bytes: the answer comes at once."""
    host, port = hub.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/api/v1/imports/skus")
    for name, value in (("Authorization", f"Bearer {hub.token}"), ("Content-Type", "text/csv"),
                        ("Content-Length", str(200 * 1024 * 1024))):
        conn.putheader(name, value)
    conn.endheaders(b"sku\n")
    r = conn.getresponse()
    assert r.status == 413
    assert b"over 67 MB" in r.read()
    conn.close()


def test_a_raw_csv_body_in_gbk_with_its_encoding_named(hub: Hub) -> None:
    with hub.client() as c:
        r = c.post("/api/v1/imports/customers", params={"encoding": "gbk", "dry_run": "true"},
                   content="code,name,address,city,country\nC1,上海仓储,浦东大道 1 号,上海,cn\n"
                   .encode("gbk"),
                   headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 1


def test_roles_and_warehouse_scope(hub: Hub, tmp_path: Path) -> None:
    picker = hub.login("pick1", "picker-one-password")
    manager = hub.login("mgr1", "manager-one-password")
    locations = write_csv(tmp_path / "l.csv", [["code", "warehouse", "kind"],
                                               ["API-Z1", "WH1", "zone"],
                                               ["API-Z2", "WH2", "zone"]])
    assert upload(hub, "locations", locations, picker).status_code == 403
    r = upload(hub, "locations", locations, manager)
    assert r.status_code == 403 and "WH2" in r.text  # a row outside the caller's warehouses
    own = write_csv(tmp_path / "own.csv", [["code", "warehouse", "kind"],
                                           ["API-Z1", "WH1", "zone"]])
    assert upload(hub, "locations", own, manager).status_code == 200
    opening = write_csv(tmp_path / "o.csv", [["sku", "location", "quantity"],
                                             ["API-1", "API-Z1", "3"]])
    r = upload(hub, "opening_stock", opening, manager)
    assert r.status_code == 200, r.text
    with hub.client(manager) as c:
        stock = c.get("/api/v1/stock", params={"warehouse": "WH1", "sku": "API-1"})
        assert stock.status_code == 200
        assert "API-Z1" in stock.text
    assert upload(hub, "locations", locations).status_code == 200  # the admin may: WH1, WH2
    with hub.client(manager) as c:
        seen = c.get("/api/v1/imports", params={"limit": 1000}).json()
    assert seen and all(set(r["warehouses"]) <= {"WH1"} for r in seen)  # never WH2's
    assert {"opening_stock", "locations"} <= {r["kind"] for r in seen}
    with hub.client() as c:
        assert any("WH2" in r["warehouses"] for r in c.get("/api/v1/imports").json())


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_templates_name_every_column_and_read_back_cleanly(hub: Hub, kind: str) -> None:
    with hub.client() as c:
        xlsx = c.get(f"/api/v1/imports/{kind}/template")
        csv = c.get(f"/api/v1/imports/{kind}/template", params={"format": "csv"})
    assert xlsx.status_code == csv.status_code == 200
    header = next(openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(
        values_only=True))
    assert list(header) == [c.name for c in KINDS[kind].columns]
    assert csv.content.startswith(b"\xef\xbb\xbf" + ",".join(header).encode())  # type: ignore[arg-type]
