"""The demo site end to end: LLRP emulator → sllurp → edge → Mosquitto → two hub replicas →
ledger; where the ledger says each pallet is equals where the scenario put it."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from system_helpers import chain, expected_units, ledger_units, rfid_move_ids, wait_until

from deploy.system import DEMO_SCENARIO

pytestmark = pytest.mark.integration


def test_demo_site_scenario_lands_in_the_ledger_as_the_ground_truth(
        tmp_path: Path, fresh_db_url: str) -> None:
    with chain(tmp_path, fresh_db_url) as c:
        c.start_broker()
        c.start_hubs(2)
        emulator = c.start_emulator(DEMO_SCENARIO, speed=6.0, extra=("--exit-when-done",))
        c.start_edge()
        emulator.proc.wait(120)
        expected = expected_units(c.truth())
        assert len(expected) >= 30  # the scenario's pallets, each through a door
        with contextlib.suppress(AssertionError):
            wait_until(lambda: ledger_units(fresh_db_url) == expected, 60,
                       "the ledger to show every pallet where the scenario left it")
        assert ledger_units(fresh_db_url) == expected
        ids = rfid_move_ids(fresh_db_url)
    assert len(ids) == len(set(ids))
