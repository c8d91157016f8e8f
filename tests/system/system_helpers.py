"""The chain for system tests: private broker, hub replicas, LLRP emulator, edge; ground truth.

A test gets a `Chain` (all children under one Supervisor, logs in the test's tmp dir), starts
what it needs and reads the ledger straight from PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from cloud_hub.demo_site import demo_locations, demo_skus
from cloud_hub.storage.catalog import upsert_locations, upsert_skus
from cloud_hub.storage.database import connect
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

WH = "WH1"


@dataclass
class Chain:
    sup: Supervisor
    work: Path
    db_url: str
    broker: Broker | None = None
    hubs: list[str] = field(default_factory=list)
    reader_ports: dict[str, int] = field(default_factory=dict)

    def start_broker(self) -> Broker:
        self.broker = start_broker(self.sup)
        return self.broker

    def start_hubs(self, count: int = 2) -> None:
        assert self.broker is not None
        for i in range(count):
            name = f"hub-{len(self.hubs) + 1}"
            start_hub(self.sup, name, hub_env(self.db_url, self.broker, free_port(),
                                              HUB_RULES_ENABLED="false"))
            self.hubs.append(name)
            del i

    def restart_hub(self, name: str) -> None:
        child = self.sup.children[name]
        env = {"HUB_PORT": str(free_port())}
        start_hub(self.sup, name, {**_env_of(child), **env})

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


def _env_of(child: Child) -> dict[str, str]:
    import psutil

    try:
        return dict(psutil.Process(child.proc.pid).environ())
    except psutil.Error:
        return {}


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
