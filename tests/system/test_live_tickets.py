"""The live WebSocket is opened with a single-use, short-lived ticket bought with the bearer
token, and the hub's access log never carries a token or a ticket (issue 18, High 8)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from cloud_hub.auth.pg.store import AuthError, create_user, login, revoke_user
from cloud_hub.auth.pg.tickets import issue_ticket, redeem_ticket
from cloud_hub.db.database import connect
from tests.hub_fixtures import ADMIN, ROOT, ensure_admin, hub_env, hub_settings, wait_http

pytestmark = pytest.mark.integration
SECRET = "test-secret-for-tickets"


def test_a_ticket_is_good_once_for_seconds_and_while_its_token_is(fresh_db_url: str) -> None:
    t0 = datetime.now(UTC)
    with connect(fresh_db_url) as conn:
        create_user(conn, "tia", "tia-password", ["picker"], ["WH1"])
        token = login(conn, "tia", "tia-password", now=t0, ttl=timedelta(hours=1),
                      secret_key=SECRET).token

        def ticket(now: datetime) -> str:
            return issue_ticket(conn, token, "WH1", now=now, ttl=timedelta(seconds=30),
                                secret_key=SECRET)[0]
        once = ticket(t0)
        who, warehouse = redeem_ticket(conn, once, now=t0, secret_key=SECRET)
        assert (who.name, warehouse) == ("tia", "WH1")
        with pytest.raises(AuthError, match="already used"):
            redeem_ticket(conn, once, now=t0, secret_key=SECRET)
        with pytest.raises(AuthError, match="expired"):
            redeem_ticket(conn, ticket(t0), now=t0 + timedelta(seconds=30), secret_key=SECRET)
        bought = ticket(t0)
        revoke_user(conn, "tia", t0)  # the token it was bought with ends: so does the ticket
        with pytest.raises(AuthError, match="revoked"):
            redeem_ticket(conn, bought, now=t0, secret_key=SECRET)
        assert conn.execute("SELECT count(*) FROM live_tickets").fetchone()[0] == 0


@pytest.fixture
def served(fresh_db_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`python -m cloud_hub serve` as in production, its log (info level) in a file."""
    settings = hub_settings(fresh_db_url, mqtt_enabled=False, rules_enabled=False)
    ensure_admin(fresh_db_url)
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cloud_hub", "serve", "--log-level",
                                 "info"], env=hub_env(settings), cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{settings.port}"
            wait_http(f"{base}/healthz")
            yield base, log
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def test_the_access_log_holds_neither_the_token_nor_the_ticket(served: tuple[str, Path]
                                                                ) -> None:
    base, log = served
    token = httpx.post(f"{base}/api/v1/auth/token", json={
        "username": ADMIN[0], "password": ADMIN[1]}).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    bought = httpx.post(f"{base}/api/v1/live/tickets", json={"warehouse": "WH1"}, headers=auth)
    assert bought.status_code == 201, bought.text
    ticket = bought.json()["ticket"]
    live = base.replace("http://", "ws://") + "/api/v1/live"
    with ws_connect(f"{live}?ticket={ticket}&zone=Z1", open_timeout=10) as ws, \
            pytest.raises(TimeoutError):
        ws.recv(timeout=0.3)  # open, and quiet
    with pytest.raises(InvalidStatus):  # the token itself does not open the feed
        ws_connect(f"{live}?warehouse=WH1&token={token}", open_timeout=10)
    # a careless client that puts the token in a URL: refused or not, it is not written down
    httpx.get(f"{base}/api/v1/auth/me?TOKEN={token}&Access_Token={token}", headers=auth)
    httpx.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": "x"})
    text = ""
    for _ in range(200):  # the log is written by another process: read until it shows
        text = log.read_text(errors="replace")
        if "/api/v1/auth/me?" in text and text.count("WebSocket /api/v1/live") >= 2:
            break
        time.sleep(0.05)  # polling a file another process writes: no event to await
    assert "/api/v1/auth/me?" in text and "WebSocket /api/v1/live" in text, text[-2000:]
    assert token not in text and ticket not in text
    assert "ticket=***" in text and "TOKEN=***" in text
