"""The demo's path with a reader whose clock is two years off: the LLRP emulator (its
scenario's 2024 epoch, real time) -> sllurp -> the gateway -> Mosquitto -> the hub. Moves are
stamped by the gateway's clock and keep the reader's timing; the heartbeat names the reader's
offset; the hub's dashboard counts the moves as today's and shows the reader's clock as off."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_helpers import Collector

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from edge.config import load_config_text
from edge.gateway import Gateway
from tests.hub_fixtures import running_hub

pytestmark = pytest.mark.integration
WAIT = 30.0
EPOCH = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
PALLETS = ["3114F4E4E400000001000000", "3114F4E4E400000002000000"]


def _seed(db_url: str, wh: str) -> None:
    with connect(db_url) as conn:
        upsert_locations(conn, [Location(f"{wh}-D1", wh, "dock_door"),
                                Location(f"{wh}-RECV", wh, "staging")])
        conn.commit()


def _dashboard(client: httpx.Client, wh: str) -> dict[str, Any]:
    reply = client.get("/api/v1/dashboard/summary", params={"warehouse": wh})
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def _scenario() -> dict[str, Any]:
    gate = [{"reader": "gate-1", "antenna": 1, "side": "outer"},
            {"reader": "gate-1", "antenna": 2, "side": "inner"}]
    return {
        "name": "old-clock", "warehouse": "WH-K", "seed": 4, "start_time": EPOCH.isoformat(),
        "readers": [{"id": "gate-1", "antennas": [1, 2]}],
        "portals": [{"id": "DOCK-1", "door": "D1", "inner": "RECV", "outer": None, "x": 0,
                     "antennas": gate}],
        "events": [{"type": "pass", "epc": PALLETS[0], "portal": "DOCK-1",
                    "direction": "inbound", "at": 0.5, "speed": 1.5},
                   {"type": "pass", "epc": PALLETS[1], "portal": "DOCK-1",
                    "direction": "inbound", "at": 3.0, "speed": 1.5}],
    }


def test_a_reader_two_years_behind_gives_moves_stamped_now(
        tmp_path: Path, mqtt_broker: tuple[str, int], fresh_db_url: str) -> None:
    scenario, truth_file = tmp_path / "site.yaml", tmp_path / "truth.json"
    scenario.write_text(json.dumps(_scenario()), encoding="utf-8")
    command = [sys.executable, "-m", "firmware_bridge.llrp_emulator", "--scenario",
               str(scenario), "--port", "0", "--speed", "1", "--epoch", "scenario",
               "--truth-out", str(truth_file)]
    host, port = mqtt_broker
    wh = f"WH{uuid.uuid4().hex[:8]}"
    _seed(fresh_db_url, wh)
    started = datetime.now(UTC)
    with (running_hub(fresh_db_url, mqtt_host=host, mqtt_port=port) as hub,
          subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as emulator):
        try:
            assert emulator.stdout is not None
            reader_port = json.loads(emulator.stdout.readline())["port"]
            settings = load_config_text(
                f"warehouse: {wh}\ngateway_id: gw-clock\nheartbeat_s: 0.3\n"
                f"mqtt: {{host: {host}, port: {port}}}\n"
                f"outbox: {{path: {tmp_path / 'outbox.sqlite'}, synchronous: normal}}\n"
                "rfid:\n  readers:\n"
                f"    - {{id: gate-1, host: 127.0.0.1, port: {reader_port},\n"
                "       antennas: [{antenna: 1, portal: DOCK-1, side: outer},\n"
                "                  {antenna: 2, portal: DOCK-1, side: inner}]}\n"
                f"  portals:\n    - {{id: DOCK-1, door: {wh}-D1, inside: {wh}-RECV}}\n")
            sub = Collector(host, port, f"stockpulse/v1/{wh}/#")
            gateway = Gateway(settings)
            gateway.start()
            try:
                assert sub.wait_for(lambda s: len(s.events) >= 2, timeout=WAIT), sub.events
                arrived = datetime.now(UTC)
                assert sub.wait_for(lambda s: any(
                    _clock(p) is not None for p in s.payloads("/heartbeat")), timeout=WAIT)
                with hub.client() as client:  # the hub applies, then the dashboard shows
                    board = _wait_board(client, wh)
            finally:
                gateway.stop()
                sub.close()
        finally:
            emulator.kill()
    moves = {e.unit.epc: e.occurred_at for e in sub.events if e.unit is not None}
    assert sorted(moves) == PALLETS
    for at in moves.values():  # crossed seconds ago, by our clock — not in 2024
        assert started <= at <= arrived
        assert (arrived - at).total_seconds() < 10
    truth = {p["epc_hex"]: p["occurred_at_us"] for p in json.loads(
        truth_file.read_text(encoding="utf-8"))["passes"]}
    gap = (moves[PALLETS[1]] - moves[PALLETS[0]]).total_seconds()
    assert abs(gap - (truth[PALLETS[1]] - truth[PALLETS[0]]) / 1e6) < 0.5  # reader's timing
    clock = next(c for p in sub.payloads("/heartbeat") if (c := _clock(p)) is not None)
    assert clock["state"] == "offset" and clock["kind"] == "utc"
    assert abs(clock["offset_s"] - (started - EPOCH).total_seconds()) < 30
    assert board["moves"]["totals"]["rfid"] == 2  # today's, not 2024's
    (reader,) = board["reader_clocks"]["readers"]
    assert (reader["gateway"], reader["reader"], reader["state"]) == ("gw-clock", "gate-1",
                                                                      "offset")
    assert board["reader_clocks"]["wrong"] == 1


def _wait_board(client: httpx.Client, wh: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        board = _dashboard(client, wh)
        if board["moves"]["totals"]["rfid"] >= 2 and board["reader_clocks"]["readers"]:
            return board
        assert time.monotonic() < deadline, board
        time.sleep(0.1)  # polling the hub's HTTP API: there is no event to await


def _clock(beat: dict[str, Any]) -> dict[str, Any] | None:
    reader = beat.get("sources", {}).get("rfid", {}).get("readers", {}).get("gate-1", {})
    clock = reader.get("clock")
    return clock if clock and clock.get("offset_s") is not None else None
