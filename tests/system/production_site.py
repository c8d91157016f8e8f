"""A production-configured site on this machine: the project's production broker config (dynamic
security, generated users and client ids, size limits) and `python -m cloud_hub serve` with
production settings, each private (own ports, own database), plus an MQTT client for probing.

Rule kept here: what runs is what deploy/ ships — deploy/mosquitto/mosquitto.conf through
deploy.local_broker.production_config, credentials from deploy/gen_mosquitto_auth.py, the hub's
HUB_* as deploy/systemd sets them — only paths, ports and the database are made local.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import queue
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from deploy.gen_mosquitto_auth import HUB_USER, GatewayId, generate
from deploy.local_broker import LocalBroker, free_port, production_config
from tests.hub_fixtures import ROOT, Hub, wait_http, wait_mqtt_connected

DEPLOY = ROOT / "deploy"
TIMEOUT = 10.0


def password_of(env_file: Path) -> str:
    """The MQTT password in one of gen_mosquitto_auth's credential env files."""
    for line in env_file.read_text().splitlines():
        if line.split("=", 1)[0].endswith("_MQTT_PASSWORD"):
            return line.split("=", 1)[1]
    raise AssertionError(f"no password in {env_file}")


@dataclass
class ProductionBroker:
    broker: LocalBroker
    tls_port: int
    certs: Path
    auth: Path
    passwords: dict[str, str]  # broker user -> its generated password


@contextlib.contextmanager
def production_broker(root: Path, gateways: Sequence[GatewayId]) -> Iterator[ProductionBroker]:
    """deploy/mosquitto/mosquitto.conf with credentials for the hub and `gateways`, on free
    ports of 127.0.0.1 (plain and TLS, a dev CA made under `root`)."""
    files = generate(root / "auth", list(gateways))
    certs = root / "certs"
    subprocess.run([str(DEPLOY / "tls" / "make_dev_ca.sh"), str(certs)], check=True,
                   capture_output=True, timeout=120)
    port, tls_port = free_port(), free_port()
    workdir = root / "data"
    workdir.mkdir()
    conf = production_config(port=port, tls_port=tls_port, auth_dir=root / "auth",
                             certs_dir=certs, workdir=workdir, user=getpass.getuser())
    broker = LocalBroker(port=port, workdir=workdir, config_override=conf)
    broker.start()
    try:
        yield ProductionBroker(broker, tls_port, certs, root / "auth",
                               {u: password_of(p) for u, p in files.items()})
    finally:
        broker.stop()


class Client:
    """A paho client whose connection result, SUBACKs, PUBACKs and messages go to queues.

    paho's own reconnect is put off for an hour: a closed connection stays closed, so a probe
    that reuses a gateway's client id never meets an old connection coming back.
    """

    def __init__(self, site: ProductionBroker, user: str | None, password: str | None, *,
                 client_id: str, protocol: int = mqtt.MQTTv311, tls: bool = False) -> None:
        self.connack: queue.Queue[mqtt.ReasonCode] = queue.Queue()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.acks: queue.Queue[tuple[int, mqtt.ReasonCode]] = queue.Queue()
        self.subacks: queue.Queue[list[mqtt.ReasonCode]] = queue.Queue()
        self.disconnected = threading.Event()
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol)
        c.reconnect_delay_set(3600, 3600)
        if user is not None:
            c.username_pw_set(user, password)
        if tls:
            c.tls_set(ca_certs=str(site.certs / "ca.crt"))
        c.on_connect = lambda _c, _u, _f, rc, _p: self.connack.put(rc)
        c.on_message = lambda _c, _u, m: self.messages.put((m.topic, m.payload))
        c.on_subscribe = lambda _c, _u, _mid, rcs, _p: self.subacks.put(list(rcs))
        c.on_publish = lambda _c, _u, mid, rc, _p: self.acks.put((mid, rc))
        c.on_disconnect = lambda *_a: self.disconnected.set()
        self.client = c
        c.connect("127.0.0.1", site.tls_port if tls else site.broker.port, keepalive=30)
        c.loop_start()

    def result(self) -> mqtt.ReasonCode:
        return self.connack.get(timeout=TIMEOUT)

    def subscribe(self, *filters: str) -> list[mqtt.ReasonCode]:
        """Subscribe at QoS 1 and return the broker's answer for each filter."""
        self.client.subscribe([(f, 1) for f in filters])
        return self.subacks.get(timeout=TIMEOUT)

    def publish(self, name: str, payload: bytes, retain: bool = False) -> None:
        self.client.publish(name, payload, qos=1, retain=retain).wait_for_publish(TIMEOUT)

    def next_message(self) -> tuple[str, bytes]:
        return self.messages.get(timeout=TIMEOUT)

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)


# -- the hub --------------------------------------------------------------------------------

@dataclass
class ProductionHub:
    """`python -m cloud_hub serve` in production mode; its log (access log included) in a file."""

    env: dict[str, str]
    log: Path
    admin_password: str
    root: Path = ROOT  # the checkout the hub runs from (another: e.g. an older commit's)
    proc: subprocess.Popen[bytes] | None = None
    api: Hub = field(init=False)

    def __post_init__(self) -> None:
        self.api = Hub(f"http://127.0.0.1:{self.env['HUB_PORT']}", None, "")  # type: ignore[arg-type]

    @property
    def client_id(self) -> str:
        return self.env["HUB_MQTT_CLIENT_ID"]

    def start(self, timeout: float = 60.0) -> None:
        with self.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cloud_hub", "serve", "--log-level", "info"],
                env=self.env, cwd=self.root, stdout=log, stderr=log)
        wait_http(f"{self.api.base_url}/healthz", timeout)
        wait_mqtt_connected(self.api.base_url, timeout)
        self.api.token = self.api.login("admin", self.admin_password)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None

    def restart(self) -> None:
        """The same replica again: the same client id, so the broker hands it its session."""
        self.stop()
        self.env["HUB_PORT"] = str(free_port())
        self.__post_init__()
        self.start()

    def cli(self, *args: str, timeout: float = 60, **env: str
            ) -> subprocess.CompletedProcess[str]:
        """`python -m cloud_hub ARGS` with this hub's settings (some replaced by `env`), as an
        operator runs it. Raises subprocess.TimeoutExpired (the child killed) past `timeout`."""
        return subprocess.run([sys.executable, "-m", "cloud_hub", *args],
                              env={**self.env, **env}, cwd=self.root, capture_output=True,
                              text=True, timeout=timeout)


def production_env(db_url: str, broker: ProductionBroker, **extra: str) -> dict[str, str]:
    """HUB_* as deploy/systemd/stockpulse-hub@.service and deploy/compose.yaml set them, with
    random secrets; the client id follows the unit's guessable `stockpulse-hub-%H-%i`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({
        "HUB_ENVIRONMENT": "production", "HUB_HOST": "127.0.0.1", "HUB_PORT": str(free_port()),
        "HUB_DATABASE_URL": db_url, "HUB_SECRET_KEY": secrets.token_urlsafe(48),
        "HUB_BOOTSTRAP_ADMIN_PASSWORD": secrets.token_urlsafe(18),
        "HUB_MQTT_HOST": "127.0.0.1", "HUB_MQTT_PORT": str(broker.broker.port),
        "HUB_MQTT_USERNAME": HUB_USER, "HUB_MQTT_PASSWORD": broker.passwords[HUB_USER],
        "HUB_MQTT_SHARED_GROUP": "hub",
        "HUB_MQTT_CLIENT_ID": f"stockpulse-hub-{socket.gethostname()}-1",
        "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


@contextlib.contextmanager
def production_hub(db_url: str, broker: ProductionBroker, log: Path, root: Path = ROOT,
                   **extra: str) -> Iterator[ProductionHub]:
    env = production_env(db_url, broker, PYTHONPATH=str(root), **extra)
    hub = ProductionHub(env, log, env["HUB_BOOTSTRAP_ADMIN_PASSWORD"], root)
    try:
        hub.start()
        yield hub
    finally:
        hub.stop()
