"""`make demo` (`python -m deploy.demo_system`) runs the whole system without a display, fills
the ledger from RFID, the scanner, the camera and the simulated picker, and stops cleanly on
Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from deploy.local_broker import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SOURCES = {"rfid", "barcode", "pda"}


def _sources(db_url: str) -> set[str]:
    with psycopg.connect(db_url) as conn:
        return {kind for (kind,) in conn.execute("SELECT DISTINCT source_kind FROM moves")}


def test_full_demo_moves_from_every_source_and_stops_on_ctrl_c(fresh_db_url: str) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATABASE_URL=fresh_db_url, HUB_PORT=str(port), PYTHONPATH=str(ROOT),
               STOCKPULSE_DEMO_SECONDS="150")
    proc = subprocess.Popen([sys.executable, "-m", "deploy.demo_system"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    out: list[str] = []
    try:
        for line in proc.stdout:  # start-up progress, then the banner
            out.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(out)
        assert f"http://127.0.0.1:{port}/map" in text, text
        assert "demo login: manager / demo-manager" in text
        assert httpx.get(f"http://127.0.0.1:{port}/map", timeout=10).status_code == 200
        children = psutil.Process(proc.pid).children(recursive=True)
        assert len(children) >= 6, children  # hub, broker, edge, 2 emulators, picker
        deadline = time.monotonic() + 100
        while not _sources(fresh_db_url) >= SOURCES:
            assert proc.poll() is None, "".join(out)
            assert time.monotonic() < deadline, _sources(fresh_db_url)
            time.sleep(1)  # the ledger fills at the pace of the emulated warehouse
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == 0, "".join(out) + rest
    assert "stopped." in rest
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    with psycopg.connect(fresh_db_url) as conn:
        users = {u for (u,) in conn.execute("SELECT DISTINCT user_id FROM moves "
                                            "WHERE source_kind = 'pda'")}
        portal = conn.execute("SELECT count(*) FROM moves WHERE reason = 'portal_pass' "
                              "AND to_location IN ('RECEIVING', 'STAGING-OUT')").fetchone()
    assert "picker" in users
    assert portal is not None and portal[0] >= 1  # the gates moved pallets onto the demo site
