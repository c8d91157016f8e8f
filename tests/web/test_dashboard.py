"""The manager dashboard in headless Chromium against a real hub, and its SQL on its own."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import psycopg
import pytest
from playwright.sync_api import Page
from psycopg.types.json import Jsonb

from cloud_hub.web.pg import dashboard
from protocol import encode_batch
from protocol.events import ItemLine, Source, StockMoved
from protocol.topics import Channel, topic
from tests.hub.mqtt_tools import Publisher
from tests.web.conftest import SiteHub, sign_in
from tests.web.screens import save_screenshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.ui]


def item_move(sh: SiteHub, kind: str, to: str) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                      warehouse=sh.warehouse, source=Source(kind=kind, device_id=f"{kind}-1"),
                      item=ItemLine(sku="SKU-DASH", lot="L1", quantity=Decimal(2)),
                      to_location=to, reason="receive")


def add_work_and_alerts(db_url: str, warehouse: str) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.cursor().executemany(
            "INSERT INTO work_tasks (task_id, warehouse, kind, state, created_at, doc) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(f"T{i}", warehouse, kind, state, now, Jsonb({}))
             for i, (kind, state) in enumerate([("pick", "open"), ("pick", "open"),
                                                 ("pick", "in_progress"), ("putaway", "claimed"),
                                                 ("count", "done")])])
        conn.execute(
            "INSERT INTO planning_alerts (rule, warehouse, subject, sku, severity, message, "
            "raised_at, last_seen_at) VALUES ('below_safety', %s, 'SKU-0007', 'SKU-0007', "
            "'critical', 'SKU-0007 is below safety stock', %s, %s)", (warehouse, now, now))


def add_gateway_with_reader_clock_off(db_url: str, warehouse: str) -> None:
    """As the hub stores a heartbeat (info merged per top-level key): one reader's clock is
    2.6 years behind (the emulator's 2024 scenario epoch), the other one is right."""
    readers = {"gate-1": {"clock": {"kind": "utc", "offset_s": 82_000_000.0, "state": "offset",
                                    "jumps": 0}},
               "gate-2": {"clock": {"kind": "utc", "offset_s": 0.004, "state": "ok",
                                    "jumps": 0}}}
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO gateways (warehouse, gateway, state, last_heartbeat, info) VALUES "
            "(%s, 'gw-dock-9', 'online', now(), %s)",
            (warehouse, Jsonb({"sources": {"rfid": {"readers": readers}}})))


def test_dashboard_draws_todays_figures(page: Page, site_hub: SiteHub,
                                        mqtt_broker: tuple[str, int],
                                        artifacts_dir: Path) -> None:
    bins = site_hub.site.codes("bin")
    moves = [item_move(site_hub, "rfid", bins[-1]) for _ in range(3)]
    moves += [item_move(site_hub, "barcode", bins[-2]), item_move(site_hub, "vision", bins[-3])]
    moves.append(item_move(site_hub, "rfid", "NO-SUCH-BIN"))  # rejected: unknown location
    with site_hub.api() as api:
        reply = api.post("/api/v1/moves", content=encode_batch(moves),
                         headers={"Content-Type": "application/json"}).json()
    assert reply["rejected"] == 1
    publisher = Publisher(*mqtt_broker)
    try:
        publisher.publish(topic(site_hub.warehouse, "gw-dock-1", Channel.MOVES), b"\xffnot json")
    finally:
        publisher.close()
    add_work_and_alerts(site_hub.db_url, site_hub.warehouse)
    add_gateway_with_reader_clock_off(site_hub.db_url, site_hub.warehouse)
    sign_in(page, site_hub.hub.base_url, f"/dashboard?warehouse={site_hub.warehouse}")
    wait_for(page, "window.__dashboard && window.__dashboard.ready", timeout=15000)
    with site_hub.api() as api:  # the dead letter is written after the broker's ack: wait
        assert api.get("/api/v1/dead-letters").json()["items"]
    page.reload()
    wait_for(page, "window.__dashboard && window.__dashboard.ready", timeout=15000)
    data = page.evaluate("window.__dashboard.data")
    totals = data["moves"]["totals"]
    assert totals["rfid"] == 3 and totals["barcode"] == 1 and totals["vision"] == 1
    assert totals["pda"] >= 1  # the seeded arrivals dated within today
    assert data["tasks"] == {"available": True,
                             "by_kind": {"pick": {"open": 2, "in_progress": 1},
                                         "putaway": {"claimed": 1}}}
    assert page.inner_text("#rejected-n") == "1"
    assert int(page.inner_text("#dead-n")) >= 1
    assert data["alerts"]["by_severity"] == {"critical": 1}
    assert page.inner_text("#clocks-n") == "1"
    assert "gw-dock-9 / gate-1 — clock 2.6 years behind" in page.inner_text("#clocks")
    assert "below safety stock" in page.inner_text("#alerts")
    for chart in ("moves-chart", "tasks-chart", "rejected-chart", "alerts-chart"):
        inked = page.evaluate(
            "id => { const c = document.getElementById(id); const d = c.getContext('2d')"
            ".getImageData(0, 0, c.width, c.height).data; let n = 0;"
            "for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }", chart)
        assert inked > 500, f"{chart} drew almost nothing ({inked} pixels)"
    save_screenshot(page, artifacts_dir / "web_dashboard.png")


def test_sections_whose_tables_are_missing_say_unavailable(fresh_db_url: str) -> None:
    with psycopg.connect(fresh_db_url, autocommit=True) as conn:  # no migrations: no tables
        assert dashboard.open_tasks(conn, "WH1") == {"available": False, "by_kind": {}}
        assert dashboard.open_alerts(conn, "WH1")["available"] is False
        assert dashboard.gateway_health(conn, "WH1") == {}


def test_summary_rejects_an_impossible_day(site_hub: SiteHub) -> None:
    start = datetime.now(UTC)
    with site_hub.api() as api:
        r = api.get("/api/v1/dashboard/summary",
                    params={"start": start.isoformat(),
                            "end": (start - timedelta(hours=1)).isoformat()})
    assert r.status_code == 422


def test_a_manager_downloads_stock_and_moves_from_the_dashboard(
        page: Page, site_hub: SiteHub, tmp_path: Path) -> None:
    """The download buttons fetch the export with the session's token (never in a URL) for
    the warehouse shown, and the browser saves what the ledger holds."""
    with psycopg.connect(site_hub.db_url) as conn:
        on_hand = set(conn.execute("SELECT location, sku FROM balances WHERE warehouse = %s",
                                   (site_hub.warehouse,)))
    assert on_hand, "the seeded site has stock"
    sign_in(page, site_hub.hub.base_url, f"/dashboard?warehouse={site_hub.warehouse}")
    wait_for(page, "window.__dashboard && window.__dashboard.ready", timeout=15000)
    with page.expect_download() as csv_download:
        page.click("#dl-stock-csv")
    saved = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(saved)
    assert saved.name.startswith(f"stock-{site_hub.warehouse}-") and saved.suffix == ".csv"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert {(r["location"], r["sku"]) for r in rows} == on_hand
    with page.expect_download() as xlsx_download:
        page.click("#dl-moves-xlsx")
    saved = tmp_path / xlsx_download.value.suggested_filename
    xlsx_download.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    assert book["Moves"].max_row > 1
    assert page.inner_text("#downloads-status") == ""
