"""`python -m cloud_hub valuation replay` as a user runs it: a subprocess, files, exit status."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.valuation.cases import CASES, csv_text

ROOT = Path(__file__).resolve().parents[2]


def replay(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "cloud_hub", "valuation", "replay", str(path),
                           *args], env=env, cwd=ROOT, timeout=120, capture_output=True,
                          text=True, check=False)


@pytest.mark.parametrize("method", ["fifo", "avco"])
def test_json_answer_is_one_object_with_two_decimal_numbers(tmp_path: Path, method: str) -> None:
    case = next(c for c in CASES if c.name.startswith("a FIFO transfer keeps"))
    path = tmp_path / "moves.csv"
    path.write_text(csv_text(*case.rows), encoding="utf-8")
    done = replay(path, "--method", method, "--base-currency", "cny", "--json")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    body = json.loads(done.stdout, parse_float=Decimal)
    positions, cogs, adjustments = case.fifo if method == "fifo" else case.avco
    assert body == {
        "method": method, "base_currency": "CNY",
        "positions": [{"warehouse": w, "sku": s, "quantity": int(q), "value": Decimal(v)}
                      for w, s, q, v in positions],
        "cogs": Decimal(cogs), "adjustments": Decimal(adjustments), "review": []}
    assert '"cogs": 5.00' in done.stdout or '"cogs": 19.17' in done.stdout  # 2 decimals kept


def test_default_base_currency_comes_from_the_hub_setting(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text(csv_text("2026-01-01,WH1,A,receipt,1,2,EUR,,,,"), encoding="utf-8")
    done = replay(path, "--method", "fifo", "--json")
    assert done.returncode == 2 and "base CNY per one EUR" in done.stderr


def test_bad_rows_go_to_stderr_with_lines_and_nothing_to_stdout(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_bytes(("\ufeff" + csv_text("2026-01-01,WH1,A,receipt,1,,,,,,",
                                          "2026-01-02,WH1,A,transfer,1,,,,,,")).encode())
    done = replay(path, "--method", "avco", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["line 2: a receipt needs a unit_cost",
                                        "line 3: a transfer needs a to_warehouse"]


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = replay(tmp_path / "nope.csv", "--method", "fifo")
    assert done.returncode == 2 and done.stdout == ""
    assert "cannot read" in done.stderr and "nope.csv" in done.stderr


def test_without_json_a_table_is_printed(tmp_path: Path) -> None:
    path = tmp_path / "moves.csv"
    path.write_text(csv_text("2026-01-01,WH1,A,receipt,5,2,,,,,",
                             "2026-01-02,WH1,A,issue,8,,,,,,"), encoding="utf-8")
    done = replay(path, "--method", "fifo")
    assert done.returncode == 0, done.stderr
    assert "WH1" in done.stdout and "COGS 16.00" in done.stdout
    assert "review: line 3 WH1/A 3 at 2.00" in done.stdout
