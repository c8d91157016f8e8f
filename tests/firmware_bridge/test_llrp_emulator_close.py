"""How an emulated reader ends a session: it never hangs up on a client that is still
reading, so sllurp's own disconnect does not race the reader's close (the bench's broken pipe).

sllurp 3.0.5's disconnect() writes DELETE_ACCESSSPEC while its socket thread, having seen the
reader's FIN, shuts down (EPIPE), closes (EBADF) or drops (ReaderConfigurationError) that same
socket. The emulator used to close the moment its last report was written, which is exactly
when a client that counts reports decides to disconnect."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sllurp.llrp import LLRPReaderClient, LLRPReaderConfig

from firmware_bridge.llrp_emulator.app import EmulatorThread, LlrpEmulator
from firmware_bridge.llrp_emulator.playback import PlaybackSettings
from firmware_bridge.scenario import Simulation, parse_scenario, simulate

pytestmark = pytest.mark.integration
WAIT = 20.0
RUNS = 50  # before the fix the race broke ~1 run in 20 (and 1 bench run in 3)


def _site(passes: int) -> dict[str, Any]:
    antennas = [{"reader": "gate-1", "antenna": a, "side": s} for a, s in ((1, "outer"),
                                                                           (2, "inner"))]
    return {
        "name": "close", "warehouse": "WH-C", "seed": 5, "start_time": "2024-05-06T08:00:00Z",
        "read_model": {"rounds_per_s": 6},
        "readers": [{"id": "gate-1", "antennas": [1, 2]}],
        "portals": [{"id": "DOCK-1", "door": "WH-C-DOCK-1", "inner": "WH-C-RECV",
                     "outer": None, "x": 0, "antennas": antennas}],
        "generate": [{"type": "passes", "count": passes, "start": 1, "every": 0.5,
                      "speed": [1.0, 1.5],
                      "epc": {"scheme": "sscc96", "company_prefix": "4012345",
                              "first_serial": 1}}],
    }


class Client:
    """A sllurp client that counts tag reports and notices the reader's ConnectionCloseEvent."""

    def __init__(self, port: int, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.all_read = threading.Event()
        self.reader_closed = threading.Event()
        config = LLRPReaderConfig({"antennas": [1, 2], "report_every_n_tags": 1,
                                   "tag_content_selector": {"EnableAntennaID": True}})
        self.sllurp = LLRPReaderClient("127.0.0.1", port, config)
        self.sllurp.add_tag_report_callback(self._tags)
        self.sllurp.add_event_callback(self._event)

    def _tags(self, _reader: Any, tags: list[dict[str, Any]]) -> None:
        self.count += len(tags)
        if self.count >= self.expected:
            self.all_read.set()

    def _event(self, _reader: Any, event: dict[str, Any]) -> None:
        if "ConnectionCloseEvent" in event:
            self.reader_closed.set()


def _scenario(tmp_path: Path, passes: int) -> tuple[Path, Simulation]:
    raw = _site(passes)
    path = tmp_path / "site.yaml"
    path.write_text(json.dumps(raw), encoding="utf-8")  # JSON is YAML
    return path, simulate(parse_scenario(raw), 5)


def test_exit_when_done_lets_a_connected_client_close_its_session_first(tmp_path: Path) -> None:
    path, sim = _scenario(tmp_path, 4)
    command = [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario", str(path),
               "--port", "0", "--fast", "--exit-when-done", "--linger-s", "10"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            client = Client(json.loads(proc.stdout.readline())["port"], len(sim.reads))
            client.sllurp.connect()
            assert client.all_read.wait(WAIT)
            # A client still busy with the last reports: the reader must not hang up on it.
            assert not client.reader_closed.wait(1.0), "the reader closed on a reading client"
            client.sllurp.disconnect(timeout=WAIT)  # the polite stop runs to its end
            assert proc.wait(WAIT) == 0  # and the emulator exits as soon as the client left
        finally:
            proc.kill()
    assert not client.reader_closed.is_set()


def test_a_client_that_stays_is_closed_with_connection_close_event(tmp_path: Path) -> None:
    path, sim = _scenario(tmp_path, 2)
    command = [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario", str(path),
               "--port", "0", "--fast", "--exit-when-done", "--linger-s", "0.2"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            client = Client(json.loads(proc.stdout.readline())["port"], len(sim.reads))
            client.sllurp.connect()
            assert client.all_read.wait(WAIT)
            assert client.reader_closed.wait(WAIT)
            assert proc.wait(WAIT) == 0
        finally:
            proc.kill()
            client.sllurp.hard_disconnect()


def test_disconnecting_on_the_last_report_never_breaks_the_pipe(tmp_path: Path) -> None:
    """The bench's sequence, in-process and repeated: count every report, disconnect at once."""
    _path, sim = _scenario(tmp_path, 2)
    failures: list[str] = []
    for run in range(RUNS):
        thread = EmulatorThread(lambda: LlrpEmulator(sim, PlaybackSettings(speed=None)),
                                finish_linger_s=WAIT)
        port = thread.start()["gate-1"]
        client = Client(port, len(sim.reads))
        try:
            client.sllurp.connect()
            assert client.all_read.wait(WAIT), f"run {run}: reports missing"
            client.sllurp.disconnect(timeout=WAIT)
        except (OSError, Exception) as exc:  # sllurp raises OSError or its LLRPError
            failures.append(f"run {run}: {exc!r}")
        finally:
            thread.playback_done.result(WAIT)
            thread.stop()
    assert failures == []
