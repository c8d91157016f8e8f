"""The gateway with an `rfid:` section: LLRP emulator ↔ sllurp ↔ Gateway ↔ outbox ↔ Mosquitto,
and the demo config's `rfid:` section against the emulator's demo site."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from gateway_helpers import Collector

from edge.config import load_config, load_config_text
from edge.gateway import Gateway
from edge.outbox import OutboxFull
from edge.rfid import RfidConfig, build_rfid_sources
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.scenario import Simulation, load_scenario, parse_scenario, simulate
from protocol import Reason, SourceKind, StockMoved

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0
IN_1 = "3114F4E4E400000001000000"
OUT_2 = "3114F4E4E400000002000000"
IN_3 = "3114F4E4E400000003000000"


def _scenario() -> Simulation:
    gate = [{"reader": "gate-1", "antenna": 1, "side": "outer"},
            {"reader": "gate-1", "antenna": 2, "side": "inner"}]
    gate2 = [{"reader": "gate-2", "antenna": 1, "side": "outer"},
             {"reader": "gate-2", "antenna": 2, "side": "inner"}]
    return simulate(parse_scenario({
        "name": "gw-rfid", "warehouse": "WH-G", "seed": 3, "start_time": "2024-05-06T08:00:00Z",
        "readers": [{"id": "gate-1", "antennas": [1, 2]}, {"id": "gate-2", "antennas": [1, 2]}],
        "portals": [
            {"id": "DOCK-1", "door": "D1", "inner": "RECV", "outer": None, "x": 0,
             "antennas": gate},
            {"id": "DOCK-2", "door": "D2", "inner": "SHIP", "outer": "YARD", "x": 12,
             "antennas": gate2},
        ],
        "events": [
            {"type": "pass", "epc": IN_1, "portal": "DOCK-1", "direction": "inbound", "at": 3.0},
            {"type": "pass", "epc": OUT_2, "portal": "DOCK-2", "direction": "outbound",
             "at": 4.0, "speed": 1.5},
            {"type": "pass", "epc": IN_3, "portal": "DOCK-1", "direction": "inbound", "at": 9.0},
        ],
    }), seed=1)


@pytest.fixture
def emulator() -> Iterator[tuple[Simulation, dict[str, int], EmulatorThread]]:
    sim = _scenario()
    thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=4.0)))
    ports = thread.start()
    yield sim, ports, thread
    thread.stop()


def _rfid_yaml(ports: dict[str, int]) -> str:
    return (
        "rfid:\n  readers:\n"
        f"    - {{id: gate-1, host: 127.0.0.1, port: {ports['gate-1']}, reconnect_min_s: 0.1,\n"
        "       antennas: [{antenna: 1, portal: DOCK-1, side: outer},\n"
        "                  {antenna: 2, portal: DOCK-1, side: inner}]}\n"
        f"    - {{id: gate-2, host: 127.0.0.1, port: {ports['gate-2']}, reconnect_min_s: 0.1,\n"
        "       antennas: [{antenna: 1, portal: DOCK-2, side: outer},\n"
        "                  {antenna: 2, portal: DOCK-2, side: inner}]}\n"
        "  portals:\n"
        "    - {id: DOCK-1, door: D1, inside: RECV}\n"
        "    - {id: DOCK-2, door: D2, inside: SHIP, outside: YARD}\n")


def test_gateway_with_rfid_section_publishes_portal_moves(
        emulator: tuple[Simulation, dict[str, int], EmulatorThread], tmp_path: Path,
        mqtt_broker: tuple[str, int]) -> None:
    _sim, ports, thread = emulator
    host, port = mqtt_broker
    wh = f"WH{uuid.uuid4().hex[:8]}"
    settings = load_config_text(
        f"warehouse: {wh}\ngateway_id: gw-rfid\nheartbeat_s: 0.3\n"
        f"mqtt: {{host: {host}, port: {port}, wait_for_hub: false}}\n"  # no hub here
        f"outbox: {{path: {tmp_path / 'outbox.sqlite'}, synchronous: normal}}\n"
        + _rfid_yaml(ports))
    sub = Collector(host, port, f"stockpulse/v1/{wh}/#")
    gateway = Gateway(settings)
    assert [s.id for s in gateway.sources] == ["rfid"]
    gateway.start()
    try:
        assert sub.wait_for(lambda s: len(s.events) >= 3, timeout=WAIT), sub.events
        thread.playback_done.result(WAIT)
        assert sub.wait_for(lambda s: any(p.get("reader_health") == {"rfid": "ok"}
                                          for p in s.payloads("/heartbeat")), timeout=WAIT)
    finally:
        gateway.stop()
        sub.close()
    moves = sorted((e.unit.epc, e.source.read_point, e.source.device_id, e.from_location,
                    e.to_location) for e in sub.events if e.unit is not None)
    assert moves == [
        (IN_1, "DOCK-1", "gate-1", None, "RECV"),
        (OUT_2, "DOCK-2", "gate-2", "SHIP", "YARD"),
        (IN_3, "DOCK-1", "gate-1", None, "RECV"),
    ]
    assert all(e.reason is Reason.PORTAL_PASS and e.source.kind is SourceKind.RFID
               for e in sub.events)
    beat = sub.payloads("/heartbeat")[-1]
    assert beat["sources"]["rfid"]["reads"] > 20  # type: ignore[index]


def test_a_refused_event_is_counted_and_the_source_keeps_running(
        emulator: tuple[Simulation, dict[str, int], EmulatorThread]) -> None:
    _sim, ports, thread = emulator
    settings = load_config_text("warehouse: WH-G\ngateway_id: gw\n" + _rfid_yaml(ports))
    assert isinstance(settings.rfid, RfidConfig)
    stored: list[StockMoved] = []
    refused: list[StockMoved] = []
    arrived = threading.Condition()

    def emit(events: Sequence[StockMoved]) -> None:
        with arrived:
            if not refused:  # the first move finds the outbox full
                refused.extend(events)
                raise OutboxFull("outbox full (test)")
            stored.extend(events)
            arrived.notify_all()

    (source,) = build_rfid_sources(settings.rfid, "WH-G", emit)
    source.start()
    try:
        with arrived:
            assert arrived.wait_for(lambda: len(stored) >= 2, WAIT), stored
        thread.playback_done.result(WAIT)
        stats = source.stats()
    finally:
        source.stop()
    assert stats["refused"] == 1 and stats["moves_emitted"] == 2
    assert stats["connected"] is True and stats["reads"] > 20  # type: ignore[operator]
    epcs = sorted(e.unit.epc for e in stored + refused if e.unit)
    assert epcs == sorted([IN_1, OUT_2, IN_3])  # the refused one was not retried or duplicated


def test_demo_config_rfid_section_matches_the_emulator_demo_site() -> None:
    settings = load_config(ROOT / "edge" / "examples" / "demo_site.yaml")
    rfid = settings.rfid
    assert isinstance(rfid, RfidConfig)
    site = load_scenario(ROOT / "firmware_bridge" / "scenarios" / "demo_site.yaml").site
    assert settings.warehouse == site.warehouse
    # the emulator serves the site's readers in file order on --port 5084, 5085, ...
    assert [(r.reader_id, r.host, r.port) for r in rfid.readers] == [
        (r.id, "127.0.0.1", 5084 + i) for i, r in enumerate(site.readers)]
    assert {r.reader_id: r.antennas for r in rfid.readers} == {
        r.id: r.antenna_ids for r in site.readers}
    assert {(p.portal_id, p.door, p.inside, p.outside) for p in rfid.portals.portals} == {
        (p.id, p.door_location, p.inner_location, p.outer_location) for p in site.portals}
    assert {(a.reader_id, a.antenna_id, a.portal_id, a.side) for a in rfid.portals.antennas} == {
        (a.reader_id, a.antenna_id, p.id, a.side) for p in site.portals for a in p.antennas}
    assert {(z.zone_id, z.location) for z in rfid.zones.zones} == {
        (z.id, z.location) for z in site.zones}
    assert {(a.reader_id, a.antenna_id, a.zone_id) for a in rfid.zones.antennas} == {
        (a.reader_id, a.antenna_id, z.id) for z in site.zones for a in z.antennas}
