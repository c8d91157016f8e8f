"""sllurp's real LLRPReaderClient against the emulator over TCP: handshake, scripted reports,
clean disconnect, reconnect after a restart, hostile frames, the CLI with --truth-out."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig

from firmware_bridge import llrp as L
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.scenario import Simulation, parse_scenario, simulate

pytestmark = pytest.mark.integration
EPOCH_US = 1_714_982_400_000_000  # 2024-05-06T08:00:00Z
WAIT = 20.0


def _site(passes: list[dict[str, Any]], stray: bool = False) -> dict[str, Any]:
    events = [{"type": "pass", **p} for p in passes]
    if stray:
        events.append({"type": "stray", "epc": "3034F4E4E40C0E4000000777", "reader": "gate-1",
                       "antenna": 2, "from": 0, "until": 4, "rate": 2.0})
    return {
        "name": "test", "warehouse": "WH-T", "seed": 1, "start_time": "2024-05-06T08:00:00Z",
        "read_model": {"rounds_per_s": 4},
        "readers": [{"id": "gate-1", "antennas": [1, 2]}],
        "portals": [{"id": "DOCK-1", "door": "WH-T-DOCK-1", "inner": "WH-T-RECV", "outer": None,
                     "x": 0, "antennas": [{"reader": "gate-1", "antenna": 1, "side": "outer"},
                                          {"reader": "gate-1", "antenna": 2, "side": "inner"}]}],
        "events": events,
    }


PASSES = [
    {"epc": "3114F4E4E400000001000000", "portal": "DOCK-1", "direction": "inbound", "at": 2.0,
     "speed": 2.0},
    {"epc": "3114F4E4E400000002000000", "portal": "DOCK-1", "direction": "outbound", "at": 3.0,
     "speed": 2.5},
]


class Collector:
    """Gathers sllurp tag dicts handed over from sllurp's thread."""

    def __init__(self) -> None:
        self.tags: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self.disconnected = threading.Event()

    def on_tags(self, _reader: Any, tags: list[dict[str, Any]]) -> None:
        with self._cond:
            self.tags.extend(tags)
            self._cond.notify_all()

    def on_disconnect(self, _reader: Any) -> None:
        self.disconnected.set()

    def wait_for(self, count: int, timeout: float = WAIT) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.tags) >= count, timeout), (
                f"got {len(self.tags)} of {count} tag reports")
            return list(self.tags)


def _client(port: int, collector: Collector) -> LLRPReaderClient:
    config = LLRPReaderConfig({
        "antennas": [1, 2],
        "tag_content_selector": {"EnableAntennaID": True, "EnablePeakRSSI": True,
                                 "EnableFirstSeenTimestamp": True,
                                 "EnableLastSeenTimestamp": True, "EnableTagSeenCount": True},
    })
    client = LLRPReaderClient("127.0.0.1", port, config)
    client.add_tag_report_callback(collector.on_tags)
    client.add_disconnected_callback(collector.on_disconnect)
    return client


@pytest.fixture
def llrp_emulator() -> Iterator[Callable[..., tuple[EmulatorThread, int]]]:
    """Starts emulators in threads (fast playback by default); stops them all afterwards."""
    started: list[EmulatorThread] = []

    def start(sim: Simulation, port: int = 0, speed: float | None = None,
              loop: bool = False) -> tuple[EmulatorThread, int]:
        thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed, loop)),
                                port=port)
        started.append(thread)
        ports = thread.start()
        return thread, ports["gate-1"]

    yield start
    for thread in started:
        thread.stop()


def _expected(sim: Simulation) -> list[tuple[str, int, int, int]]:
    return [(r.epc_hex.lower(), r.antenna_id, EPOCH_US + r.time_us, round(r.rssi_dbm))
            for r in sim.reads]


def _received(tags: list[dict[str, Any]]) -> list[tuple[str, int, int, int]]:
    return [(t["EPC-96"].decode(), t["AntennaID"], t["FirstSeenTimestampUTC"], t["PeakRSSI"])
            for t in tags]


def test_sllurp_receives_the_scripted_reports_and_disconnects_cleanly(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES, stray=True)), seed=3)
    assert len(sim.reads) > 20
    thread, port = llrp_emulator(sim)
    collector = Collector()
    client = _client(port, collector)
    client.connect()
    tags = collector.wait_for(len(sim.reads))
    assert _received(tags) == _expected(sim)
    assert all(t["LastSeenTimestampUTC"] == t["FirstSeenTimestampUTC"] for t in tags)
    assert {t["TagSeenCount"] for t in tags} == {1}
    thread.playback_done.result(WAIT)
    client.disconnect(timeout=WAIT)
    assert collector.disconnected.wait(WAIT)
    assert not client.is_alive()


def test_fields_not_selected_by_sllurp_are_not_sent(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=3)
    _thread, port = llrp_emulator(sim)
    collector = Collector()
    client = LLRPReaderClient("127.0.0.1", port, LLRPReaderConfig({"antennas": [1, 2]}))
    client.add_tag_report_callback(collector.on_tags)
    client.connect()
    try:
        tags = collector.wait_for(len(sim.reads))
    finally:
        client.disconnect(timeout=WAIT)
    # sllurp's default selector: ChannelIndex, LastSeen, TagSeenCount; no antenna, no RSSI.
    assert set(tags[0]) == {"EPC-96", "EPC", "ChannelIndex", "LastSeenTimestampUTC",
                            "TagSeenCount"}


def test_sllurp_reconnects_after_the_emulator_restarts(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=5)
    first, port = llrp_emulator(sim)
    collector = Collector()
    client = _client(port, collector)
    client.connect()
    collector.wait_for(len(sim.reads))
    first.stop()
    assert client.join(WAIT) is None and not client.is_alive()  # sllurp saw the close
    llrp_emulator(sim, port=port)
    client.connect()  # the same client object, as an edge adapter reconnects
    tags = collector.wait_for(2 * len(sim.reads))
    client.disconnect(timeout=WAIT)
    assert _received(tags[len(sim.reads):]) == _expected(sim)


def _raw_connect(port: int) -> tuple[socket.socket, L.Decoder, list[Any]]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    decoder = L.Decoder()
    return sock, decoder, _read_until(sock, decoder, L.ReaderEventNotification)


def _read_until(sock: socket.socket, decoder: L.Decoder, kind: type) -> list[Any]:
    got: list[Any] = []
    while not any(isinstance(m, kind) for m in got):
        data = sock.recv(65536)
        if not data:
            break
        got.extend(decoder.feed(data))
    return got


def test_malformed_frames_get_error_message_and_the_reader_keeps_serving(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=1)
    _thread, port = llrp_emulator(sim)
    sock, decoder, hello = _raw_connect(port)
    assert hello[0].data.events == (L.ConnectionAttemptEvent(0),)
    # unknown type 200, then ADD_ROSPEC with a truncated body: answered, connection stays.
    sock.sendall(b"\x04\xc8\x00\x00\x00\x0a\x00\x00\x00\x05"
                 + b"\x04\x14\x00\x00\x00\x0e\x00\x00\x00\x06\x00\xb1\x00\x09")
    replies = _read_until(sock, decoder, L.AddROSpecResponse)
    assert isinstance(replies[0], L.ErrorMessage) and replies[0].message_id == 5
    assert replies[1].status.status_code != 0 and replies[1].message_id == 6
    # a length below the header size: ERROR_MESSAGE, then the reader hangs up.
    sock.sendall(b"\x04\x3e\x00\x00\x00\x03\x00\x00\x00\x07")
    final = _read_until(sock, decoder, L.ErrorMessage)
    assert isinstance(final[-1], L.ErrorMessage)
    assert sock.recv(100) == b""
    sock.close()
    # ...and the next client is served normally.
    collector = Collector()
    client = _client(port, collector)
    client.connect()
    collector.wait_for(len(sim.reads))
    client.disconnect(timeout=WAIT)


def test_a_second_client_is_refused_while_one_is_connected(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=1)
    _thread, port = llrp_emulator(sim)
    first, _decoder, _hello = _raw_connect(port)
    second, _decoder2, hello = _raw_connect(port)
    assert hello[0].data.events == (L.ConnectionAttemptEvent(2),)
    assert second.recv(100) == b""
    first.close()
    second.close()


def test_cli_serves_a_scenario_and_writes_the_truth(tmp_path: Path) -> None:
    scenario = tmp_path / "site.yaml"
    scenario.write_text(json.dumps(_site(PASSES)), encoding="utf-8")  # JSON is YAML
    truth = tmp_path / "truth.json"
    command = [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario",
               str(scenario), "--port", "0", "--fast", "--seed", "3", "--truth-out", str(truth),
               "--exit-when-done"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        try:
            assert proc.stdout is not None
            listening = json.loads(proc.stdout.readline())
            assert listening["reader"] == "gate-1"
            collector = Collector()
            client = _client(listening["port"], collector)
            client.connect()
            sim = simulate(parse_scenario(_site(PASSES)), seed=3)
            assert _received(collector.wait_for(len(sim.reads))) == _expected(sim)
            assert proc.wait(WAIT) == 0
            assert collector.disconnected.wait(WAIT)  # the reader said goodbye and closed
        finally:
            proc.kill()
    doc = json.loads(truth.read_text(encoding="utf-8"))
    assert [(p["epc_hex"], p["direction"], p["to_location"]) for p in doc["passes"]] == [
        ("3114F4E4E400000001000000", "inbound", "WH-T-RECV"),
        ("3114F4E4E400000002000000", "outbound", None),
    ]
    assert doc["passes"][0]["occurred_at_us"] == EPOCH_US + 2_000_000


def test_cli_reports_a_bad_scenario_by_key(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    bad = _site([{**PASSES[0], "portal": "DOCK-9"}])
    scenario.write_text(json.dumps(bad), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario", str(scenario)],
        capture_output=True, text=True, timeout=WAIT, check=False)
    assert result.returncode == 2
    assert "events[0].portal" in result.stderr


def test_real_time_playback_spreads_reports_over_scenario_time(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=3)
    speed = 10.0
    _thread, port = llrp_emulator(sim, speed=speed)
    arrivals: list[float] = []
    collector = Collector()

    def on_tags(reader: Any, tags: list[dict[str, Any]]) -> None:
        arrivals.extend([time.monotonic()] * len(tags))
        collector.on_tags(reader, tags)

    client = _client(port, collector)
    client.remove_tag_report_callback(collector.on_tags)
    client.add_tag_report_callback(on_tags)
    client.connect()
    tags = collector.wait_for(len(sim.reads))
    client.disconnect(timeout=WAIT)
    assert _received(tags) == _expected(sim)
    scripted_span = (sim.reads[-1].time_us - sim.reads[0].time_us) / 1e6 / speed
    assert arrivals[-1] - arrivals[0] >= 0.7 * scripted_span


def test_loop_replays_with_timestamps_moved_on_by_the_duration(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=3)
    _thread, port = llrp_emulator(sim, loop=True)
    collector = Collector()
    client = _client(port, collector)
    client.connect()
    tags = collector.wait_for(2 * len(sim.reads))
    client.disconnect(timeout=WAIT)
    second = _received(tags[len(sim.reads): 2 * len(sim.reads)])
    assert second == [(e, a, t + sim.duration_us, r) for e, a, t, r in _expected(sim)]


def test_keepalive_is_sent_at_the_interval_the_client_set(llrp_emulator) -> None:
    sim = simulate(parse_scenario(_site(PASSES)), seed=1)
    _thread, port = llrp_emulator(sim)
    sock, decoder, _hello = _raw_connect(port)
    config = L.ReaderConfig(keepalive=L.KeepaliveSpec(1, 100))
    sock.sendall(L.encode(L.SetReaderConfig(1, False, config)))
    got = _read_until(sock, decoder, L.Keepalive)
    assert isinstance(got[0], L.SetReaderConfigResponse) and got[0].status.ok
    assert isinstance(got[-1], L.Keepalive)
    sock.sendall(L.encode(L.CloseConnection(2)))
    (closed,) = _read_until(sock, decoder, L.CloseConnectionResponse)[-1:]
    assert closed.status.ok and closed.message_id == 2
    sock.close()


class _Recorder:
    """Stands where a reader's LLRP server does: notes each sighting and when it went out."""

    inventorying = True

    def __init__(self) -> None:
        self.sent: list[tuple[int, float]] = []  # (stamp_us, wall_us when delivered)

    def deliver(self, sightings: list[Any]) -> None:
        now = time.time() * 1e6
        self.sent += [(s.first_seen_us, now) for s in sightings]

    async def drain(self) -> None:
        return None


def test_a_late_start_is_caught_up_so_no_read_is_stamped_before_it_is_played() -> None:
    import asyncio

    from firmware_bridge.llrp_emulator.playback import Playback

    sim = simulate(parse_scenario(_site(PASSES[:1])), seed=3)
    recorder = _Recorder()
    epoch_us = int(time.time() * 1e6) - 300_000  # the truth file took 300 ms to write
    playback = Playback(sim, {"gate-1": recorder}, epoch_us,  # type: ignore[dict-item]
                        PlaybackSettings(speed=1.0, window_us=20_000), asyncio.Event())
    playback.behind_s = 0.3
    asyncio.run(playback._real_time(epoch_us, 1.0))
    assert len(recorder.sent) == len(sim.reads)
    early = [(sent - stamp) / 1000 for stamp, sent in recorder.sent]
    assert min(early) > -5  # never out before its own time stamp
    assert max(early) < 80  # nor much later than the 20 ms window it travels in
