"""EPC decoding against GS1 EPC Tag Data Standard examples, bad input, and the unit ref rule."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.epc import (
    EpcError,
    EpcIdentity,
    EpcRole,
    decode_epc,
    decode_epc_json,
    epc_role,
    unit_ref_for,
)
from firmware_bridge.scenario import sscc96_hex

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
                   "filter": int(tag_uri.split(":")[4].split(".")[0]), "role": "unit", **key}
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


# TDS 2.x Appendix E.3 "Summary examples of all EPC schemes" (filter 3, company prefix
# 0614141): the standard's own binary encodings, written there padded to whole hex digits; a
# reader reports them padded to whole 16-bit words (TDS §15.1.1), which decodes the same.
TDS_E3 = [
    ("3074257BF7194E4000001A85", "urn:epc:tag:sgtin-96:3.0614141.812345.6789",
     {"gtin": "80614141123458", "serial": "6789"}),
    ("3674257BF6B7A659B2C2BF1000000000000000000000000000",
     "urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb",
     {"gtin": "70614141123451", "serial": "32a%2Fb"}),
    ("3174257BF4499602D2000000", "urn:epc:tag:sscc-96:3.0614141.1234567890",
     {"sscc": "106141412345678908"}),
    ("3274257BF46072000000162E", "urn:epc:tag:sgln-96:3.0614141.12345.5678",
     {"gln": "0614141123452", "gln_extension": "5678"}),
    ("3974257BF46072CD9615F8800000000000000000000000000",
     "urn:epc:tag:sgln-195:3.0614141.12345.32a%2Fb",
     {"gln": "0614141123452", "gln_extension": "32a%2Fb"}),
    ("3374257BF40C0E400000162E", "urn:epc:tag:grai-96:3.0614141.12345.5678",
     {"grai": "06141411234525678"}),
    ("3774257BF40C0E59B2C2BF100000000000000000000", "urn:epc:tag:grai-170:3.0614141.12345.32a%2Fb",
     {"grai": "061414112345232a/b"}),
    ("3474257BF40000000000162E", "urn:epc:tag:giai-96:3.0614141.5678", {"giai": "06141415678"}),
    ("3874257BF59B2C2BF1000000000000000000000000000000000",
     "urn:epc:tag:giai-202:3.0614141.32a%2Fb", {"giai": "061414132a/b"}),
]


@pytest.mark.parametrize(("hex_str", "tag_uri", "key"), TDS_E3)
def test_tds_e3_examples_decode_as_written_and_as_a_reader_reports_them(
        hex_str: str, tag_uri: str, key: dict[str, str]) -> None:
    scheme = tag_uri.split(":")[3]
    bits = int(scheme.split("-")[1])
    as_read = hex_str.ljust(((bits + 15) // 16) * 4, "0")  # the EPC bank: whole words
    for text in {hex_str, as_read}:
        ident = decode_epc(text)
        assert (ident.scheme, ident.tag_uri, ident.hex) == (scheme, tag_uri, as_read)
        assert ident.uri == tag_uri.replace(f"tag:{scheme}:3.", f"id:{scheme.split('-')[0]}:")
        assert {k: getattr(ident, k) for k in key} == key
        role = "location" if scheme.startswith("sgln") else "unit"
        assert ident.role.value == role and epc_role(text).value == role


# Bits after header, filter, partition 5 and the 24-bit (7-digit) company prefix, per scheme
# (TDS §14.5 coding tables); a str field is TDS §14.3.2 7-bit characters, zero-filled.
_REST: dict[str, tuple[tuple[int, type], ...]] = {
    "sgtin-96": ((20, int), (38, int)), "sgtin-198": ((20, int), (140, str)),
    "sscc-96": ((34, int),), "sgln-96": ((17, int), (41, int)),
    "sgln-195": ((17, int), (140, str)), "grai-96": ((20, int), (38, int)),
    "grai-170": ((20, int), (112, str)), "giai-96": ((58, int),), "giai-202": ((164, str),),
}
_HEADERS = {"sgtin-96": 0x30, "sscc-96": 0x31, "sgln-96": 0x32, "grai-96": 0x33,
            "giai-96": 0x34, "sgtin-198": 0x36, "grai-170": 0x37, "giai-202": 0x38,
            "sgln-195": 0x39}


def encode_tag_uri(tag_uri: str) -> str:
    """A 7-digit-prefix tag URI as the EPC bank's words, written independently of epcpy."""
    scheme, rest = tag_uri.split(":")[3], tag_uri.split(":")[4]
    filt, company, *parts = rest.split(".")
    value, width = _HEADERS[scheme], 8
    fields = [(int(filt), 3), (_PARTITION_7, 3), (int(company), 24)]
    for (bits, kind), part in zip(_REST[scheme], parts, strict=True):
        if kind is int:
            fields.append((int(part), bits))
        else:
            chars = urllib.parse.unquote(part)
            code = 0
            for ch in chars:  # 7 bits a character (TDS §14.3.2), then zeros
                code = (code << 7) | ord(ch)
            fields.append((code << (bits - 7 * len(chars)), bits))
    for field, bits in fields:
        value, width = (value << bits) | field, width + bits
    if scheme == "sscc-96":
        value, width = value << 24, width + 24
    words = (width + 15) // 16 * 16
    return f"{value << (words - width):0{words // 4}X}"


@pytest.mark.parametrize(("hex_str", "tag_uri", "_key"), TDS_E3)
def test_tds_e3_examples_round_trip_through_the_tag_uri(hex_str: str, tag_uri: str,
                                                        _key: dict[str, str]) -> None:
    ident = decode_epc(hex_str)
    assert encode_tag_uri(ident.tag_uri) == ident.hex  # encode what we decoded: same bits
    assert decode_epc(ident.hex) == ident


@pytest.mark.parametrize("prefix_digits", range(6, 13))
def test_sscc96_every_partition_round_trips(prefix_digits: int) -> None:
    """TDS Table 14-5: a 6-digit company prefix leaves 11 digits of serial reference."""
    company = "0614141234567"[:prefix_digits]
    reference = "98765432101"[: 17 - prefix_digits]
    hex_str = sscc96_hex(company, reference, filter_value=2)
    ident = decode_epc(hex_str)
    assert ident.uri == f"urn:epc:id:sscc:{company}.{reference}"
    body = (reference[0] + company + reference[1:])  # extension digit, prefix, serial ref
    assert ident.sscc is not None and ident.sscc[:17] == body
    assert unit_ref_for(hex_str).sscc == ident.sscc


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("3674257BF6B7A659B2C2BF1000000000000000000000000001", "must be 0"),  # padding bit set
        ("3674257BF6B7A659B2C2BF10000000000000000000000000", r"needs 52 \(or 50\)"),
        ("F7123456789ABCDEF0123456", "sgtin+"),  # TDS 2.0 '+' scheme: named, not guessed
        ("3274257BF46072000000162E00", "needs 24 hex digits"),
    ],
)
def test_lengths_padding_and_unsupported_schemes_are_refused_by_name(bad: str,
                                                                     words: str) -> None:
    with pytest.raises(EpcError, match=words):
        decode_epc(bad)
    assert epc_role(bad) is EpcRole.UNKNOWN


def test_cli_decodes_a_location_tag() -> None:
    out = subprocess.run([sys.executable, "-m", "edge", "decode-epc", "3274257BF46072000000162E"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    assert json.loads(out) == {
        "hex": "3274257BF46072000000162E", "scheme": "sgln-96", "role": "location",
        "uri": "urn:epc:id:sgln:0614141.12345.5678", "filter": 3,
        "tag_uri": "urn:epc:tag:sgln-96:3.0614141.12345.5678",
        "gln": "0614141123452", "gln_extension": "5678"}
