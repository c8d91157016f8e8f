"""GS1 barcode parsing: raw scanner strings and HRI text to AIs, bad labels refused."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.gs1 import Gs1Error, parse_gs1

GOOD = [
    # (input, expected AIs)
    ("]C10109506000134352172612311" + "0LOT42\x1d3103000750",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42", "3103": "0.750"}),
    ("(01)09506000134352(17)261231(10)LOT42",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42"}),
    ("]d201095060001343521726123110LOT42\r\n",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42"}),
    ("]Q30109506000134352\x1d", {"01": "09506000134352"}),
    ("00106141411234567897", {"00": "106141411234567897"}),
    ("(00)106141411234567897\r", {"00": "106141411234567897"}),
    ("9506000134352", {"01": "09506000134352"}),  # EAN-13 read as plain digits
    ("]E09506000134352", {"01": "09506000134352"}),
    ("]C10109506000134352\x1d3700000012\x1d", {"01": "09506000134352", "37": "00000012"}),
    ("]C17003260101123010LOT", {"7003": "2026-01-01T12:30:00", "10": "LOT"}),
]

BAD = [
    ("", "empty"),
    ("\r\n", "empty"),
    ("hello", "GS1"),
    ("]C1", "no GS1 element"),
    ("00106141411234567890", "SSCC check digit"),
    ("]C10109506000134353", "check digit"),
    ("(01)09506000134353", "check digit"),
    ("9506000134353", "check digit"),  # plain digits: the AI (95) reading is refused
    ("]d2010950600013435217261399", "17"),
    ("]C10109506000134352\x1d10A\x1d10B", "twice"),
    ("]A0HELLO", "symbology"),
    ("(01)0950600013435X", "HRI"),
    ("x" * 600, "limit"),
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_good_labels_give_their_ais(raw: str, expected: dict[str, str]) -> None:
    assert parse_gs1(raw).as_dict() == expected


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_bad_labels_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(Gs1Error, match=reason):
        parse_gs1(raw)


@given(st.text(max_size=80))
def test_any_text_gives_a_label_or_our_error(text: str) -> None:
    try:
        label = parse_gs1(text)
    except Gs1Error:
        return
    assert label.ais


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edge", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_cli_parse_gs1_prints_ais_as_json() -> None:
    done = _cli("parse-gs1", "]C10109506000134352172612311" + "0LOT42\\x1d3103000750")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ais": {
        "01": "09506000134352", "17": "2026-12-31", "10": "LOT42", "3103": "0.750"}}


def test_cli_parse_gs1_bad_input_exits_non_zero_with_a_clear_error() -> None:
    done = _cli("parse-gs1", "(01)09506000134353")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "check digit" in done.stderr and "Traceback" not in done.stderr


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


def test_a_cut_off_aim_identifier_is_our_error_not_a_crash() -> None:
    # found by the fuzz run: biip raised IndexError for a lone "]"
    import pytest

    from edge.gs1 import Gs1Error, parse_gs1
    for raw in ("]", "] ", "]\r\n"):
        with pytest.raises(Gs1Error):
            parse_gs1(raw)
