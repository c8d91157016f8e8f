"""The trace page in headless Chromium against a real hub and PostgreSQL: a lot, a serial and a
pallet searched on the map (or typed on the page) are shown as a timeline a manager can read —
where they came from (receipt, supplier), where they went (picks, packing, order, shipment) and
where they are now — and a user of another warehouse is told no."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from protocol import ItemLine, encode_batch
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.trace.test_trace import IN, MOVES, SITE, _move
from tests.web.conftest import MANAGER, sign_in
from tests.web.screens import save_screenshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.ui]
SERIAL = "SN-0001"
SERIAL_MOVES = [
    _move(60, "receive", None, "T-DOCK", task_id="receipt:R-T1",
          item=ItemLine(sku="T-SKU", lot="L-TR", serial=SERIAL, quantity=Decimal(1))),
    _move(70, "putaway", "T-DOCK", "T-BIN-A",
          item=ItemLine(sku="T-SKU", lot="L-TR", serial=SERIAL, quantity=Decimal(1))),
]
OTHER = ("wes", "wes-pass")  # a manager of WH2 only


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
            assert c.post("/api/v1/skus", json={"sku": "T-SKU"}).status_code == 201
            r = c.post("/api/v1/receipts", json={
                "receipt_id": "R-T1", "warehouse": "WH1", "dock": "T-DOCK",
                "supplier": "ACME Foods", "lines": [
                    {"line_id": "1", "sku": "T-SKU", "quantity": 10, "lot": "L-TR"}]})
            assert r.status_code == 201, r.text
            r = c.post("/api/v1/moves", content=encode_batch(MOVES + SERIAL_MOVES))
            assert r.json()["applied"] == len(MOVES) + len(SERIAL_MOVES), r.text
            r = c.put("/api/v1/customers/C-7", json={"name": "Seven Foods", "address": {
                "lines": ["7 Quay Street"], "city": "Rotterdam", "country": "NL"}})
            assert r.status_code in (200, 201), r.text
            r = c.post("/api/v1/orders", json={"order_id": "O-T1", "warehouse": "WH1",
                                               "customer_id": "C-7",
                                               "carrier": "DHL", "lines": [
                                                   {"line_no": 1, "sku": "T-SKU", "quantity": 4}]})
            assert r.status_code == 201, r.text
        with connect(url) as conn:
            create_user(conn, *MANAGER, ["manager"], ["WH1"])
            create_user(conn, *OTHER, ["manager"], ["WH2"])
        yield h


def find_on_map(page: Page, hub: Hub, text: str) -> None:
    sign_in(page, hub.base_url, "/map?warehouse=WH1")
    wait_for(page, "window.__map && window.__map.ready", timeout=15000)
    page.fill("#find-q", text)
    page.press("#find-q", "Enter")
    wait_for(page, "document.querySelector('#results .trace-link') !== null")


def trace_shown(page: Page) -> None:
    wait_for(page, "window.__trace && window.__trace.ready", timeout=15000)
    assert page.evaluate("window.__trace.error") is None


def timeline(page: Page) -> list[tuple[str, str]]:
    return [(li.get_attribute("data-kind") or "", li.inner_text().replace("\n", " "))
            for li in page.locator("#timeline li").all()]


def test_a_lot_searched_on_the_map_opens_its_trace(page: Page, hub: Hub,
                                                   artifacts_dir: Path) -> None:
    find_on_map(page, hub, "L-TR")
    page.locator("#results .trace-link").first.click()
    trace_shown(page)
    assert "lot=L-TR" in page.url and "sku=T-SKU" in page.url
    assert page.inner_text("#subject") == "Lot L-TR of T-SKU"
    flow = page.inner_text("#flow")
    assert "ACME Foods" in flow and "11 received" in flow and "4 shipped" in flow, flow
    assert "order O-T1" in flow
    came = page.inner_text("#came-from")
    assert "R-T1" in came and "ACME Foods" in came and "T-DOCK" in came
    now = page.inner_text("#now")
    assert "7 on hand" in now and "T-BIN-B" in now and "T-BIN-A" in now, now
    went = page.inner_text("#went-to")
    assert "O-T1" in went and "DHL" in went and "Seven Foods" in went, went
    kinds = [k for k, _ in timeline(page)]
    assert kinds == ["receive", "putaway", "transfer", "unpack", "pack", "ship", "receive",
                     "putaway"]
    steps = dict(enumerate(text for _, text in timeline(page)))
    assert f"Received 10 on {IN}: outside → T-DOCK" in steps[0] and "receipt R-T1" in steps[0]
    assert "Shipped 4 on" in steps[5] and "out of the warehouse" in steps[5]
    assert "order O-T1" in steps[5]
    phases = page.eval_on_selector_all("#timeline li", "ls => ls.map(l => l.dataset.phase)")
    assert phases[0] == "in" and phases[5] == "out" and phases[1] == "inside"
    save_screenshot(page, artifacts_dir / "web_trace_lot.png")


def test_a_serial_searched_on_the_map_shows_where_it_is_and_its_sightings(
        page: Page, hub: Hub, artifacts_dir: Path) -> None:
    find_on_map(page, hub, SERIAL)
    page.locator("#results .trace-link").first.click()
    trace_shown(page)
    assert page.inner_text("#subject") == f"Serial {SERIAL} (T-SKU)"
    now = page.inner_text("#now")
    assert "1 on hand" in now and "T-BIN-A" in now, now
    assert "ACME Foods" in page.inner_text("#came-from")  # the receipt it came in on
    assert [k for k, _ in timeline(page)] == ["receive", "putaway"]
    page.click("#lots a")  # on to the serial's lot
    trace_shown(page)
    assert page.inner_text("#subject") == "Lot L-TR of T-SKU"
    save_screenshot(page, artifacts_dir / "web_trace_serial_lot.png")


def test_a_pallet_typed_on_the_trace_page_shows_its_way(page: Page, hub: Hub) -> None:
    sign_in(page, hub.base_url, "/trace?warehouse=WH1")
    trace_shown(page)
    page.select_option("#what", "unit")
    page.fill("#q", f"sscc:{IN}")
    page.select_option("#direction", "backward")
    page.click("#trace-form button[type=submit]")
    wait_for(page, "location.search.includes('unit=')")
    trace_shown(page)
    assert page.inner_text("#subject") == f"Unit {IN}"
    assert "ACME Foods" in page.inner_text("#came-from")
    assert next(k for k, _ in timeline(page)) == "receive"


def test_unknown_lots_and_other_warehouses_are_said_in_words(page: Page, hub: Hub) -> None:
    sign_in(page, hub.base_url, quote("/trace?warehouse=WH1&lot=NO-SUCH-LOT"))
    wait_for(page, "window.__trace && window.__trace.ready", timeout=15000)
    assert page.inner_text("#trace-error").startswith("Not found:")
    assert page.locator("#result").is_hidden()
    page.evaluate("sessionStorage.clear()")
    sign_in(page, hub.base_url, quote("/trace?warehouse=WH1&lot=L-TR"), OTHER)
    wait_for(page, "window.__trace && window.__trace.ready", timeout=15000)
    assert page.inner_text("#trace-error").startswith("Not allowed:")
    assert "ACME" not in page.inner_text("body")
