"""The whole chain as child processes: broker, hub(s), LLRP emulator, edge gateway, emulators.

Rule kept here: each start_* returns only once its process is ready (port bound, health
answered, readers listening), so callers never sleep; the demo, the system tests and
bench/e2e.py start the system the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import string
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.local_broker import LocalBroker, free_port, wait_port
from deploy.supervisor import ROOT, Child, ChildFailed, Supervisor, python_env
from protocol.labels import with_check_digit

DEMO_DIR = ROOT / "deploy" / "demo"
GATEWAY_TEMPLATE = DEMO_DIR / "gateway.yaml"
DEMO_SCENARIO = ROOT / "firmware_bridge" / "scenarios" / "demo_site.yaml"
# The emulator's demo site names its own locations; the gateway config maps its portals and
# zones onto the hub's demo site (cloud_hub/demo/site.py). Same mapping, for ground truth:
SCENARIO_TO_HUB = {"WH1-DOCK-1": "DOCK-1", "WH1-DOCK-2": "DOCK-2", "WH1-RECV": "RECEIVING",
                   "WH1-SHIP": "STAGING-OUT", "WH1-A-01": "A01-L-01-1"}
PY = sys.executable


@dataclass
class Broker:
    """Where the MQTT broker listens, and what runs it (our Mosquitto, or amqtt as a child)."""

    host: str
    port: int
    kind: str  # "mosquitto" | "amqtt"
    local: LocalBroker | None = None

    @property
    def shared_subscriptions(self) -> bool:
        return self.kind == "mosquitto"  # amqtt has no $share/ groups

    def stop(self, sup: Supervisor | None = None) -> None:
        if self.local is not None:
            self.local.close()
        elif sup is not None and "broker" in sup.children:
            sup.stop("broker")


def start_broker(sup: Supervisor, port: int | None = None, prefer: str | None = None) -> Broker:
    """Our own Mosquitto (tuning config, private persistence) when installed, else amqtt
    (`prefer="amqtt"`, or STOCKPULSE_DEMO_BROKER=amqtt, chooses it anyway)."""
    port = port or free_port()
    prefer = prefer or os.environ.get("STOCKPULSE_DEMO_BROKER", "mosquitto")
    mosquitto = shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()
    if prefer != "amqtt" and mosquitto:
        local = LocalBroker(port=port, workdir=sup.log_dir / "mosquitto")
        local.workdir.mkdir(parents=True, exist_ok=True)
        return Broker("127.0.0.1", port, "mosquitto", local.start())
    child = sup.start("broker", [PY, "-m", "deploy.embedded_broker", "--port", str(port)],
                      python_env())
    child.wait_line(lambda line: line.startswith("LISTENING"), 30)
    return Broker("127.0.0.1", port, "amqtt")


def hub_env(db_url: str, broker: Broker, port: int, **extra: str) -> dict[str, str]:
    """HUB_* for one hub replica; every replica of a system shares one subscription group."""
    values = {"HUB_DATABASE_URL": db_url, "HUB_PORT": str(port),
              "HUB_MQTT_HOST": broker.host, "HUB_MQTT_PORT": str(broker.port),
              "HUB_MQTT_CLIENT_ID": f"hub-{uuid.uuid4().hex[:10]}",
              "HUB_MQTT_SHARED_GROUP": "hub" if broker.shared_subscriptions else ""}
    values.update(extra)
    return python_env(values, drop_prefixes=("HUB_",))


def start_hub(sup: Supervisor, name: str, env: Mapping[str, str], timeout: float = 90.0
              ) -> Child:
    child = sup.start(name, [PY, "-m", "cloud_hub", "serve", "--log-level", "warning"], env)
    wait_hub(child, f"http://127.0.0.1:{env['HUB_PORT']}", timeout,
             mqtt=env.get("HUB_MQTT_ENABLED", "true") != "false")
    return child


def wait_hub(child: Child, base_url: str, timeout: float, mqtt: bool = True) -> None:
    """Until /healthz answers with the broker connected (the hub has no event to await)."""
    deadline = time.monotonic() + timeout
    while True:
        if not child.running:
            raise ChildFailed(f"{child.name} exited with {child.proc.returncode}")
        try:
            health = httpx.get(f"{base_url}/healthz", timeout=2).json()
            if not mqtt or health.get("mqtt") == "connected":
                return
        except (httpx.HTTPError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise ChildFailed(f"{child.name} not healthy at {base_url} within {timeout:.0f} s")
        time.sleep(0.1)


def start_emulator(sup: Supervisor, scenario: Path, *, speed: float | None = 1.0,
                   loop: bool = False, epoch: str = "scenario", truth_out: Path | None = None,
                   name: str = "llrp-emulator", extra: tuple[str, ...] = ()
                   ) -> tuple[Child, dict[str, int]]:
    """The LLRP emulator on free ports; returns the port of each reader it serves."""
    argv = [PY, "-m", "firmware_bridge.llrp_emulator", "--scenario", str(scenario),
            "--port", "0", "--epoch", epoch, "-v", *extra]
    argv += ["--fast"] if speed is None else ["--speed", str(speed)]
    if loop:
        argv.append("--loop")
    if truth_out is not None:
        argv += ["--truth-out", str(truth_out)]
    from firmware_bridge.scenario import load_scenario

    readers = [r.id for r in load_scenario(scenario).site.readers]
    child = sup.start(name, argv, python_env())
    ports: dict[str, int] = {}
    while len(ports) < len(readers):
        line = child.wait_line(lambda text: text.startswith("{"), 30)
        served = json.loads(line)
        ports[served["reader"]] = int(served["port"])
    return child, ports


@dataclass(frozen=True)
class GatewayPlan:
    """What the demo gateway YAML needs filled in."""

    warehouse: str
    gateway_id: str
    broker: Broker
    reader_ports: Mapping[str, int]
    outbox: Path
    scanner_port: str | None = None
    camera_video: Path | None = None
    heartbeat_s: float = 5.0


def render_gateway_config(plan: GatewayPlan, path: Path) -> Path:
    """deploy/demo/gateway.yaml with ports and paths filled in; devices not given are left out."""
    text = string.Template(GATEWAY_TEMPLATE.read_text()).substitute(
        warehouse=plan.warehouse, gateway_id=plan.gateway_id, mqtt_host=plan.broker.host,
        mqtt_port=plan.broker.port, outbox=plan.outbox, heartbeat_s=plan.heartbeat_s,
        port_gate_dock_1=plan.reader_ports["gate-dock-1"],
        port_gate_dock_2=plan.reader_ports["gate-dock-2"],
        port_zone_recv=plan.reader_ports["zone-recv"],
        scanner_port=plan.scanner_port or "", camera_video=plan.camera_video or "")
    sections = _split_sections(text)
    if plan.scanner_port is None:
        sections.pop("scanners", None)
    if plan.camera_video is None:
        sections.pop("cameras", None)
    path.write_text("".join(sections.values()))
    return path


def _split_sections(text: str) -> dict[str, str]:
    """Top-level YAML sections by key, in order (the template keeps one key per section)."""
    sections: dict[str, str] = {}
    key = "_head"
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha() and ":" in line:
            key = line.split(":", 1)[0]
        sections[key] = sections.get(key, "") + line
    return sections


def start_edge(sup: Supervisor, config: Path, name: str = "edge") -> Child:
    """`python -m edge --config X`; ready when its log says it runs (sources started)."""
    child = sup.start(name, [PY, "-m", "edge", "--config", str(config)], python_env())
    wait_log(child, "running:", 60)
    return child


def wait_log(child: Child, text: str, timeout: float) -> None:
    """Until `text` appears in the child's log (stderr): its own start-up message."""
    deadline = time.monotonic() + timeout
    while text not in child.log_path.read_text(errors="replace"):
        if not child.running:
            raise ChildFailed(f"{child.name} exited with {child.proc.returncode}")
        if time.monotonic() > deadline:
            raise ChildFailed(f"{child.name}: no '{text}' in its log within {timeout:.0f} s")
        time.sleep(0.1)  # a log file has nothing to await


def start_scanner(sup: Supervisor, name: str = "scanner") -> tuple[Child, str]:
    """The serial scanner emulator on a pty, fed scan lines on its stdin; returns the pty."""
    child = sup.start(name, [PY, "-m", "firmware_bridge.scanner_emulator", "--stdin",
                             "--start-delay", "0"], python_env(), stdin=True)
    line = child.wait_line(lambda text: text.startswith("SCANNER_PORT="), 30)
    return child, line.split("=", 1)[1]


def scan(child: Child, symbology: str, text: str) -> None:
    """Make the emulated scanner send one scan (`gs1-128 (00)...`)."""
    assert child.proc.stdin is not None
    child.proc.stdin.write(f"{symbology} {text}\n".encode())
    child.proc.stdin.flush()


def make_camera_video(path: Path, frames: int = 90) -> Path:
    """Render the dock-door camera scene (three labelled cartons) to a video file."""
    from firmware_bridge.camera.demo import dock_door_scene
    from firmware_bridge.camera.source import CameraSource

    CameraSource(dock_door_scene(frames)).write_video(path)
    return path


def sscc(serial: int, company_prefix: str = "0614141") -> str:
    """An 18-digit SSCC (extension 1) with its GS1 mod-10 check digit."""
    return with_check_digit(f"1{company_prefix}{serial:0{16 - len(company_prefix)}d}")


def wait_port_open(port: int, timeout: float = 10.0) -> None:
    wait_port(port, timeout)
