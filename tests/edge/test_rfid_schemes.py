"""EPC schemes over the real LLRP path: SGTIN-198 (sent as EPCData, LLRP 1.0.1 §16.2.7.3.1),
GRAI-96, GIAI-96 and an SSCC-96 with a 6-digit company prefix pass a door and are moved; the
door's SGLN location tag, read the whole time, moves nothing and names the door it is at."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from typing import Any

import pytest

from edge.epc import decode_epc
from edge.portal.config import PortalAntenna, PortalConfig, PortalsConfig
from edge.rfid.config import ReadChecks, ReaderConfig
from edge.rfid.source import RfidSource
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.scenario import parse_scenario, simulate, sscc96_hex
from protocol import StockMoved

pytestmark = pytest.mark.integration
WAIT = 30.0
# TDS 2.x Appendix E.3 examples, as a reader reports them (whole 16-bit words)
SGTIN_198 = "3674257BF6B7A659B2C2BF100000000000000000000000000000"
GRAI_96 = "3374257BF40C0E400000162E"
GIAI_96 = "3474257BF40000000000162E"
SSCC_96 = sscc96_hex("061414", "98765432101", filter_value=2)  # 6-digit prefix, 11-digit ref
LOCATION = "3274257BF46072000000162E"  # urn:epc:id:sgln:0614141.12345.5678
PLACEHOLDERS = [f"3114F4E4E40000000{n}000000" for n in range(1, 6)]


def _site() -> dict[str, Any]:
    gate = [{"reader": "gate-1", "antenna": 1, "side": "outer"},
            {"reader": "gate-1", "antenna": 2, "side": "inner"}]
    passes = [{"type": "pass", "epc": epc, "portal": "DOCK-1", "direction": "inbound",
               "at": 1.0 + 1.5 * i, "speed": 1.5} for i, epc in enumerate(PLACEHOLDERS[:4])]
    marker = {"type": "park", "epc": PLACEHOLDERS[4], "portal": "DOCK-1", "side": "inner",
              "from": 0, "until": 9, "distance": 0.5}  # on the door frame, inside
    return {"name": "schemes", "warehouse": "WH-S", "seed": 6,
            "start_time": "2024-05-06T08:00:00Z",
            "readers": [{"id": "gate-1", "antennas": [1, 2]}],
            "portals": [{"id": "DOCK-1", "door": "D1", "inner": "RECV", "outer": None, "x": 0,
                         "antennas": gate}],
            "events": [*passes, marker]}


def test_every_scheme_moves_and_the_location_tag_names_the_door() -> None:
    real = dict(zip(PLACEHOLDERS, [SGTIN_198, GRAI_96, GIAI_96, SSCC_96, LOCATION], strict=True))
    sim = simulate(parse_scenario(_site()), 6)
    sim = dataclasses.replace(sim, reads=[dataclasses.replace(r, epc_hex=real[r.epc_hex])
                                          for r in sim.reads])
    thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=4.0)))
    port = thread.start()["gate-1"]
    events: list[StockMoved] = []
    arrived = threading.Condition()

    def sink(event: StockMoved) -> None:
        with arrived:
            events.append(event)
            arrived.notify_all()

    portals = PortalsConfig((PortalConfig("DOCK-1", "D1", "RECV", None),),
                            (PortalAntenna("gate-1", 1, "DOCK-1", "outer"),
                             PortalAntenna("gate-1", 2, "DOCK-1", "inner")))
    uri = decode_epc(LOCATION).uri
    source = RfidSource((ReaderConfig("gate-1", "127.0.0.1", port, (1, 2)),), portals, sink,
                        "WH-S", "gw-s", uuid.uuid4,
                        checks=ReadChecks(location_tags=((uri, "DOCK-1"),)))
    source.start()
    try:
        with arrived:
            assert arrived.wait_for(lambda: len(events) >= 4, WAIT), events
        thread.playback_done.result(WAIT)
        health = source.health()
    finally:
        source.stop()
        thread.stop()
    units = sorted((e.unit.epc, e.unit.sscc, e.to_location) for e in events if e.unit)
    assert units == sorted([(SGTIN_198, None, "RECV"), (GRAI_96, None, "RECV"),
                            (GIAI_96, None, "RECV"),
                            (SSCC_96, decode_epc(SSCC_96).sscc, "RECV")])
    reader = health["readers"]["gate-1"]  # type: ignore[index]
    assert reader["location_tag_reads"] > 0 and reader["unknown_epc_reads"] == 0
    assert reader["antennas"]["2"]["sees"] == "DOCK-1" == reader["antennas"]["2"]["door"]
