"""What a label names for the edge (unit or item), and the `parse-gs1` / `decode-epc` commands.

How a label is read is tested in tests/protocol/test_labels*.py: the edge uses that reader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from edge.gs1 import label_subject
from protocol import ItemLine, UnitRef
from protocol.labels import LabelError, read_label

TODAY = date(2026, 5, 1)


def _subject(raw: str) -> UnitRef | ItemLine:
    return label_subject(read_label(raw, today=TODAY))


@pytest.mark.parametrize(("raw", "expected"), [
    ("]C100106141411234567897", UnitRef(sscc="106141411234567897")),
    # A pallet label naming its contents (02 + 37) still names the pallet.
    ("]C100106141411234567897\x1d0209506000134352\x1d3712",
     UnitRef(sscc="106141411234567897")),
    ("]C10109506000134352172612311" + "0LOT42\x1d3712",
     ItemLine(gtin="09506000134352", lot="LOT42", expiry=date(2026, 12, 31),
              quantity=Decimal(12), uom="EA")),
    ("]d20109506000134352" + "21SER1\x1d" + "3103001250",
     ItemLine(gtin="09506000134352", serial="SER1", quantity=Decimal("1.250"), uom="KGM")),
    ("]E09506000134352", ItemLine(gtin="09506000134352", quantity=Decimal(1), uom="EA")),
    # Production (11) and best-before (15) dates travel with the item to the lot master.
    ("]C10109506000134352" + "11260115" + "15270115" + "10LOT7",
     ItemLine(gtin="09506000134352", lot="LOT7", production_date=date(2026, 1, 15),
              best_before=date(2027, 1, 15), quantity=Decimal(1), uom="EA")),
])
def test_a_label_names_a_unit_or_an_item_quantity(raw: str,
                                                  expected: UnitRef | ItemLine) -> None:
    assert _subject(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("A01-03-2", "plain label, not GS1"),
    ("]C0A01-03-2", "plain label, not GS1"),
    ("9506000134353", "check digit of a GTIN-13 is wrong"),  # said why it is not a GTIN
    ("]C11726123110LOT", "neither an SSCC"),
    ("]C10109506000134352\x1d370", "greater than 0"),
])
def test_labels_that_name_nothing_movable_are_refused_with_a_reason(raw: str,
                                                                    reason: str) -> None:
    with pytest.raises(LabelError, match=reason):
        _subject(raw)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_cli_parse_gs1_prints_ais_and_typed_fields_as_json() -> None:
    done = _cli("parse-gs1", "]C10109506000134352172612311" + "0LOT42\\x1d3103000750")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["ais"] == {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42",
                          "3103": "0.750"}
    assert (out["kind"], out["symbology"], out["gtin"], out["lot"], out["expiry"],
            out["net_weight_kg"]) == ("gs1", "]C1", "09506000134352", "LOT42", "2026-12-31",
                                      "0.750")


def test_cli_parse_gs1_bad_input_exits_non_zero_with_a_clear_error() -> None:
    done = _cli("parse-gs1", "(01)09506000134353")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "check digit" in done.stderr and "Traceback" not in done.stderr


def test_cli_parse_gs1_says_a_plain_label_is_not_gs1() -> None:
    done = _cli("parse-gs1", "]C0A01-03-2")
    assert done.returncode == 2 and done.stdout == ""
    assert "plain text 'A01-03-2'" in done.stderr


def test_cli_decode_epc_prints_the_identity() -> None:
    done = _cli("decode-epc", "3074257BF7194E4000001A85")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["scheme"] == "sgtin-96"
    assert out["uri"] == "urn:epc:id:sgtin:0614141.812345.6789"


def test_cli_decode_epc_bad_hex_exits_non_zero() -> None:
    done = _cli("decode-epc", "NOTHEX")
    assert done.returncode == 2
    assert "not a valid EPC" in done.stderr and "Traceback" not in done.stderr
