"""Moves of items the catalog does not hold (issue 18, medium: "unknown SKUs are accepted
silently"): they still apply, but REST names them, /metrics counts them and the hub warns once
per item — on a real hub and PostgreSQL."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx
import pytest

from protocol import ItemLine, encode_batch
from tests.hub.test_ingest import seed_site
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
WH = "UNK1"
GTIN = "04012345123456"  # valid check digit, in no SKU of the catalog


@pytest.fixture
def hub(fresh_db_url: str) -> Iterator[Hub]:
    seed_site(fresh_db_url, WH)
    with running_hub(fresh_db_url, mqtt_enabled=False, rules_enabled=False) as h:
        yield h


def _counted(hub: Hub) -> float:
    text = httpx.get(f"{hub.base_url}/metrics", timeout=10).text
    found = re.search(r"^stockpulse_unknown_item_events_total (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_unknown_items_apply_and_are_named_counted_and_warned_about_once(
        hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    by_gtin = item_move("X", 1, None, f"{WH}-B2", wh=WH).model_copy(
        update={"item": ItemLine(gtin=GTIN, quantity=1)})
    with hub.client() as api, caplog.at_level(logging.WARNING, "stockpulse.catalog"):
        api.post("/api/v1/skus", json={"sku": "KNOWN"}).raise_for_status()
        first = api.post("/api/v1/moves", content=encode_batch([
            item_move("KNOWN", 2, None, f"{WH}-B0", wh=WH),
            item_move("NOT-IN-CATALOG", 3, None, f"{WH}-B1", wh=WH), by_gtin,
            item_move("NEVER-APPLIED", 1, None, "NO-SUCH-BIN", wh=WH)])).json()
        assert first["applied"] == 3 and first["rejected"] == 1  # applied all the same
        assert first["unknown_skus"] == ["NOT-IN-CATALOG", f"gtin:{GTIN}"]
        assert _counted(hub) == 2  # the rejected move is not counted
        again = api.post("/api/v1/moves", content=encode_batch([
            item_move("NOT-IN-CATALOG", 1, None, f"{WH}-B1", wh=WH)])).json()
        assert again["unknown_skus"] == ["NOT-IN-CATALOG"] and _counted(hub) == 3
        api.post("/api/v1/skus", json={"sku": "NOT-IN-CATALOG"}).raise_for_status()
        known = api.post("/api/v1/moves", content=encode_batch([
            item_move("NOT-IN-CATALOG", 1, None, f"{WH}-B1", wh=WH)])).json()
        assert known["applied"] == 1 and known["unknown_skus"] == []
    warnings = [r.getMessage() for r in caplog.records if r.name == "stockpulse.catalog"]
    assert len(warnings) == 1, warnings  # once per item, not once per move
    assert "NOT-IN-CATALOG" in warnings[0] and GTIN in warnings[0] and WH in warnings[0]
