"""Suppliers and supplier-SKU terms from spreadsheets (issue 23 × issue 22's tables): the CLI
writes them all or nothing, repeats as unchanged, names each bad row, and one preferred
supplier per SKU replaces the old one."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.imports.files import write_csv, write_xlsx
from tests.imports.test_cli import cli, counts

pytestmark = pytest.mark.integration


def test_suppliers_and_terms_from_files(fresh_db_url: str, tmp_path: Path) -> None:
    skus = write_csv(tmp_path / "skus.csv", [["sku", "name"], ["BOLT", "Bolt"], ["NUT", "Nut"]])
    assert cli(fresh_db_url, "import", "skus", str(skus), "--json")[0] == 0
    suppliers = write_xlsx(tmp_path / "suppliers.xlsx", [
        ["Supplier", "Name", "Currency"], ["SUP-A", "Acme", "eur"], ["SUP-B", "Bolts Ltd", "CNY"]])
    code, body = cli(fresh_db_url, "import", "suppliers", str(suppliers), "--json")
    assert (code, counts(body)) == (0, (2, 2, 0, 0))
    terms = write_csv(tmp_path / "terms.csv", [
        ["supplier", "sku", "lead_time", "moq", "pack_size", "price", "preferred"],
        ["SUP-A", "BOLT", "14", "100", "10", "0.12", "yes"],
        ["SUP-B", "BOLT", "21", "", "", "", "no"],
        ["SUP-A", "NUT", "7", "0", "1", "0.05", "yes"]])
    code, body = cli(fresh_db_url, "import", "supplier_skus", str(terms), "--json")
    assert (code, counts(body), body["errors"]) == (0, (3, 3, 0, 0), [])
    assert cli(fresh_db_url, "import", "supplier_skus", str(terms), "--json")[1]["unchanged"] == 3

    switch = write_csv(tmp_path / "switch.csv", [
        ["supplier", "sku", "lead_time_days", "preferred"], ["SUP-B", "BOLT", "21", "yes"]])
    assert cli(fresh_db_url, "import", "supplier_skus", str(switch), "--json")[0] == 0
    with psycopg.connect(fresh_db_url) as conn:
        preferred = conn.execute("SELECT supplier FROM supplier_skus WHERE sku = 'BOLT' "
                                 "AND preferred").fetchall()
        moq = conn.execute("SELECT moq FROM supplier_skus WHERE supplier = 'SUP-A' AND "
                           "sku = 'BOLT'").fetchone()
    assert preferred == [("SUP-B",)] and moq == (100,)


def test_bad_rows_name_their_row_and_column_and_nothing_is_written(
        fresh_db_url: str, tmp_path: Path) -> None:
    skus = write_csv(tmp_path / "skus.csv", [["sku"], ["BOLT"]])
    suppliers = write_csv(tmp_path / "suppliers.csv", [["supplier"], ["SUP-A"]])
    for kind, path in (("skus", skus), ("suppliers", suppliers)):
        assert cli(fresh_db_url, "import", kind, str(path), "--json")[0] == 0
    bad = write_csv(tmp_path / "terms.csv", [
        ["supplier", "sku", "lead_time_days", "pack_multiple", "currency", "preferred"],
        ["SUP-A", "BOLT", "14", "10", "EUR", "yes"],
        ["SUP-X", "BOLT", "14", "", "", ""],
        ["SUP-A", "GHOST", "14", "", "", ""],
        ["SUP-A", "BOLT", "-1", "0", "euro", ""]])
    code, body = cli(fresh_db_url, "import", "supplier_skus", str(bad), "--json")
    assert code == 2
    found = {(e["row"], e["column"]) for e in body["errors"]}  # type: ignore[union-attr]
    assert {(3, "supplier"), (4, "sku"), (5, "lead_time_days"), (5, "pack_multiple"),
            (5, "currency")} <= found
    with psycopg.connect(fresh_db_url) as conn:
        assert conn.execute("SELECT count(*) FROM supplier_skus").fetchone() == (0,)
