"""Reading import files (cloud_hub/imports): real CSV and XLSX files, every kind of bad file,
and the per-row errors a user sees — row numbers are the spreadsheet's (the header is row 1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cloud_hub.imports.cells import safe_cell
from cloud_hub.imports.check import Checked, check_sheet
from cloud_hub.imports.kinds import KINDS
from cloud_hub.imports.sheet import FileRefused, read_sheet
from tests.imports.files import fake_encrypted_workbook, write_csv, write_xlsx

SKU_HEADER = ["sku", "name", "gtin", "base_uom", "lot_tracked", "serial_tracked",
              "expiry_tracked"]


def check(path: Path, kind: str = "skus", **options: object) -> Checked:
    return check_sheet(KINDS[kind], read_sheet(path, **options))  # type: ignore[arg-type]


def errors(checked: Checked) -> list[tuple[int | None, str | None]]:
    return [(e.row, e.column) for e in checked.errors]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_a_csv_in_each_encoding_reads_the_same_names(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "skus.csv", [SKU_HEADER, ["S1", "螺丝刀 十字", "", "EA", "yes",
                                                          "no", "no"]], encoding)
    checked = check(path)
    assert checked.errors == []
    assert checked.rows[0].values["name"] == "螺丝刀 十字"
    assert checked.rows[0].values["lot_tracked"] is True


def test_a_named_encoding_is_used_and_a_wrong_one_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "skus.csv", [SKU_HEADER, ["S1", "仓库", "", "EA", "", "", ""]],
                     "gbk")
    assert check(path, encoding="gbk").rows[0].values["name"] == "仓库"
    with pytest.raises(FileRefused, match="not utf-8"):
        read_sheet(path, encoding="utf-8")


def test_xlsx_headers_in_any_order_and_case_trimmed(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "skus.xlsx", [
        [" Expiry_Tracked", "NAME ", "SKU", "Base UOM", "GTIN", "lot-tracked", "Serial Tracked"],
        [True, "Widget", "S1", "BOX", 4006381333931, False, "no"],
        [None, None, None, None, None, None, None],  # a blank row is skipped, not counted
        ["yes", "Nut", 10042, "EA", "04006381333931", 1, 0]])
    checked = check(path)
    assert checked.errors == []
    assert checked.total == 2
    first, second = checked.rows
    assert (first.number, second.number) == (2, 4)
    assert first.values == {"expiry_tracked": True, "name": "Widget", "sku": "S1",
                            "base_uom": "BOX", "gtin": "4006381333931", "lot_tracked": False,
                            "serial_tracked": False}
    assert second.values["sku"] == "10042"  # a number cell holding a code is the code


def test_header_faults_are_row_1(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "skus.csv", [["sku", "colour", "name", "Name"], ["S1", "red",
                                                                                "a", "b"]])
    checked = check(path)
    assert sorted(errors(checked)) == [(1, "Name"), (1, "colour")]
    assert checked.rows == []
    missing = check(write_csv(tmp_path / "u.csv", [["uom", "factor"], ["BOX", "12"]]), "uoms")
    assert errors(missing) == [(1, "sku")]


@pytest.mark.parametrize(("cells", "column", "reason"), [
    (["S1", "x", "4006381333932", "EA", "", "", ""], "gtin", "wrong check digit"),
    (["S1", "x", "12345", "EA", "", "", ""], "gtin", "not a GTIN"),
    (["S1", "x", "", "EA", "maybe", "", ""], "lot_tracked", "not yes or no"),
    (["", "x", "", "EA", "", "", ""], "sku", "required"),
])
def test_a_bad_cell_names_its_row_and_column(tmp_path: Path, cells: list[str], column: str,
                                             reason: str) -> None:
    checked = check(write_csv(tmp_path / "s.csv", [SKU_HEADER, ["OK", "", "", "", "", "", ""],
                                                    cells]))
    assert [(e.row, e.column) for e in checked.errors] == [(3, column)]
    assert reason in checked.errors[0].reason


def test_a_key_twice_in_a_file_is_an_error_naming_the_first_row(tmp_path: Path) -> None:
    checked = check(write_csv(tmp_path / "u.csv", [["sku", "uom", "factor"], ["S1", "BOX", "12"],
                                                   ["S1", "PAL", "40"], ["s1", "box", "6"],
                                                   ["S1", "BOX", "6"]]), "uoms")
    assert errors(checked) == [(5, "sku")]
    assert "also on row 2" in checked.errors[0].reason


@pytest.mark.parametrize(("factor", "reason"), [("0", "greater than zero"),
                                                ("-3", "greater than zero"),
                                                ("twelve", "not a number"),
                                                ("=6*2", "formula"), ("1,000", "not a number")])
def test_a_factor_must_be_a_positive_number(tmp_path: Path, factor: str, reason: str) -> None:
    path = tmp_path / "u.csv"
    path.write_text(f'sku,uom,factor\nS1,BOX,"{factor}"\n')
    checked = check(path, "uoms")
    assert errors(checked) == [(2, "factor")]
    assert reason in checked.errors[0].reason


def test_formula_looking_text_is_kept_as_text_and_escaped_on_the_way_out(tmp_path: Path) -> None:
    names = ["=HYPERLINK(\"http://x\")", "+1+2", "-total", "@SUM(A1)"]
    checked = check(write_csv(tmp_path / "s.csv", [["sku", "name"],
                                                   *[[f"S{i}", n] for i, n in enumerate(names)]]))
    assert [r.values["name"] for r in checked.rows] == names
    assert [safe_cell(n) for n in names] == ["'" + n for n in names]
    assert safe_cell("plain") == "plain" and safe_cell(5) == 5


def test_opening_stock_cells(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "o.xlsx", [
        ["sku", "location", "quantity", "uom", "lot", "expiry", "sscc", "cost"],
        ["S1", "B1", 2, "BOX", "L1", date(2027, 6, 30), None, 1.25],
        ["S1", "B1", 2.5, None, None, "2027-13-01", "123", None]])
    checked = check(path, "opening_stock")
    assert checked.rows[0].values["expiry"] == date(2027, 6, 30)
    assert checked.rows[0].values["cost"] == Decimal("1.25")
    assert errors(checked) == [(3, "expiry"), (3, "sscc")]


def test_cells_beyond_the_header_are_an_error(tmp_path: Path) -> None:
    checked = check(write_csv(tmp_path / "s.csv", [["sku", "name"], ["S1", "a", "stray"]]))
    assert errors(checked) == [(2, None)]


@pytest.mark.parametrize("content", [b"", b"   \r\n", b"sku,name\r\n"])
def test_an_empty_file_is_refused_or_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    try:
        checked = check(path)
    except FileRefused as exc:
        assert "empty" in str(exc)
    else:
        assert [e.reason for e in checked.errors] == ["the file has a header and no rows"]


def test_an_empty_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="empty"):
        read_sheet(write_xlsx(tmp_path / "e.xlsx", []))


def test_a_100_mb_file_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with open(path, "wb") as f:  # sparse: 100 MB on paper, nothing on disk or in memory
        f.truncate(100 * 1024 * 1024)
    with pytest.raises(FileRefused, match=r"104\.9 MB; the limit is 67 MB"):
        read_sheet(path)


def test_a_password_protected_workbook_is_refused_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(FileRefused, match="password-protected"):
        read_sheet(fake_encrypted_workbook(tmp_path / "locked.xlsx"))


@pytest.mark.parametrize("content", [b"PK\x03\x04" + b"\x00garbage" * 50,
                                     b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 600])
def test_a_corrupt_workbook_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match="corrupt"):
        read_sheet(path)


def test_a_truncated_xlsx_is_refused(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "g.xlsx", [["sku"], ["S1"]]).read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(FileRefused, match="corrupt"):
        read_sheet(path)


def test_the_sheet_named_after_the_kind_is_read(tmp_path: Path) -> None:
    import openpyxl
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.append(["notes"])
    uoms = book.create_sheet("uoms")
    uoms.append(["sku", "uom", "factor"])
    uoms.append(["S1", "BOX", 12])
    book.save(tmp_path / "book.xlsx")
    checked = check(tmp_path / "book.xlsx", "uoms", sheet="uoms")
    assert checked.errors == [] and checked.rows[0].values["factor"] == Decimal(12)
