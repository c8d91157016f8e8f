"""The gateway as a process: scanner -> outbox -> Mosquitto, across kills and broker outages."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from collections import Counter
from pathlib import Path

import pytest
from gateway_helpers import Collector, GatewayProcess, make_event, private_broker, sscc

from edge.outbox import SqliteOutbox
from firmware_bridge.scanner_emulator import PtyScanner, make_scan
from tests.system.netcut import NetCut

pytestmark = pytest.mark.integration

OUTAGE_S = float(os.environ.get("EDGE_TEST_OUTAGE_S", "5"))  # the 30 s: set it to 30


def _config(tmp_path: Path, wh: str, port: int, scanner_port: str, **mqtt: object) -> Path:
    # A plain subscriber stands in for the hub here and announces no presence: not gated
    # (tests/edge/test_hub_gate.py covers the gate).
    mqtt = {"wait_for_hub": "false", **mqtt}
    extra = "".join(f"  {k}: {v}\n" for k, v in mqtt.items())
    file = tmp_path / "gateway.yaml"
    file.write_text(
        f"warehouse: {wh}\ngateway_id: gw1\nheartbeat_s: 0.5\n"
        f"mqtt:\n  host: 127.0.0.1\n  port: {port}\n  backoff_min_s: 0.1\n"
        f"  backoff_max_s: 1\n{extra}"
        f"outbox:\n  path: {tmp_path / 'outbox.sqlite'}\n  synchronous: normal\n"
        f"scanners:\n  - id: dock1-scan\n    port: {scanner_port}\n    location: DOCK-1\n"
        f"    unit_reason: receive\n")
    return file


def _units(sub: Collector) -> Counter[str]:
    """SSCCs received, counted once per distinct event_id (what the hub's dedupe leaves)."""
    seen: dict[str, str] = {}
    for e in list(sub.events):
        if e.unit is not None and e.unit.sscc is not None:
            seen[str(e.event_id)] = e.unit.sscc
    return Counter(seen.values())


def _sent_not_acked(outbox: Path, sub: Collector) -> set[str]:
    """Events the outbox still holds (never acknowledged) that the broker already routed."""
    with contextlib.closing(sqlite3.connect(f"file:{outbox}?mode=ro", uri=True)) as db:
        held = {r[0] for r in db.execute("SELECT event_id FROM outbox")}
    return held & sub.event_ids()


def test_gateway_sigkilled_mid_publish_resends_everything_on_restart(
        tmp_path: Path, mqtt_broker: tuple[str, int]) -> None:
    host, port = mqtt_broker
    wh = f"WH{uuid.uuid4().hex[:8]}"
    events = [make_event(wh, i) for i in range(10_000)]
    box = SqliteOutbox(tmp_path / "outbox.sqlite", synchronous="NORMAL")
    box.enqueue(events)  # a backlog from a long outage, then the broker is back
    box.close()
    sub = Collector(host, port, f"stockpulse/v1/{wh}/#")
    # The gateway reaches the broker through a relay that, once ~50 batches of 20 went out,
    # passes no more replies: the batches sent after that are routed but never acknowledged,
    # the window (2) stays full, and the gateway is held mid-publish for as long as it takes
    # to kill it, however loaded the machine is.
    link = NetCut(port)
    link.hold_replies_after(50 * 20 * 250)
    with PtyScanner() as scanner:
        gateway = GatewayProcess(_config(tmp_path, wh, link.port, scanner.path,
                                         batch_events=20, window=2), tmp_path / "gateway.log")
        gateway.start()
        try:
            assert link.holding.wait(60), "the gateway never sent 50 batches"
            assert sub.wait_for(lambda s: bool(_sent_not_acked(tmp_path / "outbox.sqlite", s)),
                                timeout=30), "no publish was left in flight"
            gateway.kill()  # SIGKILL with publishes in flight
            left = SqliteOutbox(tmp_path / "outbox.sqlite")
            assert 0 < left.depth < len(events), "the kill must land mid-publish"
            left.close()
            link.release()
            beats = len(sub.payloads("/heartbeat"))
            gateway.start()
            want = {str(e.event_id) for e in events}
            # the restarted gateway's own heartbeat says its scanner port is open again
            assert sub.wait_for(lambda s: any(p.get("reader_health") == {"dock1-scan": "ok"}
                                              for p in s.payloads("/heartbeat")[beats + 1:]),
                                timeout=30)
            assert sub.wait_for(lambda s: want <= s.event_ids(), timeout=90)
            scanner.send(make_scan("gs1-128", f"(00){sscc(1)}"))
            assert sub.wait_for(lambda s: _units(s)[sscc(1)] == 1, timeout=20)
            assert gateway.terminate() == 0
        finally:
            gateway.kill()
            link.close()
    assert sub.event_ids() == {str(e.event_id) for e in events} | {
        str(e.event_id) for e in sub.events if e.unit and e.unit.sscc == sscc(1)}
    assert len(sub.events) >= len(events)  # duplicates allowed on the wire ...
    sub.close()


def test_broker_outage_during_scanning_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    wh = f"WH{uuid.uuid4().hex[:8]}"
    with private_broker(tmp_path) as broker, PtyScanner() as scanner:
        sub = Collector("127.0.0.1", broker.port, f"stockpulse/v1/{wh}/#", persistent=True)
        gateway = GatewayProcess(_config(tmp_path, wh, broker.port, scanner.path),
                                 tmp_path / "gateway.log")
        gateway.start()
        sent: list[str] = []
        pause = threading.Event()

        def scan(n: int) -> None:
            sent.append(sscc(n))
            scanner.send(make_scan("gs1-128", f"(00){sscc(n)}"))

        try:
            assert sub.wait_for(lambda s: any(
                p.get("state") == "online" for p in s.payloads("/status")), timeout=30)
            # A serial port drops what arrived before it was opened: wait for the scanner.
            assert sub.wait_for(lambda s: any(p.get("reader_health") == {"dock1-scan": "ok"}
                                              for p in s.payloads("/heartbeat")), timeout=30)
            for n in range(20):
                scan(n)
            assert sub.wait_for(lambda s: len(_units(s)) == 20, timeout=20)
            heartbeat = sub.payloads("/heartbeat")[-1]
            assert "queue_depth" in heartbeat and "dock1-scan" in heartbeat["read_rates"]
            broker.stop()  # the broker is down: scanning goes on
            steps = max(int(OUTAGE_S / 0.1), 10)
            for n in range(20, 20 + steps):
                scan(n)
                pause.wait(OUTAGE_S / steps)
            broker.start()
            for n in range(20 + steps, 40 + steps):
                scan(n)
            late = set(sent[20:])
            assert sub.wait_for(lambda s: late <= set(_units(s)), timeout=60)
            assert gateway.terminate() == 0
        finally:
            gateway.kill()
        counts = _units(sub)
        assert all(counts[u] == 1 for u in late), "no scan may become two events"
        sub.close()
