"""`python -m cloud_hub import KIND FILE [--dry-run] --json` as a user runs it: a subprocess
against the real PostgreSQL, from spreadsheets to stock in one sitting."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import psycopg
import pytest

from tests.hub_fixtures import ROOT, hub_env, hub_settings
from tests.imports.files import write_csv, write_xlsx

pytestmark = pytest.mark.integration


def cli(url: str, *args: str) -> tuple[int, dict[str, object]]:
    out = subprocess.run([sys.executable, "-m", "cloud_hub", *args],
                         env=hub_env(hub_settings(url)), cwd=ROOT, timeout=120,
                         capture_output=True)
    assert out.stdout.count(b"\n") == 1, (out.stdout, out.stderr)  # one JSON object
    return out.returncode, json.loads(out.stdout)


def counts(body: dict[str, object]) -> tuple[object, ...]:
    return body["rows"], body["created"], body["updated"], body["unchanged"]


def onboarding_files(tmp: Path) -> dict[str, Path]:
    return {
        "skus": write_xlsx(tmp / "skus.xlsx", [
            ["SKU", "Name", "GTIN", "Base_UOM", "Lot_Tracked", "Serial_Tracked",
             "Expiry_Tracked"],
            ["MILK", "Milk 1l", "4006381333931", "EA", "yes", "no", "yes"],
            ["BOLT", "=SUM(A1)", None, "EA", "no", "no", "no"],
            ["CAM", "Camera", None, "EA", "no", "yes", "no"]]),
        "uoms": write_csv(tmp / "uoms.csv", [["sku", "uom", "factor", "per", "gtin"],
                                             ["MILK", "BOX", "12", "", "14006381333938"],
                                             ["MILK", "PAL", "40", "BOX", ""]]),
        "locations": write_csv(tmp / "locations.csv", [["code", "warehouse", "kind", "parent"],
                                                       ["Z1", "WH1", "zone", ""],
                                                       ["B1", "WH1", "bin", "Z1"],
                                                       ["B2", "WH1", "bin", "Z1"]]),
        "opening_stock": write_xlsx(tmp / "opening.xlsx", [
            ["sku", "location", "quantity", "uom", "lot", "expiry", "serial", "cost"],
            ["MILK", "B1", 2, "BOX", "L1", date(2027, 1, 31), None, 9.6],
            ["MILK", "B2", 1, "PAL", "L2", date(2027, 2, 28), None, None],
            ["BOLT", "B1", 500, None, None, None, None, "0.05"],
            ["CAM", "B2", 1, None, None, None, "SN-1", 120]]),
    }


def test_spreadsheets_to_stock_in_one_sitting_and_again_changes_nothing(
        fresh_db_url: str, tmp_path: Path) -> None:
    files = onboarding_files(tmp_path)
    for kind, rows in (("skus", 3), ("uoms", 2), ("locations", 3), ("opening_stock", 4)):
        code, body = cli(fresh_db_url, "import", kind, str(files[kind]), "--json")
        assert (code, body) == (0, {"kind": kind, "rows": rows, "created": rows, "updated": 0,
                                    "unchanged": 0, "errors": []})
    for kind, rows in (("skus", 3), ("uoms", 2), ("locations", 3), ("opening_stock", 4)):
        code, body = cli(fresh_db_url, "import", kind, str(files[kind]), "--json")
        assert (code, counts(body)) == (0, (rows, 0, 0, rows))
    with psycopg.connect(fresh_db_url) as conn:
        stock = conn.execute("SELECT location, sku, lot, quantity FROM balances "
                             "ORDER BY location, sku, lot").fetchall()
        assert [(loc, sku, lot, int(q)) for loc, sku, lot, q in stock] == [
            ("B1", "BOLT", "", 500), ("B1", "MILK", "L1", 24), ("B2", "CAM", "", 1),
            ("B2", "MILK", "L2", 480)]
        assert conn.execute("SELECT count(*) FROM moves WHERE reason = 'opening'"
                            ).fetchone() == (4,)
        assert conn.execute("SELECT description FROM skus WHERE sku = 'BOLT'"
                            ).fetchone() == ("=SUM(A1)",)  # kept as text, never evaluated
        cost = conn.execute("SELECT payload->>'unit_cost' FROM moves WHERE sku = 'MILK' "
                            "AND lot = 'L1'").fetchone()
        assert cost == ("0.8",)  # 9.6 a box of 12: 0.8 each
        recorded = conn.execute("SELECT kind, created, unchanged, length(file_sha256), "
                                "user_name LIKE 'cli:%%' FROM imports ORDER BY import_id"
                                ).fetchall()
        assert recorded[3] == ("opening_stock", 4, 0, 64, True)
        assert recorded[7] == ("opening_stock", 0, 4, 64, True)
    rebase = write_csv(tmp_path / "rebase.csv", [["sku", "base_uom"], ["MILK", "BOX"],
                                                 ["NEW", "KG"]])
    code, body = cli(fresh_db_url, "import", "skus", str(rebase), "--json")
    assert (code, [(e["row"], e["column"]) for e in body["errors"]]) == (  # type: ignore[union-attr]
        2, [(2, "base_uom")])  # its stock is counted in EA: the base unit stays
    check = subprocess.run([sys.executable, "-m", "cloud_hub", "check"], cwd=ROOT,
                           env=hub_env(hub_settings(fresh_db_url)), timeout=120,
                           capture_output=True)
    assert check.returncode == 0 and b"consistent: True" in check.stdout  # a fold of moves


def test_an_error_anywhere_writes_nothing_and_exits_2(fresh_db_url: str, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "skus.csv", [["sku", "name", "gtin"], ["A", "fine", ""],
                                             ["B", "bad GTIN", "4006381333932"],
                                             ["A", "again", ""]])
    code, body = cli(fresh_db_url, "import", "skus", str(path), "--json")
    assert code == 2
    assert body == {"kind": "skus", "rows": 3, "created": 0, "updated": 0, "unchanged": 0,
                    "errors": [{"row": 3, "column": "gtin",
                                "reason": "GTIN 4006381333932 has a wrong check digit"},
                               {"row": 4, "column": "sku",
                                "reason": "sku='A' is also on row 2: one row per sku"}]}
    with psycopg.connect(fresh_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM skus").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM imports").fetchone() == (0,)
    code, body = cli(fresh_db_url, "import", "skus", str(tmp_path / "missing.xlsx"), "--json")
    assert (code, body["errors"]) == (2, [{"row": None, "column": None,
                                           "reason": f"no file {tmp_path / 'missing.xlsx'}"}])


def test_a_dry_run_reports_and_writes_nothing(fresh_db_url: str, tmp_path: Path) -> None:
    files = onboarding_files(tmp_path)
    code, body = cli(fresh_db_url, "import", "skus", str(files["skus"]), "--dry-run", "--json")
    assert (code, counts(body)) == (0, (3, 3, 0, 0))
    code, body = cli(fresh_db_url, "import", "uoms", str(files["uoms"]), "--dry-run", "--json")
    assert code == 2  # the SKUs are not there: a dry run checks against what is stored
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(2, "sku"), (3, "sku")}
    with psycopg.connect(fresh_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM skus").fetchone() == (0,)


def test_opening_stock_is_all_or_nothing(fresh_db_url: str, tmp_path: Path) -> None:
    files = onboarding_files(tmp_path)
    for kind in ("skus", "uoms", "locations"):
        assert cli(fresh_db_url, "import", kind, str(files[kind]), "--json")[0] == 0
    path = write_csv(tmp_path / "o.csv", [
        ["sku", "location", "quantity", "uom", "lot", "expiry", "serial"],
        ["BOLT", "B1", "10", "", "", "", ""],
        ["MILK", "B1", "1", "", "L9", "", ""],  # expiry-tracked: the expiry is missing
        ["MILK", "B1", "0.5", "EA", "L8", "2027-01-01", ""],  # half a base unit
        ["CAM", "B1", "2", "", "", "", "SN-2"],  # a serial is one unit
        ["BOLT", "NOWHERE", "1", "", "", "", ""],
        ["BOLT", "B2", "1", "CASE", "", "", ""]])
    code, body = cli(fresh_db_url, "import", "opening_stock", str(path), "--json")
    assert code == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [  # type: ignore[union-attr]
        (3, "expiry"), (4, "quantity"), (5, "quantity"), (6, "location"), (7, "uom")]
    with psycopg.connect(fresh_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM moves").fetchone() == (0,)
