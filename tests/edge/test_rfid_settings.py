"""Reader settings: transmit power, Gen2 session, tag population and transit time per reader
and per antenna, and the RF mode — validated by key, and seen by the reader over LLRP (the
emulator records the ROSpec it was sent and reads weaker at a lowered power)."""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import pytest
from sllurp.llrp_proto import LLRPROSpec

from edge.rfid.config import AntennaRf, ReaderConfig, RfidConfigError, parse_rfid_config
from edge.rfid.llrp import Handover, LlrpReader
from edge.rfid.rf import power_problems, sllurp_settings, tune_rospec
from firmware_bridge import llrp as L
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.llrp_emulator.reader import POWER_DBM
from firmware_bridge.scenario import parse_scenario, simulate

WAIT = 20.0
SECTION: dict[str, Any] = {
    "readers": [{
        "id": "gate-1", "host": "127.0.0.1", "port": 5084,
        "tx_power_dbm": 27.5, "session": 2, "tag_population": 64, "mode_identifier": 1000,
        "antennas": [
            {"antenna": 1, "portal": "DOCK-1", "side": "outer", "tx_power_dbm": 20,
             "session": 0},
            {"antenna": 2, "portal": "DOCK-1", "side": "inner", "tag_transit_time_ms": 500},
        ]}],
    "portals": [{"id": "DOCK-1", "door": "D1", "inside": "RECV"}],
}


def test_reader_settings_are_defaults_for_its_antennas_which_may_override_them() -> None:
    (reader,) = parse_rfid_config(SECTION).readers
    assert reader.rf == (
        AntennaRf(1, tx_power_dbm=20.0, session=0, tag_population=64, tag_transit_time_ms=2000),
        AntennaRf(2, tx_power_dbm=27.5, session=2, tag_population=64, tag_transit_time_ms=500))
    assert reader.mode_identifier == 1000
    bare = ReaderConfig("r", "h", antennas=(1, 3))
    assert bare.rf_for(3) == AntennaRf(3, None, 1, 32, 2000)  # the dock-door defaults


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(SECTION)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return doc


@pytest.mark.parametrize(("path", "value", "key", "words"), [
    (["readers", 0, "session"], 4, "rfid.readers[0].session", "whole number from 0 to 3"),
    (["readers", 0, "session"], 1.5, "rfid.readers[0].session", "whole number"),
    (["readers", 0, "tx_power_dbm"], "max", "rfid.readers[0].tx_power_dbm", "number from 0"),
    (["readers", 0, "antennas", 1, "tx_power_dbm"], 40, "rfid.readers[0].antennas[1].tx_power_dbm",
     "from 0 to 36"),
    (["readers", 0, "tag_population"], 0, "rfid.readers[0].tag_population", "from 1 to 65535"),
    (["readers", 0, "antennas", 0, "tag_transit_time_ms"], True,
     "rfid.readers[0].antennas[0].tag_transit_time_ms", "got True"),
    (["readers", 0, "mode_identifier"], -1, "rfid.readers[0].mode_identifier", "RF mode table"),
    (["readers", 0, "search_mode"], "dual", "rfid.readers[0].search_mode", "unknown key"),
    (["readers", 0, "antennas", 0, "dwell_ms"], 200, "rfid.readers[0].antennas[0].dwell_ms",
     "unknown key"),
])
def test_a_bad_setting_is_refused_naming_its_key(path: list[Any], value: Any, key: str,
                                                 words: str) -> None:
    with pytest.raises(RfidConfigError, match=words) as caught:
        parse_rfid_config(_with(path, value))
    assert caught.value.key == key


def test_sllurp_is_given_powers_in_dbm_and_the_readers_top_for_the_rest() -> None:
    reader = ReaderConfig("r", "h", antennas=(1, 2), rf=(AntennaRf(1, tx_power_dbm=20.0),))
    assert sllurp_settings(reader) == {"session": 1, "tag_population": 32,
                                       "tx_power_dbm": {1: 20.0, 2: math.inf}}
    assert sllurp_settings(ReaderConfig("r", "h", antennas=(1, 2))) == {
        "session": 1, "tag_population": 32, "tx_power": {1: 0, 2: 0}}


def test_a_power_below_the_readers_table_is_refused_not_rounded_to_full_power() -> None:
    reader = ReaderConfig("r", "h", antennas=(1, 2), rf=(AntennaRf(1, tx_power_dbm=5.0),))
    assert power_problems(reader, [10.0, 10.5, 30.0]) == [
        "antenna 1: tx_power_dbm 5 is below the reader's lowest power 10 dBm"]
    assert power_problems(reader, [4.0, 30.0]) == []


def test_each_antenna_gets_its_own_singulation_control_in_sllurps_rospec() -> None:
    (reader,) = parse_rfid_config(SECTION).readers
    rospec = LLRPROSpec(None, 1, antennas=[1, 2], session=2, tag_population=64)
    tune_rospec(rospec, reader)
    configs = rospec["AISpec"][0]["InventoryParameterSpec"][0]["AntennaConfiguration"]
    assert [c["C1G2InventoryCommand"][0]["C1G2SingulationControl"] for c in configs] == [
        {"Session": 0, "TagPopulation": 64, "TagTransitTime": 2000},
        {"Session": 2, "TagPopulation": 64, "TagTransitTime": 500}]


def _site() -> dict[str, Any]:
    gate = [{"reader": "gate-1", "antenna": 1, "side": "outer"},
            {"reader": "gate-1", "antenna": 2, "side": "inner"}]
    return {
        "name": "rf", "warehouse": "WH-R", "seed": 2, "start_time": "2024-05-06T08:00:00Z",
        "readers": [{"id": "gate-1", "antennas": [1, 2]}],
        "portals": [{"id": "DOCK-1", "door": "D1", "inner": "RECV", "outer": None, "x": 0,
                     "antennas": gate}],
        "events": [{"type": "pass", "epc": "3114F4E4E400000001000000", "portal": "DOCK-1",
                    "direction": "inbound", "at": 0.5, "speed": 1.5}],
    }


class Connected:
    """An LlrpReader with `config` against an emulated gate-1 (fast playback)."""

    def __init__(self, config: dict[str, Any]) -> None:
        import queue

        self.sim = simulate(parse_scenario(_site()), 2)
        self.thread = EmulatorThread(lambda: LlrpEmulator(self.sim, PlaybackSettings(None)))
        port = self.thread.start()["gate-1"]
        doc = copy.deepcopy(config)
        doc["readers"][0]["port"] = port
        (self.config,) = parse_rfid_config(doc).readers
        self.out: queue.SimpleQueue[Handover] = queue.SimpleQueue()
        self.reader = LlrpReader(self.config, self.out)
        self.reader.start()

    def server_rospecs(self) -> list[L.ROSpec]:
        assert self.thread.emulator is not None
        return self.thread.emulator.servers["gate-1"].rospecs

    def close(self) -> None:
        self.reader.stop()
        self.thread.stop()


@pytest.mark.integration
def test_the_settings_reach_the_reader_over_llrp_and_it_reads_weaker_at_lower_power() -> None:
    run = Connected(SECTION)
    try:
        assert run.reader.wait_connected(WAIT), run.reader.health()
        run.thread.playback_done.result(WAIT)
        (spec,) = run.server_rospecs()
        assert run.thread.emulator is not None
        sent = run.thread.emulator.reports_sent  # playback is over: this is every report
        assert sent > 0
        tags: list[dict[str, Any]] = []
        deadline = time.monotonic() + WAIT
        while len(tags) < sent and time.monotonic() < deadline:  # reports still in flight
            tags += run.out.get(timeout=WAIT)[1]
    finally:
        run.close()
    (ai,) = spec.ai_specs
    configs = ai.antenna_configs()
    power = {a: POWER_DBM[c.transmitter.transmit_power] for a, c in configs.items()
             if c.transmitter is not None}
    assert power == {1: 20.0, 2: 27.5}  # the table entries at or below what was asked
    assert {a: c.inventory.singulation for a, c in configs.items()  # type: ignore[union-attr]
            if c.inventory is not None} == {
        1: L.C1G2SingulationControl(0, 64, 2000), 2: L.C1G2SingulationControl(2, 64, 500)}
    assert {c.inventory.rf_control.mode_index for c in configs.values()  # type: ignore[union-attr]
            if c.inventory is not None} == {1000}
    sent = {(r.antenna_id, r.time_us): r.rssi_dbm for r in run.sim.reads}
    epoch = 1_714_982_400_000_000
    weaker = {a: {round(sent[(t["AntennaID"], t["FirstSeenTimestampUTC"] - epoch)] - t["PeakRSSI"])
                  for t in tags if t["AntennaID"] == a} for a in (1, 2)}
    assert weaker == {1: {10}, 2: {2, 3}}  # 30 dBm less 20 and 27.5 (RSSI is whole dBm)


@pytest.mark.integration
@pytest.mark.parametrize(("setting", "words"), [
    ({"tx_power_dbm": 5}, "tx_power_dbm 5 is below the reader's lowest power 10 dBm"),
    ({"mode_identifier": 9}, "Invalid mode_identifier; valid mode_identifiers are [1000]"),
])
def test_a_setting_the_reader_cannot_do_is_named_in_its_health(setting: dict[str, Any],
                                                               words: str) -> None:
    config = copy.deepcopy(SECTION)
    config["readers"][0].update(setting)
    for antenna in config["readers"][0]["antennas"]:
        antenna.pop("tx_power_dbm", None)
    run = Connected(config)
    try:
        deadline = time.monotonic() + WAIT
        while run.reader.health().failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # the refusal has no event of its own to await
        health = run.reader.health()
    finally:
        run.close()
    assert not health.connected and health.last_error is not None
    assert health.last_error.startswith("the reader cannot do the configured settings: ")
    assert words in health.last_error
