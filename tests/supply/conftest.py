"""Fixtures of the supply tests: a fresh warehouse (and its sibling `<wh>-2`) on a real hub."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.hub_fixtures import Hub, running_hub
from tests.supply.site import seed


@pytest.fixture
def wh() -> str:
    return f"WH{uuid.uuid4().hex[:8]}"


@pytest.fixture
def hub(fresh_db_url: str, wh: str) -> Iterator[Hub]:
    seed(fresh_db_url, wh, f"{wh}-2")
    with running_hub(fresh_db_url, mqtt_enabled=False, rules_enabled=False) as h:
        yield h
