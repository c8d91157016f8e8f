"""`make demo`: the whole system on one machine, from embedded defaults, until Ctrl-C.

PostgreSQL (embedded unless HUB_DATABASE_URL), an MQTT broker, the hub, the LLRP emulator
playing the demo site, an edge gateway (sllurp), scanner and camera emulators and a simulated
picker. Rule kept here: every child is ours and is stopped, newest first, on Ctrl-C/SIGTERM or
after STOCKPULSE_DEMO_SECONDS; the demo login is printed in development mode only.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cloud_hub.settings import HubSettings
from deploy.supervisor import Child, ChildFailed, StopSignals, Supervisor, python_env
from deploy.system import (
    DEMO_SCENARIO,
    PY,
    Broker,
    GatewayPlan,
    hub_env,
    make_camera_video,
    render_gateway_config,
    scan,
    sscc,
    start_broker,
    start_edge,
    start_emulator,
    start_hub,
    start_scanner,
)

GATEWAY_ID = "gw-dock"  # the gateway the demo site's dock doors name (cloud_hub/demo/site.py)
DEMO_USERS = {"manager": ("demo-manager", ["manager"]), "picker": ("demo-picker", ["picker"]),
              "supervisor": ("demo-supervisor", ["supervisor"])}


@dataclass
class DemoRun:
    settings: HubSettings
    sup: Supervisor
    work: Path
    db_url: str = ""
    broker: Broker | None = None
    passwords: dict[str, str] = field(default_factory=dict)
    scanner: Child | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"


def bounded_seconds() -> float | None:
    value = os.environ.get("STOCKPULSE_DEMO_SECONDS")
    return float(value) if value else None


def run_full_demo(settings: HubSettings, seconds: float | None = None) -> int:
    """Start everything, print the map URL and login, run until stopped; 0 on a clean stop."""
    seconds = seconds if seconds is not None else bounded_seconds()
    work = Path(tempfile.mkdtemp(prefix="stockpulse-demo-"))
    sup = Supervisor(work / "logs")
    demo = DemoRun(settings, sup, work)
    print(f"StockPulse demo: starting the whole system (logs in {sup.log_dir})", flush=True)
    with StopSignals() as stop:
        try:
            start_all(demo, stop.event.is_set)
        except (ChildFailed, OSError, ValueError, RuntimeError) as exc:
            print(f"\ndemo could not start: {exc}", file=sys.stderr, flush=True)
            shutdown(demo)
            return 1
        if stop.event.is_set():
            shutdown(demo)
            return 0
        announce(demo)
        status = watch(demo, stop.event, seconds)
        shutdown(demo)
    return status


def start_all(demo: DemoRun, stopping: Callable[[], bool]) -> None:
    sup, steps = demo.sup, _steps(demo)
    for number, (label, action) in enumerate(steps, 1):
        if stopping():
            return
        sup.step(f"[{number}/{len(steps)}] {label}", action)


def _steps(demo: DemoRun) -> list[tuple[str, Callable[[], str | None]]]:
    return [("PostgreSQL", lambda: _database(demo)),
            ("demo site and users", lambda: _seed(demo)),
            ("MQTT broker", lambda: _broker(demo)),
            ("hub (REST, WebSocket, MQTT ingest)", lambda: _hub(demo)),
            ("scanner and camera emulators", lambda: _devices(demo)),
            ("LLRP emulator and edge gateway", lambda: _rfid_and_edge(demo)),
            ("simulated picker", lambda: _picker(demo))]


def _database(demo: DemoRun) -> str:
    from cloud_hub.db.database import resolve_url

    if demo.settings.database_url:
        demo.db_url = demo.settings.database_url
        return "HUB_DATABASE_URL"
    demo.db_url = resolve_url(None)  # pgserver; stopped when this process exits
    return "embedded (pgserver)"


def _seed(demo: DemoRun) -> str:
    from cloud_hub.auth.pg.store import create_user
    from cloud_hub.catalog.pg.store import upsert_locations, upsert_skus
    from cloud_hub.db.database import connect
    from cloud_hub.demo.site import WAREHOUSE, demo_locations, demo_skus

    development = demo.settings.environment == "development"
    with connect(demo.db_url) as conn:
        with conn.transaction():
            upsert_locations(conn, demo_locations())
            upsert_skus(conn, demo_skus())
        for name, (password, roles) in DEMO_USERS.items():
            # outside development the demo users get passwords nobody is shown
            demo.passwords[name] = password if development else secrets.token_urlsafe(18)
            create_user(conn, name, demo.passwords[name], roles, [WAREHOUSE])
    return "warehouse WH1, 3 users"


def _broker(demo: DemoRun) -> str:
    demo.broker = start_broker(demo.sup)
    return f"{demo.broker.kind} on {demo.broker.host}:{demo.broker.port}"


def _hub(demo: DemoRun) -> str:
    assert demo.broker is not None
    if not _port_free(demo.settings.host, demo.settings.port):
        raise OSError(f"port {demo.settings.port} is in use: set HUB_PORT to a free port")
    env = hub_env(demo.db_url, demo.broker, demo.settings.port,
                  HUB_HOST=demo.settings.host, HUB_ENVIRONMENT=demo.settings.environment,
                  HUB_SECRET_KEY=demo.settings.secret_key)
    try:
        start_hub(demo.sup, "hub", env)
    except ChildFailed as exc:
        if demo.broker.kind == "amqtt":  # amqtt 0.12 refuses MQTT 5 CONNECTs, the hub's
            raise ChildFailed(f"{exc}; amqtt refuses the MQTT 5 sessions of the hub and the "
                              "edge: install Mosquitto (apt-get install mosquitto)") from exc
        raise
    return demo.base_url


def _devices(demo: DemoRun) -> str:
    demo.scanner, _pty = start_scanner(demo.sup)
    make_camera_video(demo.work / "dock-cam.avi")
    return f"scanner on {_pty}"


def _rfid_and_edge(demo: DemoRun) -> str:
    assert demo.broker is not None and demo.scanner is not None
    _child, ports = start_emulator(demo.sup, DEMO_SCENARIO, speed=1.0, loop=True, epoch="now")
    pty = _scanner_pty(demo.scanner)
    plan = GatewayPlan("WH1", GATEWAY_ID, demo.broker, ports, demo.work / "outbox.sqlite",
                       scanner_port=pty, camera_video=demo.work / "dock-cam.avi")
    start_edge(demo.sup, render_gateway_config(plan, demo.work / "gateway.yaml"))
    return f"readers on {', '.join(str(p) for p in ports.values())}"


def _scanner_pty(child: Child) -> str:
    log = child.log_path.read_text(errors="replace")
    return log.split("SCANNER_PORT=", 1)[1].split()[0]


def _picker(demo: DemoRun) -> str:
    env = python_env({"DEMO_MANAGER_PASSWORD": demo.passwords["manager"],
                      "DEMO_PICKER_PASSWORD": demo.passwords["picker"]})
    demo.sup.start("picker", [PY, "-m", "deploy.picker", "--hub", demo.base_url], env)
    return "receipts, putaway, orders, picks"


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def announce(demo: DemoRun) -> None:
    print(f"\nStockPulse is running.\n  live map:   {demo.base_url}/map\n"
          f"  dashboard:  {demo.base_url}/dashboard\n  API docs:   {demo.base_url}/docs",
          flush=True)
    if demo.settings.environment == "development":
        print(f"  demo login: manager / {demo.passwords['manager']}   "
              f"(picker / {demo.passwords['picker']} for the PDA app: python -m pda_app)",
              flush=True)
    print("Press Ctrl-C to stop.\n", flush=True)


def watch(demo: DemoRun, stop: threading.Event, seconds: float | None) -> int:
    """Feed the scanner, print a status line now and then, and notice a child that died."""
    started = time.monotonic()
    serial, last_status = 9_000_000, 0.0
    while not stop.wait(2.0):
        elapsed = time.monotonic() - started
        dead = demo.sup.dead()
        if dead:
            for child in dead:
                print(f"{child.name} stopped unexpectedly (exit {child.proc.returncode}); "
                      f"see {child.log_path}", file=sys.stderr, flush=True)
            return 1
        if demo.scanner is not None and int(elapsed) % 6 < 2:
            serial += 1
            scan(demo.scanner, "gs1-128", f"(00){sscc(serial)}")
        if elapsed - last_status >= 15:
            last_status = elapsed
            print(f"  [{elapsed:5.0f} s] {status_line(demo.db_url)}", flush=True)
        if seconds is not None and elapsed >= seconds:
            break
    return 0


def status_line(db_url: str) -> str:
    from cloud_hub.db.database import connect

    try:
        with connect(db_url, migrate_schema=False) as conn:
            rows = conn.execute("SELECT source_kind, count(*) FROM moves GROUP BY 1 "
                                "ORDER BY 1").fetchall()
    except Exception as exc:  # a status line must never stop the demo
        return f"ledger unavailable: {exc}"
    counts = ", ".join(f"{kind} {n}" for kind, n in rows) or "none yet"
    return f"moves in the ledger by source: {counts}"


def shutdown(demo: DemoRun) -> None:
    print("\nstopping...", flush=True)
    demo.sup.stop_all(verbose=True)
    if demo.broker is not None:
        demo.broker.stop(demo.sup)
    if demo.db_url:
        print(f"  {status_line(demo.db_url)}", flush=True)
    print("stopped.", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo_system", description=__doc__)
    parser.add_argument("--seconds", type=float, help="stop after this long (default: Ctrl-C)")
    args = parser.parse_args(argv)
    return run_full_demo(HubSettings(), args.seconds)


if __name__ == "__main__":
    sys.exit(main())
