"""Readers that misbehave on the wire (the emulator told to), through sllurp into RfidSource:
clear warnings (one line per kind), counters in the heartbeat, no crash, no invented move."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from edge.portal.config import PortalAntenna, PortalConfig, PortalsConfig
from edge.rfid.config import ReadChecks, ReaderConfig
from edge.rfid.llrp import MAX_PENDING_READS, Handover, LlrpReader
from edge.rfid.source import RfidSource
from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.faults import ReaderFaults
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.llrp_emulator.reader import TagSighting
from firmware_bridge.scenario import Simulation, parse_scenario, simulate
from protocol import StockMoved

pytestmark = pytest.mark.integration
WAIT = 30.0
PALLETS = [f"3114F4E4E4000000{n:02d}000000" for n in range(1, 7)]
RAW_TAG = "E28011606000020729AD7567"  # a TID-like EPC of no GS1 scheme


def _site(reader: str, pallets: list[str], antennas: int = 2) -> dict[str, Any]:
    sides = {1: "outer", 2: "inner", 3: "inner"}
    events = [{"type": "pass", "epc": epc, "portal": "DOCK-1",
               "direction": "inbound" if i % 2 == 0 else "outbound", "at": 1.0 + 1.2 * i,
               "speed": 1.5} for i, epc in enumerate(pallets)]
    return {
        "name": "bad", "warehouse": "WH-B", "seed": 8, "start_time": "2024-05-06T08:00:00Z",
        "readers": [{"id": reader, "antennas": list(range(1, antennas + 1))}],
        "portals": [{"id": "DOCK-1", "door": "D1", "inner": "RECV", "outer": "YARD", "x": 0,
                     "antennas": [{"reader": reader, "antenna": a, "side": sides[a]}
                                  for a in range(1, antennas + 1)]}],
        "events": events,
    }


def _portals(reader: str, antennas: int = 2) -> PortalsConfig:
    sides = {1: "outer", 2: "inner", 3: "inner"}
    return PortalsConfig((PortalConfig("DOCK-1", "D1", "RECV", "YARD"),),
                         tuple(PortalAntenna(reader, a, "DOCK-1", sides[a])  # type: ignore[arg-type]
                               for a in range(1, antennas + 1)))


class Sink:
    def __init__(self) -> None:
        self.events: list[StockMoved] = []
        self._cond = threading.Condition()

    def __call__(self, event: StockMoved) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, count: int) -> list[StockMoved]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.events) >= count, WAIT), self.events
            return list(self.events)


class Run:
    """One emulated reader (with faults) and an RfidSource reading it."""

    def __init__(self, sim: Simulation, faults: ReaderFaults, checks: ReadChecks,
                 antennas: int = 2, speed: float = 4.0, epoch_us: int | None = None) -> None:
        self.sim, self.sink = sim, Sink()
        self.thread = EmulatorThread(lambda: LlrpEmulator(
            sim, PlaybackSettings(speed=speed), epoch_us=epoch_us, faults={"gate-1": faults}))
        port = self.thread.start()["gate-1"]
        reader = ReaderConfig("gate-1", "127.0.0.1", port, tuple(range(1, antennas + 1)))
        self.started = datetime.now(UTC)
        self.source = RfidSource((reader,), _portals("gate-1", antennas), self.sink, "WH-B",
                                 "gw-bad", uuid.uuid4, checks=checks)
        self.source.start()

    def finish(self) -> dict[str, Any]:
        """Play to the end, take the heartbeat's view, then stop: open passes are closed, so
        every move the reads make is in `sink.events` afterwards."""
        self.thread.playback_done.result(WAIT)
        deadline = time.monotonic() + WAIT
        while self.source.health()["readers"]["gate-1"].get("clock") is None:  # type: ignore[index]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        health = self.source.health()
        self.source.stop()
        return health

    def close(self) -> None:
        self.source.stop()
        self.thread.stop()


@pytest.fixture
def run() -> Iterator[list[Run]]:
    runs: list[Run] = []
    yield runs
    for r in runs:
        r.close()


def _moves(events: list[StockMoved]) -> list[tuple[str, str | None, str | None]]:
    return sorted((e.unit.epc, e.from_location, e.to_location)  # type: ignore[union-attr]
                  for e in events if e.unit is not None)


def _expected(pallets: list[str]) -> list[tuple[str, str | None, str | None]]:
    return sorted((epc, "YARD", "RECV") if i % 2 == 0 else (epc, "RECV", "YARD")
                  for i, epc in enumerate(pallets))


def _warnings(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and words in r.getMessage()]


def test_timestamps_from_1970_and_next_year_are_refused_and_moves_stay_right(
        run: list[Run], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.rfid.source")
    pallets = PALLETS[:3]
    run.append(r := Run(simulate(parse_scenario(_site("gate-1", pallets)), 1),
                        ReaderFaults(bad_time_every=9), ReadChecks()))
    r.sink.wait_for(3)
    health = r.finish()
    assert _moves(r.sink.events) == _expected(pallets)
    now = datetime.now(UTC)
    assert all(r.started <= e.occurred_at <= now for e in r.sink.events)
    reader = health["readers"]["gate-1"]
    assert reader["bad_timestamps"] >= len(r.sim.reads) // 9 - 2
    assert reader["clock"]["state"] == "offset" and reader["clock"]["jumps"] == 0
    assert len(_warnings(caplog, "fits neither its clock nor ours")) == 1  # rate-limited


def test_reads_on_an_antenna_not_in_the_config_are_counted_and_ignored(
        run: list[Run], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.rfid.source")
    pallets = PALLETS[:2]
    sim = simulate(parse_scenario(_site("gate-1", pallets, antennas=3)), 1)
    run.append(r := Run(sim, ReaderFaults(rogue_antenna=(3, 9)), ReadChecks(), antennas=3))
    r.sink.wait_for(2)
    health = r.finish()
    assert _moves(r.sink.events) == _expected(pallets)  # antenna 2 still watches inside
    reader = health["readers"]["gate-1"]
    assert reader["unknown_antenna_reads"] == sum(1 for x in sim.reads if x.antenna_id == 3)
    assert reader["unknown_antennas"] == [9]
    (line,) = _warnings(caplog, "antenna 9")
    assert "does not map" in line


@pytest.mark.parametrize("policy", ["ignore", "track"])
def test_an_epc_of_no_known_scheme_moves_only_if_the_site_says_so(
        run: list[Run], caplog: pytest.LogCaptureFixture, policy: str) -> None:
    caplog.set_level(logging.WARNING, logger="edge.rfid.source")
    pallets = [PALLETS[0], RAW_TAG]
    run.append(r := Run(simulate(parse_scenario(_site("gate-1", pallets)), 1), ReaderFaults(),
                        ReadChecks(unknown_epcs=policy)))  # type: ignore[arg-type]
    r.sink.wait_for(1 if policy == "ignore" else 2)
    health = r.finish()
    reader = health["readers"]["gate-1"]
    if policy == "ignore":
        assert _moves(r.sink.events) == _expected([PALLETS[0]])
        assert reader["unknown_epc_reads"] > 0
        (line,) = _warnings(caplog, RAW_TAG)
        assert "not a supported scheme" in line and "read ignored" in line
    else:
        assert _moves(r.sink.events) == _expected(pallets)
        assert reader["unknown_epc_reads"] == 0 and not _warnings(caplog, RAW_TAG)


def test_a_cut_antenna_cable_invents_no_move_and_is_reported(
        run: list[Run], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="edge.rfid.source")
    run.append(r := Run(simulate(parse_scenario(_site("gate-1", PALLETS)), 1),
                        ReaderFaults(silent_antennas=frozenset({2})),
                        ReadChecks(silent_antenna_tags=4)))
    health = r.finish()
    assert r.sink.events == []  # one side heard alone proves no direction: nothing moved
    antennas = health["readers"]["gate-1"]["antennas"]
    assert antennas["1"]["state"] == "ok" and antennas["2"]["state"] == "silent"
    (line,) = _warnings(caplog, "cut cable")
    assert "antenna 2 of reader gate-1 (DOCK-1)" in line


def test_a_reader_flooding_10000_reports_a_second_stays_bounded(
        run: list[Run], caplog: pytest.LogCaptureFixture) -> None:
    """gate-1 plays real passes while it also reports one parked tag 10,000 times a second
    (in real time, its clock on ours, so the flood and the passes share one timeline)."""
    caplog.set_level(logging.WARNING, logger="edge.rfid.source")
    pallets = PALLETS[:2]
    run.append(r := Run(simulate(parse_scenario(_site("gate-1", pallets)), 1), ReaderFaults(),
                        ReadChecks(), speed=1.0, epoch_us=time.time_ns() // 1000))
    assert r.thread.emulator is not None
    server = r.thread.emulator.servers["gate-1"]
    flood = r.thread.submit(
        _flood(server, bytes.fromhex(PALLETS[5]), per_second=10_000, seconds=2.0))
    slowest, pending, flagged = 0.0, 0, False
    while not flood.done():
        began = time.perf_counter()
        health = r.source.health()  # what the heartbeat calls: must not wait for the worker
        slowest = max(slowest, time.perf_counter() - began)
        pending = max(pending, r.source.readers[0].pending)
        flagged = flagged or bool(health["readers"]["gate-1"].get("flooding"))  # type: ignore[index]
        time.sleep(0.05)
    sent = flood.result(WAIT)
    r.sink.wait_for(2)
    health = r.finish()
    assert sent == 20_000  # the emulator did flood
    assert slowest < 0.1 and pending <= MAX_PENDING_READS
    assert _moves(r.sink.events) == _expected(pallets)  # the parked tag moved nowhere
    reader = health["readers"]["gate-1"]
    assert reader["reads"] + reader["dropped_reads"] >= sent
    assert flagged and not reader["flooding"]  # said while it lasted, not after
    (line,) = _warnings(caplog, "reads/s, more than any dock door")
    assert line.startswith("reader gate-1 sends")


def test_a_reader_the_worker_cannot_keep_up_with_is_dropped_beyond_its_bound() -> None:
    """Nobody takes the reads (a stalled worker): sllurp's handover stops at the bound."""
    sim = simulate(parse_scenario(_site("gate-1", PALLETS[:1])), 1)
    thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=1.0),
                                                 epoch_us=time.time_ns() // 1000))
    port = thread.start()["gate-1"]
    handed: queue.SimpleQueue[Handover] = queue.SimpleQueue()
    reader = LlrpReader(ReaderConfig("gate-1", "127.0.0.1", port, (1, 2)), handed,
                        max_pending=100)
    reader.start()
    try:
        assert reader.wait_connected(WAIT)
        assert thread.emulator is not None
        sent = thread.submit(_flood(
            thread.emulator.servers["gate-1"], bytes.fromhex(PALLETS[5]), per_second=10_000,
            seconds=0.5)).result(WAIT)
        deadline = time.monotonic() + WAIT
        while reader.handed < sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        reader.stop()
        thread.stop()
    kept = 0
    while not handed.empty():
        kept += len(handed.get_nowait()[1])
    assert reader.handed >= sent == 5_000
    assert kept == reader.pending <= 100 and reader.dropped == reader.handed - kept


async def _flood(server: Any, epc: bytes, per_second: int, seconds: float) -> int:
    """per_second x seconds single-tag reports, paced at per_second (all of them are sent
    even when a loaded machine cannot keep the pace)."""
    loop = asyncio.get_running_loop()
    start, sent, total = loop.time(), 0, int(per_second * seconds)
    while sent < total:
        now_us = time.time_ns() // 1000
        due = min(total, int((loop.time() - start) * per_second)) - sent
        for _ in range(max(0, due)):
            sent += server.deliver([TagSighting(epc, 1, -58.0, now_us, now_us)])
        await server.drain()
        await asyncio.sleep(0.002)
    return sent


@pytest.mark.parametrize(("faults", "kind", "state"), [
    (ReaderFaults(clock_offset_us=2 * 3600 * 1_000_000), "utc", "offset"),  # set to UTC+2
    (ReaderFaults(uptime_boot_us=time.time_ns() // 1000 - 3600 * 1_000_000), "uptime",
     "uptime"),  # no real-time clock: LastSeenTimestampUptime
])
def test_a_reader_clock_in_another_zone_or_counting_from_boot_gives_moves_stamped_now(
        run: list[Run], faults: ReaderFaults, kind: str, state: str) -> None:
    pallets = PALLETS[:2]
    run.append(r := Run(simulate(parse_scenario(_site("gate-1", pallets)), 1), faults,
                        ReadChecks(), epoch_us=time.time_ns() // 1000))
    r.sink.wait_for(2)
    health = r.finish()
    assert _moves(r.sink.events) == _expected(pallets)
    now = datetime.now(UTC)
    assert all(r.started <= e.occurred_at <= now for e in r.sink.events)
    clock = health["readers"]["gate-1"]["clock"]
    assert (clock["kind"], clock["state"], clock["jumps"]) == (kind, state, 0)
