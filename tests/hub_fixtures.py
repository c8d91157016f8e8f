"""Running a real hub for tests: in-process (uvicorn thread) or as a subprocess.

Every hub started here gets its own MQTT client id and shared-subscription group, so hubs of
parallel tests never take each other's messages from the shared broker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from cloud_hub.auth.pg.store import create_user
from cloud_hub.db.database import connect
from cloud_hub.main import create_app
from cloud_hub.settings import HubSettings

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("admin", "admin-password")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hub:
    base_url: str
    settings: HubSettings
    token: str  # an admin's bearer token

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def live_url(self, warehouse: str | None = None, token: str | None = None,
                 **params: str) -> str:
        """The live WebSocket's URL with a fresh single-use ticket bought with `token`."""
        with self.client(token) as c:
            r = c.post("/api/v1/live/tickets", json={"warehouse": warehouse})
            r.raise_for_status()
        query = "&".join(f"{k}={v}" for k, v in {**params, "ticket": r.json()["ticket"]}.items())
        return self.base_url.replace("http://", "ws://") + f"/api/v1/live?{query}"

    def login(self, name: str, password: str) -> str:
        r = httpx.post(f"{self.base_url}/api/v1/auth/token",
                       json={"username": name, "password": password}, timeout=30)
        r.raise_for_status()
        return str(r.json()["access_token"])


def hub_settings(db_url: str, **overrides: object) -> HubSettings:
    tag = uuid.uuid4().hex[:10]
    values: dict[str, object] = {
        "database_url": db_url, "port": free_port(), "mqtt_client_id": f"hub-test-{tag}",
        "mqtt_shared_group": f"hubtest{tag}", "secret_key": "test-secret-" + tag}
    values.update(overrides)
    return HubSettings(**values)  # type: ignore[arg-type]


def ensure_admin(db_url: str) -> None:
    with connect(db_url) as conn:
        create_user(conn, ADMIN[0], ADMIN[1], ["admin"])


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout}s")
        time.sleep(0.05)  # polling an HTTP endpoint that has no event to await


@contextlib.contextmanager
def running_hub(db_url: str, **overrides: object) -> Iterator[Hub]:
    """A hub in this process (uvicorn on a thread), stopped cleanly afterwards."""
    settings = hub_settings(db_url, **overrides)
    ensure_admin(db_url)
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=settings.port,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.port}"
    try:
        wait_http(f"{base}/healthz")
        hub = Hub(base, settings, "")
        hub.token = hub.login(*ADMIN)
        if settings.mqtt_enabled:
            wait_mqtt_connected(base)
        yield hub
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def wait_mqtt_connected(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while httpx.get(f"{base_url}/healthz", timeout=5).json().get("mqtt") != "connected":
        if time.monotonic() > deadline:
            raise TimeoutError("hub did not connect to the broker")
        time.sleep(0.05)  # polling /healthz: the subprocess has no event to await


def hub_env(settings: HubSettings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    for key, value in settings.model_dump().items():
        if value is not None:
            env[f"HUB_{key.upper()}"] = str(value)
    env["PYTHONPATH"] = str(ROOT)
    return env


@contextlib.contextmanager
def hub_process(settings: HubSettings) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m cloud_hub serve` as a child process; killed (SIGKILL) if still running."""
    proc = subprocess.Popen([sys.executable, "-m", "cloud_hub", "serve", "--log-level",
                             "warning"], env=hub_env(settings), cwd=ROOT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
