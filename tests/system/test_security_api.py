"""A real hub refuses callers without a valid token (401) and callers without the role (403),
over REST and the live WebSocket; a gateway token may post only its own warehouse's moves.
These callers may see every warehouse: scopes are tested in test_scopes and test_route_policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from cloud_hub.auth.pg.store import create_gateway_credential, create_user, revoke_tokens
from cloud_hub.db.database import connect
from protocol import encode_event
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, pg_server_url: str) -> Iterator[Hub]:
    from tests.conftest import _create_database, _drop_database, _url_for
    name = _create_database()
    url = _url_for(name)
    try:
        with running_hub(url, mqtt_enabled=False, rules_enabled=False) as h:
            with connect(url) as conn:
                for role in ("picker", "supervisor", "manager"):
                    create_user(conn, role, PASSWORD, [role], ["*"])
            yield h
    finally:
        _drop_database(name)


def token(hub: Hub, role: str) -> str:
    return hub.login(role, PASSWORD)


def location(wh: str) -> dict[str, object]:
    return {"code": f"{wh}-BIN-1", "warehouse": wh, "kind": "bin"}


def test_no_token_bad_token_and_wrong_password_are_401(hub: Hub) -> None:
    with httpx.Client(base_url=hub.base_url, timeout=30) as bare:
        check_unauthenticated(bare, hub)


def check_unauthenticated(bare: httpx.Client, hub: Hub) -> None:
    for method, path in [("GET", "/api/v1/stock?sku=SKU-1"), ("GET", "/api/v1/moves"),
                         ("POST", "/api/v1/moves"), ("GET", "/api/v1/gateways")]:
        r = bare.request(method, path)
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["www-authenticate"] == "Bearer"
    for header in ("Bearer forged", f"Basic {hub.token}", hub.token):
        r = bare.get("/api/v1/stock?sku=SKU-1", headers={"Authorization": header})
        assert r.status_code == 401, header
    r = bare.post("/api/v1/auth/token", json={"username": "manager", "password": "wrong"})
    assert r.status_code == 401 and "access_token" not in r.text


def test_roles_are_enforced(hub: Hub) -> None:
    wh = f"WH{uuid.uuid4().hex[:6]}"
    with hub.client(token(hub, "picker")) as picker, \
            hub.client(token(hub, "supervisor")) as supervisor, \
            hub.client(token(hub, "manager")) as manager:
        check_roles(wh, picker, supervisor, manager)


def check_roles(wh: str, picker: httpx.Client, supervisor: httpx.Client,
                manager: httpx.Client) -> None:
    assert picker.get("/api/v1/stock?sku=SKU-1").status_code == 200  # everyone signed in may read
    move = encode_event(item_move("SKU-1", 1, None, f"{wh}-BIN-1", wh=wh))
    r = picker.post("/api/v1/moves", content=move)
    assert r.status_code == 403 and "picker" in r.json()["detail"]
    for who in (picker, supervisor):
        assert who.post("/api/v1/locations", json=location(wh)).status_code == 403
        assert who.post("/api/v1/skus", json={"sku": "SKU-1"}).status_code == 403
    assert manager.post("/api/v1/locations", json=location(wh)).status_code == 201
    assert supervisor.post("/api/v1/moves", content=move).json()["applied"] == 1


def test_gateway_token_posts_only_its_warehouse_and_reads_nothing(hub: Hub) -> None:
    wh = f"WH{uuid.uuid4().hex[:6]}"
    with connect(hub.settings.database_url or "") as conn:
        issued = create_gateway_credential(conn, wh, "gw-1", now=datetime.now(UTC),
                                           ttl=timedelta(days=1),
                                           secret_key=hub.settings.secret_key)
    with hub.client() as admin:
        admin.post("/api/v1/locations", json=location(wh)).raise_for_status()
    with hub.client(issued.token) as device:
        check_device(wh, device)


def check_device(wh: str, device: httpx.Client) -> None:
    own = encode_event(item_move("SKU-1", 2, None, f"{wh}-BIN-1", wh=wh))
    foreign = encode_event(item_move("SKU-1", 2, None, f"{wh}-BIN-1", wh=f"{wh}x"))
    assert device.post("/api/v1/moves", content=own).json()["applied"] == 1
    r = device.post("/api/v1/moves", content=foreign)
    assert r.status_code == 403 and f"{wh}x" in r.json()["detail"]
    assert device.get("/api/v1/stock?sku=SKU-1").status_code == 403


def test_revoked_token_is_refused(hub: Hub) -> None:
    with connect(hub.settings.database_url or "") as conn:
        create_user(conn, "leaver", PASSWORD, ["manager"], ["*"])
    with hub.client(token(hub, "leaver")) as leaver:
        assert leaver.get("/api/v1/stock?sku=SKU-1").status_code == 200
        with connect(hub.settings.database_url or "") as conn:
            revoke_tokens(conn, "leaver", datetime.now(UTC))
        assert leaver.get("/api/v1/stock?sku=SKU-1").status_code == 401


def test_live_feed_needs_a_ticket_bought_by_a_reader(hub: Hub) -> None:
    base = hub.base_url.replace("http://", "ws://") + "/api/v1/live?warehouse=WH1"
    picker = token(hub, "picker")
    # no ticket, a forged one, and the bearer token itself in the URL are all refused
    for url in (base, base + "&ticket=forged", f"{base}&token={picker}"):
        # The hub closes before accepting, which uvicorn answers as HTTP 403 on the upgrade.
        with pytest.raises(InvalidStatus) as refused:
            ws_connect(url, open_timeout=10).close()
        assert refused.value.response.status_code == 403
    with ws_connect(hub.live_url("WH1", picker), open_timeout=10) as ws, \
            pytest.raises(TimeoutError):
        ws.recv(timeout=0.5)  # accepted and quiet: nothing moved in WH1
    with connect(hub.settings.database_url or "") as conn:
        device = create_gateway_credential(conn, "WH1", "gw-live", now=datetime.now(UTC),
                                           ttl=timedelta(days=1),
                                           secret_key=hub.settings.secret_key)
    with hub.client(device.token) as gateway:  # a gateway reads nothing, the feed neither
        assert gateway.post("/api/v1/live/tickets", json={"warehouse": "WH1"}).status_code == 403
