"""The hub serves the MQTT device API document (AsyncAPI 3.0) where it serves its OpenAPI
document, and nowhere else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import scratch_database
from tests.hub_fixtures import running_hub

pytestmark = pytest.mark.integration
DOC = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


@pytest.mark.parametrize("docs_enabled", [True, False])
def test_the_device_api_is_served_with_the_api_docs(pg_server_url: str,
                                                     docs_enabled: bool) -> None:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False,
                                                docs_enabled=docs_enabled) as hub:
        served = httpx.get(f"{hub.base_url}/api/v1/asyncapi.json", timeout=10)
        openapi = httpx.get(f"{hub.base_url}/openapi.json", timeout=10)
    assert openapi.status_code == (200 if docs_enabled else 404)
    if docs_enabled:
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("application/json")
        assert served.text == DOC.read_text(encoding="utf-8")
    else:
        assert served.status_code == 404
        assert served.headers["content-type"].startswith("application/problem+json")
