"""Fixtures for the map and dashboard tests: a real hub (PostgreSQL, Mosquitto) seeded with a
generated site, a manager who can sign in, and Debian's Chromium driven by Playwright.

One hub and one database serve a whole test module (starting them is most of the cost); each
module's site has its own warehouse id, so MQTT topics never meet another test's.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from cloud_hub.auth.pg.store import create_user
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.web.sitegen import Site, arrival_moves, generate_site
from protocol import encode_batch
from tests.hub_fixtures import Hub, running_hub
from tests.web.screens import wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-quic"]
MANAGER = ("maria", "manager-password")
VIEWPORT = {"width": 1280, "height": 800}


@dataclass
class SiteHub:
    hub: Hub
    site: Site
    db_url: str

    @property
    def warehouse(self) -> str:
        return self.site.warehouse

    def api(self) -> httpx.Client:
        return self.hub.client()


@contextlib.contextmanager
def scratch_database(admin_url: str) -> Iterator[str]:
    name = f"sp_web_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(hub: Hub, db_url: str, site: Site) -> None:
    with connect(db_url) as conn:
        upsert_locations(conn, list(site.locations))
        create_user(conn, *MANAGER, ["manager"], [site.warehouse])
        create_user(conn, "pete", "picker-password", ["picker"], [site.warehouse])
    with hub.client() as api:
        r = api.post("/api/v1/moves", content=encode_batch(arrival_moves(site, datetime.now(UTC))),
                     headers={"Content-Type": "application/json"})
        r.raise_for_status()
        assert r.json()["applied"] == len(site.units), r.json()


@pytest.fixture(scope="module")
def site_hub(pg_server_url: str, mqtt_broker: tuple[str, int]) -> Iterator[SiteHub]:
    """A hub with MQTT ingest on, a 120-bin site with 40 pallets, and a manager."""
    warehouse = f"WEB{uuid.uuid4().hex[:8]}"
    site = generate_site(warehouse, n_bins=120, n_units=40, bins_per_rack=12, doors=3, seed=4)
    host, port = mqtt_broker
    with scratch_database(pg_server_url) as db_url, \
            running_hub(db_url, mqtt_host=host, mqtt_port=port) as hub:
        seed(hub, db_url, site)
        yield SiteHub(hub, site, db_url)


@pytest.fixture(scope="package")  # closed after tests/web: Playwright's sync API keeps an
def browser() -> Iterator[Browser]:  # event loop marked running, which asyncio.run() refuses
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run deploy/ensure_test_tools.sh (apt chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# Reports every Content-Security-Policy violation (blocked inline style or script, a fetch
# to another origin) to the test; Playwright's init scripts are not subject to the CSP.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ` +
                        `${e.sourceFile}:${e.lineNumber}`));"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT)
    violations: list[str] = []
    context.expose_function("__cspViolation", lambda text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"the page threw: {errors}"
    assert not violations, f"the page broke its Content-Security-Policy: {violations}"


def sign_in(page: Page, base_url: str, next_path: str, user: tuple[str, str] = MANAGER) -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("#submit")


def open_map(page: Page, sh: SiteHub) -> None:
    sign_in(page, sh.hub.base_url, f"/map?warehouse={sh.warehouse}")
    wait_for(page, "window.__map && window.__map.ready", timeout=15000)
