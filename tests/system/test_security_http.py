"""The hub's HTTP side, probed as an outsider would (issue 18): security headers on every
response, hostile paths answered 400/404/414 as problems (never 500), the API docs and
/metrics off or protected in production, and guessable production secrets refused."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest

from cloud_hub.settings import HubSettings
from tests.hub_fixtures import Hub, running_hub

pytestmark = pytest.mark.integration
METRICS_TOKEN = secrets.token_urlsafe(32)
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def dev_hub() -> Iterator[Hub]:
    """Development settings, with a metrics token set."""
    from tests.conftest import scratch_database
    with scratch_database() as url, running_hub(url, mqtt_enabled=False, rules_enabled=False,
                                                metrics_token=METRICS_TOKEN) as hub:
        yield hub


@pytest.fixture(scope="module")
def prod_hub() -> Iterator[Hub]:
    """Production settings, docs and metrics left at their defaults."""
    from tests.conftest import scratch_database
    with scratch_database() as url, running_hub(
            url, mqtt_enabled=False, rules_enabled=False, environment="production",
            secret_key=secrets.token_urlsafe(48)) as hub:
        yield hub


def bare(hub: Hub) -> httpx.Client:
    return httpx.Client(base_url=hub.base_url, timeout=30)


def test_every_response_carries_the_security_headers(dev_hub: Hub) -> None:
    paths = ["/map", "/login", "/dashboard", "/trace", "/web/js/trace.js", "/web/js/map.js",
             "/web/css/app.css", "/healthz",
             "/api/v1/stock?sku=X", "/no-such-page", "/web/no-such.js", "/web/%00"]
    with bare(dev_hub) as client:
        for path in paths:
            r = client.get(path)
            csp = r.headers.get("content-security-policy", "")
            assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
            assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
            assert r.headers.get("x-content-type-options") == "nosniff", path
            assert r.headers.get("referrer-policy") == "no-referrer", path
            assert r.headers.get("x-frame-options") == "DENY", path


@pytest.mark.parametrize("path", [
    "/web/%00", "/web/js/%00.js", "/web/js/map.js%00.png", "/web/" + "a" * 300,
    "/web/" + "a/" * 200 + "x.js", "/web/" + "a/" * 3000, "/map%00", "/api/v1/locations/%00",
    "/api/v1/map/location/%00", "/%01", "/web/%7f"])
def test_a_bad_path_is_a_problem_never_a_500(dev_hub: Hub, path: str) -> None:
    with dev_hub.client() as client:
        r = client.get(path)
        assert r.status_code in (400, 404, 414), (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["status"] == r.status_code
        assert client.get("/web/js/map.js").status_code == 200  # the same connection lives


def test_docs_and_metrics_are_on_in_development_metrics_behind_its_token(dev_hub: Hub
                                                                         ) -> None:
    with bare(dev_hub) as client:
        assert client.get("/openapi.json").json()["info"]["title"] == "StockPulse hub"
        assert client.get("/docs").status_code == 200
        r = client.get("/metrics")
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"].startswith(PROBLEM)
        assert "stockpulse_" not in r.text
        wrong = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}x"})
        assert wrong.status_code == 401
        r = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert r.status_code == 200 and "stockpulse_" in r.text


def test_production_serves_no_docs_and_no_metrics_by_default(prod_hub: Hub) -> None:
    with bare(prod_hub) as client:
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            r = client.get(path)
            assert r.status_code == 404, path
            assert r.headers["content-type"].startswith(PROBLEM)
            assert "stockpulse_" not in r.text and "openapi" not in r.text
        with prod_hub.client() as signed_in:  # an admin's token does not open them either
            assert signed_in.get("/openapi.json").status_code == 404
            assert signed_in.get("/metrics").status_code == 404
        assert client.get("/healthz").json()["status"] == "ok"  # load balancers still see it


# -- secrets ----------------------------------------------------------------------------------
GUESSABLE = ["a" * 32, "0123456789abcdef" * 2, "Password123Password123Password12",
             "qwertyuiopasdfghjklzxcvbnm123456", "stockpulse-production-secret-key-2026"]


@pytest.mark.parametrize("key", GUESSABLE)
def test_production_refuses_a_guessable_secret_key(key: str) -> None:
    with pytest.raises(ValueError, match="HUB_SECRET_KEY is too weak") as caught:
        HubSettings(environment="production", secret_key=key)
    assert key not in str(caught.value)  # the error never repeats the secret


def test_production_accepts_random_secrets_and_checks_the_others() -> None:
    for key in (secrets.token_hex(16), secrets.token_urlsafe(32), secrets.token_urlsafe(64)):
        assert HubSettings(environment="production", secret_key=key).secret_key == key
    strong = secrets.token_urlsafe(48)
    for field, value, name in [("metrics_token", "metrics" * 5, "HUB_METRICS_TOKEN"),
                               ("mqtt_password", "hubhubhubhubhub", "HUB_MQTT_PASSWORD"),
                               ("bootstrap_admin_password", "password1234",
                                "HUB_BOOTSTRAP_ADMIN_PASSWORD")]:
        with pytest.raises(ValueError, match=f"{name} is too weak"):
            HubSettings(environment="production", secret_key=strong, **{field: value})
    HubSettings(environment="development", secret_key="a" * 32, metrics_token="x")
