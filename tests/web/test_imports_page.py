"""The import page in Chromium: a manager checks a file (every row's fate, nothing written),
imports it only after a clean check, sees errors by row and column, and the record."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub
from tests.web.conftest import MANAGER, sign_in
from tests.web.screens import save_screenshot, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.ui]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with connect(url) as conn:
            create_user(conn, *MANAGER, ["manager"], ["WH1"])
        yield h


def checked(page: Page) -> dict[str, object]:
    wait_for(page, "window.__imports && window.__imports.ready", timeout=15000)
    report = page.evaluate("window.__imports.report")
    page.evaluate("window.__imports.ready = false")
    return report  # type: ignore[no-any-return]


def test_check_then_import(page: Page, hub: Hub, tmp_path: Path, artifacts_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,gtin\nP-1,Bolt,4006381333932\n")
    good = tmp_path / "skus.csv"
    good.write_text("sku,name\nP-1,Bolt\nP-2,Nut\n")
    sign_in(page, hub.base_url, "/imports")
    wait_for(page, "window.__imports && window.__imports.ready", timeout=15000)
    page.evaluate("window.__imports.ready = false")
    page.select_option("#kind", "skus")
    page.set_input_files("#file", str(bad))
    page.click("#check")
    assert checked(page)["errors"] == [{"row": 2, "column": "gtin",
                                        "reason": "GTIN 4006381333932 has a wrong check digit"}]
    assert page.is_disabled("#import")
    assert "wrong check digit" in page.inner_text("#errors")
    page.set_input_files("#file", str(good))
    page.click("#check")
    report = checked(page)
    assert (report["created"], report["import_id"]) == (2, None)
    assert page.is_enabled("#import")
    with hub.client() as c:
        assert c.get("/api/v1/skus", params={"q": "P-"}).json() == []  # a check writes nothing
    page.click("#import")
    report = checked(page)
    assert report["import_id"] is not None and report["created"] == 2
    assert "Imported (import #" in page.inner_text("#summary")
    assert "skus.csv" in page.inner_text("#history")
    with hub.client() as c:
        assert [s["sku"] for s in c.get("/api/v1/skus", params={"q": "P-"}).json()] == ["P-1",
                                                                                     "P-2"]
    save_screenshot(page, artifacts_dir / "web_imports.png")
