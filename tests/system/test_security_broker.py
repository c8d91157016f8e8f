"""The production broker config refuses what it must: deploy/mosquitto/mosquitto.conf with the
dynamic-security config from deploy/gen_mosquitto_auth.py, run privately on free ports.

Most clients here speak MQTT 3.1.1 (the edge speaks 5). Mosquitto 2.0 answers a denied publish
with a PUBACK (3.1.1: success, the protocol has no refusal; 5.0: "Not authorized") and then
closes the connection; the message is never routed. So "refused" is shown by the connection
being closed and the hub never receiving the message, while the gateway's own topics do
arrive. A refused SUBSCRIBE or CONNECT is answered with a failure code.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml

from deploy.gen_mosquitto_auth import HUB_USER, GatewayId
from protocol import MAX_PAYLOAD_BYTES, Channel, encode_batch, topic, warehouse_topic
from tests.hub_fixtures import ROOT, running_hub
from tests.ledger.factories import item_move
from tests.system.production_site import TIMEOUT, Client, ProductionBroker, production_broker

pytestmark = pytest.mark.integration
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@dataclass(kw_only=True)
class Site(ProductionBroker):
    gw_a: GatewayId
    gw_b: GatewayId


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    wh = f"WH{uuid.uuid4().hex[:6]}"
    gw_a, gw_b = GatewayId(wh, "gw-a"), GatewayId(wh, "gw-b")
    with production_broker(tmp_path_factory.mktemp("broker-site"), [gw_a, gw_b]) as made:
        yield Site(broker=made.broker, tls_port=made.tls_port, certs=made.certs,
                   auth=made.auth, passwords=made.passwords, gw_a=gw_a, gw_b=gw_b)


@pytest.fixture
def connect(site: Site) -> Iterator[object]:
    """Connect as `user`; a gateway uses the client id its user is bound to unless told."""
    made: list[Client] = []
    gateways = {site.gw_a.username, site.gw_b.username}

    def make(user: str | None, password: str | None = None, *, client_id: str | None = None,
             **kw: object) -> Client:
        if password is None and user is not None:
            password = site.passwords[user]
        if client_id is None:
            client_id = user if user in gateways else f"sec-{uuid.uuid4().hex[:10]}"
        made.append(Client(site, user, password, client_id=client_id, **kw))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for c in made:
        c.close()


def test_wrong_password_unknown_user_and_anonymous_are_refused(site: Site, connect) -> None:
    assert connect(site.gw_a.username, "not-the-password").result().is_failure
    assert connect("gw-z@NOWHERE", "whatever").result().is_failure
    assert connect(None).result().is_failure
    assert not connect(site.gw_a.username).result().is_failure


def test_gateway_cannot_publish_under_another_gateways_topics(site: Site, connect) -> None:
    hub = connect(HUB_USER)
    assert not hub.result().is_failure
    hub.subscribe(f"$share/sec{uuid.uuid4().hex[:6]}/stockpulse/v1/+/+/moves",
                  f"stockpulse/v1/{site.gw_a.warehouse}/+/status")
    wh, a = site.gw_a.warehouse, site.gw_a.gateway
    for forged in (topic(wh, site.gw_b.gateway, Channel.MOVES),
                   topic(f"{wh}x", a, Channel.MOVES),
                   topic(wh, site.gw_b.gateway, Channel.STATUS)):
        gw = connect(site.gw_a.username)
        gw.result()
        gw.client.publish(forged, b"forged by gw-a", qos=1)
        assert gw.disconnected.wait(TIMEOUT), f"broker kept a gateway that wrote {forged}"
        gw.close()
    gw = connect(site.gw_a.username)
    gw.result()
    gw.publish(topic(wh, a, Channel.MOVES), b"own move")
    gw.publish(topic(wh, a, Channel.STATUS), b"own status")
    # The hub's session queue is first-in first-out: had a forged message been routed, it
    # would come before the gateway's own ones, which were published after it.
    assert hub.next_message() == (topic(wh, a, Channel.MOVES), b"own move")
    assert hub.next_message() == (topic(wh, a, Channel.STATUS), b"own status")
    assert hub.messages.empty()
    assert not gw.disconnected.is_set()


def test_v5_gateway_is_told_not_authorized(site: Site, connect) -> None:
    gw = connect(site.gw_a.username, protocol=mqtt.MQTTv5)
    gw.result()
    info = gw.client.publish(topic(site.gw_b.warehouse, site.gw_b.gateway, Channel.MOVES),
                             b"forged", qos=1)
    mid, reason = gw.acks.get(timeout=TIMEOUT)
    assert mid == info.mid
    assert reason.is_failure and reason.getName() == "Not authorized"


@pytest.mark.parametrize("protocol", [mqtt.MQTTv311, mqtt.MQTTv5], ids=["mqtt311", "mqtt5"])
def test_a_gateway_may_not_subscribe_to_moves_shared_or_not(site: Site, connect,
                                                             protocol: int) -> None:
    """Issue 18, critical 3: a gateway that joined the hubs' shared group was handed half of
    every warehouse's moves (acknowledged, never applied). Every such filter is refused
    (SUBACK failure) and the hub gets every move."""
    wh = site.gw_a.warehouse
    hub = connect(HUB_USER)
    assert not hub.result().is_failure
    assert not any(rc.is_failure for rc in hub.subscribe("$share/hub/stockpulse/v1/+/+/moves"))
    spy = connect(site.gw_a.username, protocol=protocol)
    assert not spy.result().is_failure
    other = topic(wh, site.gw_b.gateway, Channel.MOVES)
    filters = ["$share/hub/stockpulse/v1/+/+/moves", "stockpulse/v1/+/+/moves",
               f"stockpulse/v1/{wh}/#", other, "#", "$share/hub/#", "$share/spy/#"]
    answers = spy.subscribe(*filters)
    assert [rc.is_failure for rc in answers] == [True] * len(filters), answers
    sender = connect(site.gw_b.username)
    assert not sender.result().is_failure
    sent = [f"move {i}".encode() for i in range(20)]
    for payload in sent:
        sender.publish(other, payload)
    assert [hub.next_message() for _ in sent] == [(other, p) for p in sent]
    assert spy.messages.empty() and not spy.disconnected.is_set()


def test_a_gateway_may_use_only_its_own_client_id(site: Site, connect) -> None:
    """Issue 18, critical 3: a gateway that connected with the hub's (guessable) client id
    knocked the hub off, and the two took turns. The broker binds a gateway's user to one
    client id, its user name, and refuses every other one."""
    wh = site.gw_a.warehouse
    hub_id = f"stockpulse-hub-{uuid.uuid4().hex[:6]}"
    hub = connect(HUB_USER, client_id=hub_id)
    assert not hub.result().is_failure
    hub.subscribe(f"stockpulse/v1/{wh}/+/status")
    gw_b = connect(site.gw_b.username)
    assert not gw_b.result().is_failure
    for stolen in (hub_id, site.gw_b.username, f"edge-{site.gw_a.gateway}-0a1b2c3d",
                   "healthcheck"):
        thief = connect(site.gw_a.username, client_id=stolen)
        assert thief.result().is_failure, f"a gateway connected as {stolen!r}"
    assert connect("healthcheck", client_id=hub_id).result().is_failure
    assert not hub.disconnected.is_set() and not gw_b.disconnected.is_set()
    status = topic(wh, site.gw_b.gateway, Channel.STATUS)
    gw_b.publish(status, b"still connected")
    assert hub.next_message() == (status, b"still connected")
    assert not connect(site.gw_a.username).result().is_failure  # its own id is welcome
    assert not hub.disconnected.is_set() and not gw_b.disconnected.is_set()


def test_the_broker_refuses_a_message_over_the_protocols_limit(site: Site, connect) -> None:
    """Issue 18: a 10 MB move payload was stored whole (and served back 172 MB at a time).
    A payload over protocol.MAX_PAYLOAD_BYTES is never routed, one of exactly that size is,
    and a client sending megabytes is cut off before the broker reads them."""
    name = topic(site.gw_a.warehouse, site.gw_a.gateway, Channel.MOVES)
    hub = connect(HUB_USER)
    hub.result()
    hub.subscribe(name)
    big = connect(site.gw_a.username)
    assert not big.result().is_failure
    # MQTT 3.1.1 has no refusal: the broker acknowledges, drops the message (and Mosquitto
    # 2.0.11 then closes the connection). The hub's queue is first-in first-out, so had the
    # big one been routed it would arrive before the next one.
    big.client.publish(name, b"x" * (MAX_PAYLOAD_BYTES + 1), qos=1)
    big.acks.get(timeout=TIMEOUT)
    big.close()
    gw = connect(site.gw_a.username)
    assert not gw.result().is_failure
    gw.publish(name, b"y" * MAX_PAYLOAD_BYTES)
    got_topic, got = hub.next_message()
    assert (got_topic, got[:1], len(got)) == (name, b"y", MAX_PAYLOAD_BYTES)
    gw.close()
    flood = connect(site.gw_a.username)
    assert not flood.result().is_failure
    flood.client.publish(name, b"z" * (4 * 1024 * 1024), qos=1)
    assert flood.disconnected.wait(TIMEOUT), "the broker read a 4 MiB message to the end"
    assert hub.messages.empty()


def test_gateway_reads_only_its_own_commands_and_cannot_raise_alerts(site: Site, connect
                                                                      ) -> None:
    wh = site.gw_a.warehouse
    hub = connect(HUB_USER)
    hub.result()
    hub.subscribe(warehouse_topic(wh, Channel.ALERTS))
    forger = connect(site.gw_a.username)
    forger.result()
    forger.client.publish(warehouse_topic(wh, Channel.ALERTS), b"forged alert", qos=1)
    assert forger.disconnected.wait(TIMEOUT)
    gw = connect(site.gw_a.username)
    gw.result()
    own, everything = gw.subscribe(topic(wh, site.gw_a.gateway, Channel.COMMANDS),
                                   "stockpulse/v1/#")
    assert not own.is_failure and everything.is_failure
    hub.publish(topic(wh, site.gw_b.gateway, Channel.COMMANDS), b"light B")
    hub.publish(topic(wh, site.gw_a.gateway, Channel.COMMANDS), b"light A")
    hub.publish(warehouse_topic(wh, Channel.ALERTS), b"real alert")
    assert gw.next_message() == (topic(wh, site.gw_a.gateway, Channel.COMMANDS), b"light A")
    assert hub.next_message() == (warehouse_topic(wh, Channel.ALERTS), b"real alert")
    assert gw.messages.empty()


def test_hub_reads_every_gateway_channel(site: Site, connect) -> None:
    hub = connect(HUB_USER)
    hub.result()
    hub.subscribe(f"stockpulse/v1/{site.gw_a.warehouse}/#")
    sent = []
    for gw_id, channel in [(site.gw_a, Channel.HEARTBEAT), (site.gw_b, Channel.READINGS),
                           (site.gw_b, Channel.MOVES)]:
        gw = connect(gw_id.username)
        gw.result()
        name = topic(gw_id.warehouse, gw_id.gateway, channel)
        gw.publish(name, name.encode())
        sent.append((name, name.encode()))
    assert sorted(hub.next_message() for _ in sent) == sorted(sent)


def test_tls_listener_checks_the_broker_and_the_password(site: Site, connect) -> None:
    assert not connect(site.gw_a.username, tls=True).result().is_failure
    assert connect(site.gw_a.username, "wrong", tls=True).result().is_failure
    # An MQTT 3.1.1 CONNECT in plain text: the TLS listener must close without a CONNACK.
    with socket.create_connection(("127.0.0.1", site.tls_port), timeout=TIMEOUT) as sock:
        sock.sendall(b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00")
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(4096):
                answer += chunk
    assert not answer.startswith(b"\x20"), "a plain-text client got a CONNACK over TLS"
    # A gateway that does not trust our CA (system roots only) refuses the broker.
    with socket.create_connection(("127.0.0.1", site.tls_port), timeout=TIMEOUT) as sock, \
            pytest.raises(ssl.SSLCertVerificationError):
        ssl.create_default_context().wrap_socket(sock, server_hostname="localhost").close()
    # ...while one holding ca.crt verifies it by name.
    trusting = ssl.create_default_context(cafile=str(site.certs / "ca.crt"))
    with socket.create_connection(("127.0.0.1", site.tls_port), timeout=TIMEOUT) as sock, \
            trusting.wrap_socket(sock, server_hostname="mosquitto") as tls:
        assert tls.version() in {"TLSv1.2", "TLSv1.3"}


def test_compose_healthcheck_command_passes_on_this_broker(site: Site) -> None:
    """The mosquitto service's healthcheck from deploy/compose.yaml, run as compose would
    (`$$` unescaped), with the container's paths and port made local."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    kind, script = compose["services"]["mosquitto"]["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    script = script.replace("$$", "$").replace("/mosquitto/auth/", f"{site.auth}/")
    assert " -p 1883 " in script
    local = script.replace(" -p 1883 ", f" -p {site.broker.port} ")
    ok = subprocess.run(["sh", "-c", local], capture_output=True, timeout=30)
    assert ok.returncode == 0 and ok.stdout.strip().endswith(b"seconds"), ok.stderr
    wrong = local.replace("-u healthcheck", f"-u {site.gw_a.username}")
    assert subprocess.run(["sh", "-c", wrong], capture_output=True, timeout=30).returncode != 0


def wait_until(check: Callable[[], object], what: str, timeout: float = 30.0) -> object:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)  # polling the hub's REST API: it has no event to await
    return result


def test_edge_over_tls_and_a_hub_with_credentials_through_the_acl(
        site: Site, fresh_db_url: str, tmp_path: Path, connect) -> None:
    """The whole chain on the production broker config: `python -m edge` over TLS with its
    generated credentials, a real hub logging in as the hub user on its shared group."""
    wh, gw = site.gw_a.warehouse, site.gw_a.gateway
    config = tmp_path / "gateway.yaml"
    config.write_text(yaml.safe_dump({
        "warehouse": wh, "gateway_id": gw, "heartbeat_s": 1,
        "mqtt": {"host": "127.0.0.1", "port": site.tls_port,
                 "tls": {"ca_certs": str(site.certs / "ca.crt")}},
        "outbox": {"path": str(tmp_path / "outbox.sqlite")}}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EDGE_MQTT_USERNAME": site.gw_a.username,
           "EDGE_MQTT_PASSWORD": site.passwords[site.gw_a.username]}
    with running_hub(fresh_db_url, mqtt_port=site.broker.port, mqtt_username=HUB_USER,
                     mqtt_password=site.passwords[HUB_USER], rules_enabled=False) as hub, \
            hub.client() as api, (tmp_path / "edge.log").open("wb") as log, \
            subprocess.Popen([sys.executable, "-m", "edge", "--config", str(config)], env=env,
                             cwd=ROOT, stderr=log) as edge:
        try:
            def gateway_state() -> str | None:
                rows = api.get("/api/v1/gateways", params={"warehouse": wh}).json()
                return next((r["state"] for r in rows if r["gateway"] == gw), None)

            wait_until(lambda: gateway_state() == "online", "the edge to show online")
            api.post("/api/v1/locations", json={"code": f"{wh}-BIN", "warehouse": wh,
                                                "kind": "bin"}).raise_for_status()
            forged = item_move("SKU-F", 1, None, f"{wh}-BIN", wh=wh)
            real = item_move("SKU-R", 2, None, f"{wh}-BIN", wh=wh)
            # Gateway B (the edge holds gateway A's one client id) forges A's topic, then
            # sends a real move on its own.
            forger = connect(site.gw_b.username)
            forger.result()
            forger.client.publish(topic(wh, gw, Channel.MOVES), encode_batch([forged]), qos=1)
            assert forger.disconnected.wait(TIMEOUT)
            forger.close()
            sender = connect(site.gw_b.username)
            sender.result()
            sender.publish(topic(wh, site.gw_b.gateway, Channel.MOVES), encode_batch([real]))

            def applied() -> set[str]:
                items = api.get("/api/v1/moves", params={"warehouse": wh}).json()["items"]
                return {m["event_id"] for m in items}

            wait_until(lambda: str(real.event_id) in applied(), "the real move")
            assert str(forged.event_id) not in applied()
        finally:
            edge.send_signal(signal.SIGTERM)
            assert edge.wait(timeout=30) == 0, (tmp_path / "edge.log").read_text()
        wait_until(lambda: gateway_state() == "offline", "the edge to show offline")


def test_a_misconfigured_gateway_keeps_the_events_the_broker_refused(
        site: Site, tmp_path: Path) -> None:
    """Gateway A's credentials with gateway B's id: every publish is refused by the ACL, and
    the edge must keep the events (and say why), not delete them as delivered."""
    from edge.outbox import SqliteOutbox
    from edge.publisher import MqttPublisher
    from edge.settings import MqttSettings
    wh = site.gw_b.warehouse
    outbox = SqliteOutbox(tmp_path / "outbox.sqlite")
    outbox.enqueue([item_move("S", 1, None, "BIN-A", wh=wh, t=i) for i in range(5)])
    settings = MqttSettings(port=site.broker.port, username=site.gw_a.username,
                            password=site.passwords[site.gw_a.username], window=2,
                            backoff_min_s=0.2, backoff_max_s=0.5)
    publisher = MqttPublisher(outbox, settings, wh, site.gw_b.gateway, heartbeat_s=3600)
    publisher.start()
    try:
        # Mosquitto answers a forbidden publish with "not authorised" (v5) or drops the
        # connection; either way the events must still be queued after several attempts.
        wait_until(lambda: publisher.stats().messages_published >= 3,
                   "the publisher to try several times")
        stats = publisher.stats()
        assert stats.events_acked == 0 and stats.last_error
        assert outbox.depth == 5
    finally:
        publisher.stop()
        outbox.close()
