"""docs/backup.md's procedure on the real PostgreSQL: pg_dump a ledger a hub wrote, restore it
into a new database, and let `python -m cloud_hub check [--rebuild]` verify the balances from
the moves (and repair them when they were damaged)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from protocol import encode_batch
from tests.conftest import _create_database, _drop_database, _url_for
from tests.hub_fixtures import ROOT, running_hub
from tests.ledger.factories import item_move, line, unit_move

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump")]
WH = "WHBK"
BALANCES = "SELECT location, sku, lot, status, quantity FROM balances ORDER BY 1, 2, 3, 4"
UNITS = "SELECT unit_key, location FROM units ORDER BY 1"


@pytest.fixture
def restored_url(pg_server_url: str) -> Iterator[str]:
    name = _create_database()
    try:
        yield _url_for(name)
    finally:
        _drop_database(name)


def cloud_hub_check(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env |= {"HUB_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "cloud_hub", "check", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def rows(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def test_dump_restore_then_check_and_rebuild(fresh_db_url: str, restored_url: str,
                                             tmp_path: Path) -> None:
    with running_hub(fresh_db_url, mqtt_enabled=False, rules_enabled=False) as hub, \
            hub.client() as admin:
        admin.post("/api/v1/locations", json=[
            {"code": c, "warehouse": WH, "kind": "bin"} for c in ("BK-1", "BK-2", "BK-3")
        ]).raise_for_status()
        moves = [item_move("SKU-B", 10, None, "BK-1", wh=WH, t=0),
                 item_move("SKU-B", 4, "BK-1", "BK-2", wh=WH, t=1),
                 unit_move("106141412345678908", None, "BK-3", wh=WH, t=2,
                           contents=(line("SKU-C", 5),))]
        assert admin.post("/api/v1/moves", content=encode_batch(moves)).json()["applied"] == 3
    dump = tmp_path / "ledger.dump"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", fresh_db_url],
                   check=True, timeout=120)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored_url}",
                    str(dump)], check=True, timeout=120)
    assert rows(restored_url, BALANCES) == rows(fresh_db_url, BALANCES)
    assert rows(restored_url, UNITS) == rows(fresh_db_url, UNITS)
    ok = cloud_hub_check(restored_url)
    assert ok.returncode == 0 and "consistent: True" in ok.stdout, ok.stdout + ok.stderr

    # A restore that went wrong (here: a balance edited by hand) is caught, then repaired.
    with psycopg.connect(restored_url) as conn:
        conn.execute("UPDATE balances SET quantity = quantity + 5 WHERE location = 'BK-2'")
    bad = cloud_hub_check(restored_url)
    assert bad.returncode == 1 and "BK-2" in bad.stdout, bad.stdout
    assert cloud_hub_check(restored_url, "--rebuild").returncode == 0
    assert rows(restored_url, BALANCES) == rows(fresh_db_url, BALANCES)
    assert cloud_hub_check(restored_url).returncode == 0
