"""The live map in headless Chromium against a real hub, PostgreSQL and Mosquitto."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from protocol import encode_event
from protocol.events import Source, StockMoved, UnitRef
from protocol.topics import Channel, topic
from tests.hub.mqtt_tools import Publisher
from tests.web.conftest import SiteHub, open_map, sign_in
from tests.web.screens import hex_rgb, pixel, save_screenshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.ui]
QUARANTINE = "#ffb300"
DAMAGED = "#e53935"
ORANGE_PIXELS = """() => { const c = document.getElementById('map');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i + 1] > 60 && d[i + 1] < 150 &&
    d[i + 2] < 90) n++;
  return n; }"""  # the colour of a move in flight (#ff6d00) and its blends


def free_bin(sh: SiteHub, taken: set[str]) -> str:
    return next(c for c in sh.site.codes("bin") if c not in taken)


def test_map_draws_the_seeded_site(page: Page, site_hub: SiteHub, artifacts_dir: Path) -> None:
    open_map(page, site_hub)
    drawn = page.evaluate("({n: __map.locations, units: __map.unitCount})")
    assert drawn == {"n": len(site_hub.site.locations), "units": len(site_hub.site.units)}
    for unit in site_hub.site.units[:10]:
        shown = page.evaluate("k => __map.unit(k)", f"sscc:{unit.sscc}")
        assert shown["location"] == unit.location
        rect = page.evaluate("c => __map.screenRect(c)", unit.location)
        assert rect["x"] <= shown["screenX"] <= rect["x"] + rect["w"]
        assert rect["y"] <= shown["screenY"] <= rect["y"] + rect["h"]
    for status, colour in (("quarantine", QUARANTINE), ("damaged", DAMAGED)):
        unit = next(u for u in site_hub.site.units if u.status == status)
        shown = page.evaluate("k => __map.unit(k)", f"sscc:{unit.sscc}")
        assert pixel(page, shown["screenX"], shown["screenY"]) == hex_rgb(colour), status
    save_screenshot(page, artifacts_dir / "web_map_site.png")


def test_the_map_works_under_a_strict_content_security_policy(page: Page,
                                                              site_hub: SiteHub) -> None:
    """Issue 18: the pages had no security headers. They now carry a CSP with no inline
    script or style; the map works under it (the page fixture fails on any violation) and
    its legend keeps its colours (they were style attributes, which that CSP refuses)."""
    response = page.goto(f"{site_hub.hub.base_url}/login")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
    open_map(page, site_hub)
    swatches = page.evaluate("Array.from(document.querySelectorAll('#legend .sw'), "
                             "(s) => getComputedStyle(s).backgroundColor)")
    assert swatches and "rgba(0, 0, 0, 0)" not in swatches, swatches


def test_mqtt_move_moves_the_pallet_within_a_second(page: Page, site_hub: SiteHub,
                                                     mqtt_broker: tuple[str, int],
                                                     artifacts_dir: Path) -> None:
    open_map(page, site_hub)
    wait_for(page, "document.getElementById('conn').textContent === 'live'",
             timeout=10000)
    unit = site_hub.site.units[0]
    key = f"sscc:{unit.sscc}"
    where_now = page.evaluate("k => __map.unit(k).location", key)
    target = free_bin(site_hub, {u.location for u in site_hub.site.units} | {where_now})
    move = StockMoved(event_id=uuid.uuid4(), occurred_at=datetime.now(UTC),
                      warehouse=site_hub.warehouse,
                      source=Source(kind="rfid", device_id="gw-dock-1"),
                      unit=UnitRef(sscc=unit.sscc), from_location=where_now,
                      to_location=target, reason="transfer")
    publisher = Publisher(*mqtt_broker)
    try:
        started = time.monotonic()
        publisher.publish(topic(site_hub.warehouse, "gw-dock-1", Channel.MOVES),
                          encode_event(move))
        wait_for(
            page,
            "([k, to]) => { const u = __map.unit(k); return u && u.location === to && !u.moving; }",
            arg=[key, target], timeout=1000)
        elapsed = time.monotonic() - started
    finally:
        publisher.close()
    assert elapsed < 1.0
    shown = page.evaluate("k => __map.unit(k)", key)
    rect = page.evaluate("c => __map.screenRect(c)", target)
    assert abs(shown["screenX"] - (rect["x"] + rect["w"] / 2)) < 1
    assert abs(shown["screenY"] - (rect["y"] + rect["h"] / 2)) < 1
    assert page.evaluate("c => __map.unitsAt(c)", where_now) == []
    # nothing is left behind: the old bin shows empty, no trail of the move remains
    old = page.evaluate("c => __map.screenRect(c)", where_now)
    wait_for(page, "([x, y]) => { const d = document.getElementById('map').getContext('2d')"
             ".getImageData(x, y, 1, 1).data; return d[0] + d[1] + d[2] === 765; }",
             arg=[round(old["x"] + old["w"] / 2), round(old["y"] + old["h"] / 2)],
             timeout=2000)
    wait_for(page, f"({ORANGE_PIXELS})() === 0", timeout=1500)
    save_screenshot(page, artifacts_dir / "web_map_after_move.png")


def test_the_live_feed_is_opened_with_a_ticket_never_the_token(page: Page,
                                                               site_hub: SiteHub) -> None:
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    open_map(page, site_hub)
    wait_for(page, "document.getElementById('conn').textContent === 'live'", timeout=10000)
    token = page.evaluate("JSON.parse(sessionStorage.getItem('stockpulse.session')).access_token")
    assert sockets and token
    for url in sockets:
        assert "ticket=" in url and "token=" not in url and token not in url, url


def test_gateway_status_shows_on_its_door(page: Page, site_hub: SiteHub,
                                          mqtt_broker: tuple[str, int]) -> None:
    open_map(page, site_hub)
    wait_for(page, "document.getElementById('conn').textContent === 'live'",
             timeout=10000)
    publisher = Publisher(*mqtt_broker)
    try:
        publisher.publish(topic(site_hub.warehouse, "gw-dock-2", Channel.STATUS),
                          b'{"state": "offline"}')
        wait_for(page, "__map.gateway('gw-dock-2')?.state === 'offline'", timeout=5000)
    finally:
        publisher.close()
    portal = page.evaluate("c => __map.screenRect(c)", "PT02")
    assert pixel(page, portal["x"] + portal["w"] / 2, portal["y"] + portal["h"] / 2) \
        == hex_rgb("#e53935")


def test_find_highlights_where_it_is(page: Page, site_hub: SiteHub) -> None:
    open_map(page, site_hub)
    unit = site_hub.site.units[5]
    page.fill("#find-q", unit.sscc)
    page.press("#find-q", "Enter")
    wait_for(page, "__map.hits.length > 0", timeout=5000)
    assert page.evaluate("__map.highlighted()") == [unit.location]
    assert page.locator("#results li").first.inner_text().startswith(unit.location)
    with site_hub.api() as api:
        expected = {r["location"] for r in api.get(
            "/api/v1/stock", params={"sku": unit.sku, "warehouse": site_hub.warehouse}).json()}
    page.fill("#find-q", unit.sku)
    page.press("#find-q", "Enter")
    wait_for(page, "s => __map.hits.length > 0 && __map.hits[0].match === s",
             arg=unit.sku, timeout=5000)
    assert set(page.evaluate("__map.highlighted()")) == expected
    assert page.locator("#results li").count() >= len(expected)


def test_clicking_a_bin_shows_what_the_api_says(page: Page, site_hub: SiteHub,
                                                artifacts_dir: Path) -> None:
    open_map(page, site_hub)
    unit = site_hub.site.units[3]
    page.evaluate("c => __map.find(c)", unit.location)  # zooms in on the bin
    rect = page.evaluate("c => __map.screenRect(c)", unit.location)  # canvas pixels
    canvas = page.locator("#map").bounding_box()
    assert canvas is not None
    page.mouse.click(canvas["x"] + rect["x"] + rect["w"] * 0.2,
                     canvas["y"] + rect["y"] + rect["h"] * 0.2)
    wait_for(page, "c => __map.detail && __map.detail.location.code === c",
             arg=unit.location, timeout=5000)
    with site_hub.api() as api:
        stock = api.get("/api/v1/stock", params={"location": unit.location}).json()
        units = api.get("/api/v1/units", params={"location": unit.location}).json()
    panel = page.locator("#details")
    assert panel.locator("h2").inner_text() == unit.location
    rows = panel.locator("table").first.locator("tbody tr")
    shown = sorted(tuple(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count()))
    want = sorted((s["sku"], s["lot"] or "—", s["status"], f"{Decimal(str(s['quantity'])):,f}")
                  for s in stock)
    assert [r[:3] for r in shown] == [w[:3] for w in want]
    assert [Decimal(r[3].replace(",", "")) for r in shown] == \
        [Decimal(w[3].replace(",", "")) for w in want]
    assert unit.sscc in panel.inner_text() and len(units) == 1
    assert "PDA site-seed" in panel.inner_text()  # who/what made the last move
    save_screenshot(page, artifacts_dir / "web_map_bin_panel.png")


def test_sign_in_is_for_managers_and_supervisors(page: Page, site_hub: SiteHub) -> None:
    page.goto(f"{site_hub.hub.base_url}/map")
    page.wait_for_url("**/login?next=*", timeout=5000)
    sign_in(page, site_hub.hub.base_url, "/map", ("pete", "picker-password"))
    wait_for(page, "document.getElementById('error').textContent.length > 0",
             timeout=5000)
    assert "managers and supervisors" in page.inner_text("#error")
    sign_in(page, site_hub.hub.base_url, "/map", ("maria", "wrong-password"))
    wait_for(page, "document.getElementById('error').textContent.includes('Wrong')",
             timeout=5000)


def test_a_late_move_does_not_teleport_the_pallet(page: Page, site_hub: SiteHub) -> None:
    open_map(page, site_hub)
    wait_for(page, "document.getElementById('conn').textContent === 'live'",
             timeout=10000)
    unit = site_hub.site.units[7]
    key = f"sscc:{unit.sscc}"
    where_now = page.evaluate("k => __map.unit(k).location", key)
    since = page.evaluate("k => __map.unit(k).since", key)
    elsewhere = free_bin(site_hub, {u.location for u in site_hub.site.units} | {where_now})
    seen = page.evaluate("__map.counts.move")
    stale = StockMoved(event_id=uuid.uuid4(),
                       occurred_at=datetime.fromtimestamp(since / 1000 - 3600, UTC),
                       warehouse=site_hub.warehouse,
                       source=Source(kind="barcode", device_id="scanner-9"),
                       unit=UnitRef(sscc=unit.sscc), from_location=where_now,
                       to_location=elsewhere, reason="transfer")
    with site_hub.api() as api:
        reply = api.post("/api/v1/moves", content=encode_event(stale),
                         headers={"Content-Type": "application/json"}).json()
        assert reply["late"] == 1, reply
        assert api.get(f"/api/v1/units/{unit.sscc}").json()["location"] == where_now
    wait_for(page, "n => __map.counts.move > n", arg=seen, timeout=5000)
    assert page.evaluate("k => __map.unit(k).location", key) == where_now
    assert page.evaluate("k => __map.unit(k).moving", key) is False
