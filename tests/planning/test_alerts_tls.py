"""Alerts reach a broker that needs TLS and a password (issue 20): the rules runner publishes
with the hub's MQTT settings, as ingest connects, instead of a plain client of its own that
such a broker refuses — with TLS on, alerts used to be stored and silently never published.

The broker is the production configuration (deploy/mosquitto/mosquitto.conf: TLS listener,
dynamic-security users) on private ports, as in tests/system/test_security_broker.py.
"""

from __future__ import annotations

import getpass
import json
import queue
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from deploy.gen_mosquitto_auth import HUB_USER, generate
from deploy.local_broker import LocalBroker, free_port, production_config
from protocol import encode_event, warehouse_topic
from tests.hub.test_ingest import seed_site
from tests.hub_fixtures import running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = """
rules:
  - name: running low
    when: on_hand < 5
    then: [alert: supervisors]
    message: "{sku} down to {on_hand} in {warehouse}"
"""


@dataclass
class TlsBroker:
    tls_port: int
    ca: Path
    hub_password: str


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    root = tmp_path_factory.mktemp("tls-broker")
    files = generate(root / "auth", [])
    certs = root / "certs"
    subprocess.run([str(DEPLOY / "tls" / "make_dev_ca.sh"), str(certs)], check=True,
                   capture_output=True, timeout=120)
    port, tls_port = free_port(), free_port()
    workdir = root / "data"
    workdir.mkdir()
    conf = production_config(port=port, tls_port=tls_port, auth_dir=root / "auth",
                             certs_dir=certs, workdir=workdir, user=getpass.getuser())
    broker = LocalBroker(port=port, workdir=workdir, config_override=conf).start()
    password = next(line.split("=", 1)[1] for line in files[HUB_USER].read_text().splitlines()
                    if line.split("=", 1)[0].endswith("_MQTT_PASSWORD"))
    try:
        yield TlsBroker(tls_port, certs / "ca.crt", password)
    finally:
        broker.stop()


def test_alerts_are_published_over_tls_with_the_hubs_credentials(
        fresh_db_url: str, tls_broker: TlsBroker) -> None:
    wh = f"TLS{uuid.uuid4().hex[:8]}"
    bins = seed_site(fresh_db_url, wh)
    alerts: queue.Queue[dict[str, object]] = queue.Queue()
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"alerts-{wh}")
    sub.username_pw_set(HUB_USER, tls_broker.hub_password)
    sub.tls_set(ca_certs=str(tls_broker.ca))
    sub.on_connect = lambda c, *a: c.subscribe(warehouse_topic(wh, "alerts"), qos=1)
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.on_message = lambda c, u, m: alerts.put(json.loads(m.payload))
    sub.connect("127.0.0.1", tls_broker.tls_port)
    sub.loop_start()
    try:
        assert subscribed.wait(10), "the test's own subscriber could not subscribe over TLS"
        with running_hub(fresh_db_url, rules_debounce_ms=100, mqtt_port=tls_broker.tls_port,
                         mqtt_username=HUB_USER, mqtt_password=tls_broker.hub_password,
                         mqtt_tls_ca_file=str(tls_broker.ca)) as hub, hub.client() as api:
            assert api.put("/api/v1/planning/rules", content=RULES,
                           headers={"content-type": "text/plain"}).status_code == 200
            for move in (item_move("SKU-TLS", 20, None, bins[0], wh=wh),
                         item_move("SKU-TLS", 17, bins[0], None, wh=wh, t=1)):
                answer = api.post("/api/v1/moves", content=encode_event(move))
                assert answer.status_code == 200, answer.text
            alert = alerts.get(timeout=30)
    finally:
        sub.loop_stop()
        sub.disconnect()
    assert alert["sku"] == "SKU-TLS" and alert["warehouse"] == wh
    assert alert["rule"] == "running low" and "down to 3" in str(alert["message"])
