"""EPC decoding against GS1 EPC Tag Data Standard examples, bad input, and the unit ref rule."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.epc import EpcError, EpcIdentity, decode_epc, decode_epc_json, unit_ref_for

# TDS §14.5 field layouts for company prefix length 7 (partition 5), encoded here
# independently of epcpy so the test checks the library rather than echoing it.
_PARTITION_7 = 5


def _pack(*fields: tuple[int, int]) -> str:
    value, width = 0, 0
    for field, bits in fields:
        assert 0 <= field < (1 << bits)
        value, width = (value << bits) | field, width + bits
    assert width == 96
    return f"{value:024X}"


def sgtin96(filt: int, company: int, item: int, serial: int) -> str:
    return _pack((0x30, 8), (filt, 3), (_PARTITION_7, 3), (company, 24), (item, 20), (serial, 38))


def sscc96(filt: int, company: int, serial_ref: int) -> str:
    return _pack((0x31, 8), (filt, 3), (_PARTITION_7, 3), (company, 24), (serial_ref, 34), (0, 24))


def grai96(filt: int, company: int, asset: int, serial: int) -> str:
    return _pack((0x33, 8), (filt, 3), (_PARTITION_7, 3), (company, 24), (asset, 20), (serial, 38))


def giai96(filt: int, company: int, asset_ref: int) -> str:
    return _pack((0x34, 8), (filt, 3), (_PARTITION_7, 3), (company, 24), (asset_ref, 58))


def test_tds_sgtin96_worked_example() -> None:
    # TDS Appendix E: urn:epc:tag:sgtin-96:3.0614141.812345.6789 ↔ 3074257BF7194E4000001A85.
    assert sgtin96(3, 614141, 812345, 6789) == "3074257BF7194E4000001A85"
    ident = decode_epc("3074257bf7194e4000001a85")
    assert ident == EpcIdentity(
        hex="3074257BF7194E4000001A85",
        scheme="sgtin-96",
        uri="urn:epc:id:sgtin:0614141.812345.6789",
        tag_uri="urn:epc:tag:sgtin-96:3.0614141.812345.6789",
        filter=3,
        gtin="80614141123458",
        serial="6789",
    )


@pytest.mark.parametrize(
    ("hex_str", "scheme", "uri", "tag_uri", "key"),
    [
        (  # TDS §6.3.2 example SSCC, filter 2 (full case)
            sscc96(2, 614141, 1234567890),
            "sscc-96",
            "urn:epc:id:sscc:0614141.1234567890",
            "urn:epc:tag:sscc-96:2.0614141.1234567890",
            {"sscc": "106141412345678908"},
        ),
        (  # TDS §6.3.5 example GRAI
            grai96(0, 614141, 12345, 400),
            "grai-96",
            "urn:epc:id:grai:0614141.12345.400",
            "urn:epc:tag:grai-96:0.0614141.12345.400",
            {"grai": "0614141123452400"},
        ),
        (  # TDS §6.3.6 example GIAI
            giai96(1, 614141, 12345400),
            "giai-96",
            "urn:epc:id:giai:0614141.12345400",
            "urn:epc:tag:giai-96:1.0614141.12345400",
            {"giai": "061414112345400"},
        ),
        (
            sgtin96(1, 614141, 812345, 0),
            "sgtin-96",
            "urn:epc:id:sgtin:0614141.812345.0",
            "urn:epc:tag:sgtin-96:1.0614141.812345.0",
            {"gtin": "80614141123458", "serial": "0"},
        ),
    ],
)
def test_tds_examples_decode(
    hex_str: str, scheme: str, uri: str, tag_uri: str, key: dict[str, str]
) -> None:
    got = decode_epc_json(hex_str)
    assert got == {"hex": hex_str, "scheme": scheme, "uri": uri, "tag_uri": tag_uri,
                   "filter": int(tag_uri.split(":")[4].split(".")[0]), **key}
    json.dumps(got)  # the CLI prints it as one JSON object


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("3074257BF7194E4000001AXY", "not hexadecimal"),
        ("3074257BF7194E4000001A85FF", "needs 24 hex digits"),  # epcpy would truncate
        ("3074257BF7194E40", "needs 24 hex digits"),
        ("E2801160600002054CC2096F", "not a supported scheme"),  # a TID-like raw EPC
        ("3", "not a supported scheme"),
        # partition 7 does not exist (TDS Table 14-2)
        ("30FFFFFFFFFFFFFFFFFFFFFF", "not a valid sgtin-96"),
        # company prefix 9,999,999 + 1 does not fit 7 digits
        (sgtin96(3, 10_000_000, 1, 1), "not a valid sgtin-96"),
        # item reference (indicator + 5 digits for a 7-digit prefix) above 999,999
        (sgtin96(3, 614141, 1_000_000, 1), "not a valid sgtin-96"),
    ],
)
def test_bad_epcs_raise_clear_errors(bad: str, words: str) -> None:
    with pytest.raises(EpcError, match=words):
        decode_epc(bad)


@given(st.text(alphabet="0123456789ABCDEFabcdefXYZ ", max_size=60))
def test_any_string_decodes_or_raises_our_error(text: str) -> None:
    try:
        ident = decode_epc(text)
    except EpcError:
        return
    assert ident.uri.startswith("urn:epc:id:")
    assert len(ident.hex) in (24, 44, 52)


@given(st.binary(min_size=12, max_size=12))
def test_random_96_bit_values_never_crash(raw: bytes) -> None:
    try:
        ident = decode_epc(raw.hex())
    except EpcError:
        return
    assert ident.hex == raw.hex().upper()


def test_unit_ref_names_sscc_pallets_by_sscc() -> None:
    ref = unit_ref_for(sscc96(2, 614141, 1234567890).lower())
    assert ref.sscc == "106141412345678908"
    assert ref.epc == sscc96(2, 614141, 1234567890)
    assert ref.key == "sscc:106141412345678908"


def test_unit_ref_keeps_epc_for_other_schemes_and_raw_tags() -> None:
    assert unit_ref_for("3074257BF7194E4000001A85").key == "epc:3074257BF7194E4000001A85"
    raw = unit_ref_for("E2801160600002054CC2096F")
    assert (raw.epc, raw.sscc) == ("E2801160600002054CC2096F", None)
    with pytest.raises(EpcError):
        unit_ref_for("not-hex")


def test_core_does_not_import_adapters() -> None:
    code = (
        "import sys, edge.epc, edge.reads, edge.portal;"
        "bad = {'sllurp','paho','psycopg','serial','cv2','kivy','fastapi'} & set(sys.modules);"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
