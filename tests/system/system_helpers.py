"""The chain for system tests: private broker, hub replicas, LLRP emulator, edge; ground truth.

A test gets a `Chain` (all children under one Supervisor, logs in the test's tmp dir), starts
what it needs and reads the ledger straight from PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
from cloud_hub.db.database import connect
from cloud_hub.demo.site import demo_locations, demo_skus
from deploy.local_broker import free_port
from deploy.supervisor import Child, Supervisor
from deploy.system import (
    SCENARIO_TO_HUB,
    Broker,
    GatewayPlan,
    hub_env,
    render_gateway_config,
    start_broker,
    start_edge,
    start_emulator,
    start_hub,
)
from protocol import decode_message

WH = "WH1"


@dataclass
class Chain:
    sup: Supervisor
    work: Path
    db_url: str
    broker: Broker | None = None
    hub_envs: dict[str, dict[str, str]] = field(default_factory=dict)
    reader_ports: dict[str, int] = field(default_factory=dict)

    def start_broker(self) -> Broker:
        self.broker = start_broker(self.sup)
        return self.broker

    def start_hubs(self, count: int = 2) -> None:
        assert self.broker is not None
        for _ in range(count):
            name = f"hub-{len(self.hub_envs) + 1}"
            self.hub_envs[name] = hub_env(self.db_url, self.broker, free_port(),
                                          HUB_RULES_ENABLED="false")
            start_hub(self.sup, name, self.hub_envs[name])

    def restart_hub(self, name: str) -> None:
        """The same replica again (same MQTT client id, so its broker session), a new port."""
        self.hub_envs[name] = {**self.hub_envs[name], "HUB_PORT": str(free_port())}
        start_hub(self.sup, name, self.hub_envs[name])

    def start_emulator(self, scenario: Path, **kwargs: Any) -> Child:
        child, ports = start_emulator(self.sup, scenario, truth_out=self.work / "truth.json",
                                      **kwargs)
        self.reader_ports = ports
        return child

    def gateway_config(self, broker_port: int | None = None) -> Path:
        assert self.broker is not None
        broker = self.broker if broker_port is None else Broker("127.0.0.1", broker_port, "proxy")
        plan = GatewayPlan(WH, "gw-dock", broker, self.reader_ports, self.work / "outbox.sqlite",
                           heartbeat_s=2.0)
        return render_gateway_config(plan, self.work / "gateway.yaml")

    def start_edge(self, broker_port: int | None = None) -> Child:
        return start_edge(self.sup, self.gateway_config(broker_port))

    def truth(self) -> dict[str, Any]:
        return json.loads((self.work / "truth.json").read_text())  # type: ignore[no-any-return]


@contextmanager
def chain(tmp_path: Path, db_url: str) -> Iterator[Chain]:
    seed_demo_site(db_url)
    sup = Supervisor(tmp_path / "logs", out=open("/dev/null", "w"))  # noqa: SIM115
    made = Chain(sup, tmp_path, db_url)
    try:
        yield made
    finally:
        sup.stop_all()
        if made.broker is not None:
            made.broker.stop(sup)
        sup.out.close()


def seed_demo_site(db_url: str) -> None:
    with connect(db_url) as conn, conn.transaction():
        upsert_locations(conn, demo_locations())
        upsert_skus(conn, demo_skus())


class Tap:
    """Every event id published on the warehouse's moves topics (a plain, persistent
    subscription beside the hubs' shared one): what the edge sent, whatever the hub did."""

    def __init__(self, port: int) -> None:
        self.ids: set[str] = set()
        self.messages = 0
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"tap-{uuid.uuid4()}",
                                  clean_session=False)
        self.client.on_connect = lambda c, *_: c.subscribe(f"stockpulse/v1/{WH}/+/moves", 1)
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def _on_message(self, _c: object, _u: object, message: mqtt.MQTTMessage) -> None:
        decoded = decode_message(message.payload)
        with self._lock:
            self.messages += 1
            self.ids.update(str(e.event_id) for e in decoded.events)

    def seen(self) -> set[str]:
        """A copy of the event ids heard so far (the network thread keeps adding)."""
        with self._lock:
            return set(self.ids)

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)


def portal_passes(db_url: str) -> Counter[str]:
    """How many portal passes the ledger holds per pallet (EPC)."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT u.epc FROM moves m JOIN units u ON u.unit_key = m.unit_key "
                            "WHERE m.reason = 'portal_pass'").fetchall()
    return Counter(f"epc:{epc.upper()}" for (epc,) in rows)


def truth_passes(truth: dict[str, Any]) -> Counter[str]:
    return Counter(f"epc:{p['epc_hex']}" for p in truth["passes"])


def expected_units(truth: dict[str, Any]) -> dict[str, str | None]:
    """Where each pallet is after the scenario: the hub location its last pass led to."""
    where: dict[str, str | None] = {}
    for p in sorted(truth["passes"], key=lambda p: p["time_us"]):
        to = p["to_location"]
        where[f"epc:{p['epc_hex']}"] = SCENARIO_TO_HUB.get(to, to) if to else None
    return where


def ledger_units(db_url: str) -> dict[str, str | None]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT epc, location FROM units WHERE warehouse = %s "
                            "AND epc IS NOT NULL", (WH,)).fetchall()
    return {f"epc:{epc.upper()}": loc for epc, loc in rows}


def rfid_move_ids(db_url: str) -> list[str]:
    """event ids of every RFID move the hub recorded: applied, late or rejected."""
    with psycopg.connect(db_url) as conn:
        moved = [str(r[0]) for r in conn.execute(
            "SELECT event_id FROM moves WHERE source_kind = 'rfid'")]
        refused = [str(r[0]) for r in conn.execute(
            "SELECT event_id FROM rejected_moves WHERE payload->'source'->>'kind' = 'rfid'")]
    return moved + refused


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               every: float = 0.5) -> None:
    """Poll `check` (the ledger, over SQL: there is no event to await) until true or timeout."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)
