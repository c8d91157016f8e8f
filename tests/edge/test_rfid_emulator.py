"""sllurp ↔ the LLRP emulator over TCP ↔ RfidSource → StockMoved events (the MQTT leg is 5b's)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from edge.portal.config import PortalAntenna, PortalConfig, PortalsConfig
from edge.rfid.config import ReaderConfig
from edge.rfid.source import RfidSource
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.scenario import Simulation, parse_scenario, simulate
from protocol import Reason, SourceKind, StockMoved

pytestmark = pytest.mark.integration
WAIT = 30.0
PALLET_IN = "3114F4E4E400000001000000"
PALLET_OUT = "3114F4E4E400000002000000"
PARKED = "3114F4E4E400000050000000"


def scenario() -> dict[str, Any]:
    passes = [
        {"type": "pass", "epc": PALLET_IN, "portal": "DOCK-1", "direction": "inbound",
         "at": 3.0, "speed": 1.2},
        {"type": "pass", "epc": PALLET_OUT, "portal": "DOCK-2", "direction": "outbound",
         "at": 5.0, "speed": 1.5},
        {"type": "park", "epc": PARKED, "portal": "DOCK-2", "side": "inner", "from": 0,
         "until": 9, "distance": 2.0},
    ]
    gate = [{"reader": "gate-1", "antenna": 1, "side": "outer"},
            {"reader": "gate-1", "antenna": 2, "side": "inner"}]
    gate2 = [{"reader": "gate-2", "antenna": 1, "side": "outer"},
             {"reader": "gate-2", "antenna": 2, "side": "inner"}]
    return {
        "name": "edge-test", "warehouse": "WH-E", "seed": 7,
        "start_time": "2024-05-06T08:00:00Z",
        "readers": [{"id": "gate-1", "antennas": [1, 2]}, {"id": "gate-2", "antennas": [1, 2]}],
        "portals": [
            {"id": "DOCK-1", "door": "WH-E-DOCK-1", "inner": "WH-E-RECV", "outer": None,
             "x": 0, "antennas": gate},
            {"id": "DOCK-2", "door": "WH-E-DOCK-2", "inner": "WH-E-SHIP", "outer": "WH-E-YARD",
             "x": 10, "antennas": gate2},
        ],
        "events": passes,
    }


def portals_of(sim: Simulation) -> PortalsConfig:
    return PortalsConfig(
        portals=tuple(PortalConfig(p.id, p.door_location, p.inner_location, p.outer_location)
                      for p in sim.site.portals),
        antennas=tuple(PortalAntenna(a.reader_id, a.antenna_id, p.id, a.side)
                       for p in sim.site.portals for a in p.antennas),
    )


class Sink:
    def __init__(self) -> None:
        self.events: list[StockMoved] = []
        self._cond = threading.Condition()

    def __call__(self, event: StockMoved) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = WAIT) -> list[StockMoved]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, timeout), self.events
            return list(self.events)


@pytest.fixture
def emulator() -> Iterator[tuple[Simulation, dict[str, int], EmulatorThread]]:
    sim = simulate(parse_scenario(scenario()), seed=1)
    thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=4.0)))
    ports = thread.start()
    yield sim, ports, thread
    thread.stop()


def test_passes_through_real_llrp_become_moves_with_direction_and_locations(emulator) -> None:
    sim, ports, thread = emulator
    sink = Sink()
    readers = tuple(ReaderConfig(r, "127.0.0.1", port, (1, 2)) for r, port in ports.items())
    source = RfidSource(readers, portals_of(sim), sink, "WH-E", "gw-test", uuid.uuid4)
    started = datetime.now(UTC)
    source.start()
    try:
        events = sink.wait_for(2)
        thread.playback_done.result(WAIT)
        health = source.health()
    finally:
        source.stop()
    moves = sorted((e.unit.epc, e.source.read_point, e.from_location, e.to_location)
                    for e in sink.events if e.unit is not None)
    assert moves == [
        (PALLET_IN, "DOCK-1", None, "WH-E-RECV"),
        (PALLET_OUT, "DOCK-2", "WH-E-SHIP", "WH-E-YARD"),
    ]
    for event in events:
        assert event.reason is Reason.PORTAL_PASS and event.source.kind is SourceKind.RFID
        assert event.unit is not None and event.unit.sscc is not None  # SSCC-96 pallets
        assert event.confidence is not None and event.confidence > 0.5
        # the readers' clocks say 2024 (the scenario's epoch): moves are stamped by ours
        assert started <= event.occurred_at <= datetime.now(UTC)
    assert all(r["connected"] and r["reads"] > 10 for r in health["readers"].values())  # type: ignore[index]
    assert {r["clock"]["state"] for r in health["readers"].values()} == {"offset"}  # type: ignore[index]
    # both readers run on the emulator's one (fast) clock, known from their connection
    # events: they keep one timeline, so cross-reads between doors can be compared
    offsets = [r["clock"]["offset_s"] for r in health["readers"].values()]  # type: ignore[index]
    assert max(offsets) - min(offsets) < 0.5
    assert health["malformed_reads"] == 0


def test_reader_down_at_start_is_retried_with_backoff_until_it_answers() -> None:
    with socket.socket() as probe:  # a port nobody listens on (yet)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sim = simulate(parse_scenario(scenario()), seed=1)
    sink = Sink()
    reader = ReaderConfig("gate-1", "127.0.0.1", port, (1, 2), reconnect_min_s=0.05,
                          reconnect_max_s=0.2)
    source = RfidSource((reader,), portals_of(sim), sink, "WH-E", "gw-test", uuid.uuid4)
    source.start()
    thread = None
    try:
        llrp = source.readers[0]
        assert not llrp.wait_connected(0.5)
        assert llrp.health().failures >= 2
        thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=4.0),
                                                     readers=["gate-1"]), port=port)
        thread.start()
        assert llrp.wait_connected(WAIT)
        events = sink.wait_for(1)
        assert events[0].to_location == "WH-E-RECV"
        failures = llrp.health().failures
        thread.stop()  # the reader goes away: we notice and keep trying
        thread = None
        assert llrp.wait_disconnected(WAIT)
        assert llrp.health().failures > failures
        assert llrp.health().last_error == "connection lost"
    finally:
        source.stop()
        if thread is not None:
            thread.stop()
