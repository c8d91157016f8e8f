"""EPC binary (hex) → GS1 identity (EPC TDS 2.0 §14): scheme, pure identity URI, tag URI, key.

Rule kept here: a hex string either decodes completely and in range, or raises EpcError;
epcpy does the bit-level work, we check what it lets through (length, alphabet, scheme).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from epcpy import ConvertException, hex_to_tag_encodable

from protocol import UnitRef

_HEX = re.compile(r"^[0-9A-Fa-f]+$")

# TDS §14.2 header byte → (scheme, length of the binary encoding in bits); the hex on the
# tag is the encoding padded to a whole number of 16-bit words (TDS §15.1.1).
_SCHEMES: dict[int, tuple[str, int]] = {
    0x30: ("sgtin-96", 96),
    0x31: ("sscc-96", 96),
    0x33: ("grai-96", 96),
    0x34: ("giai-96", 96),
    0x36: ("sgtin-198", 198),
    0x37: ("grai-170", 170),
    0x38: ("giai-202", 202),
}


class EpcError(ValueError):
    """The hex string is not an EPC we can decode (bad hex, length, scheme or field value)."""


@dataclass(frozen=True, slots=True)
class EpcIdentity:
    """What a tag's EPC names, in GS1 terms; key fields not of this scheme are None."""

    hex: str
    scheme: str
    uri: str
    tag_uri: str
    filter: int
    gtin: str | None = None
    serial: str | None = None
    sscc: str | None = None
    grai: str | None = None
    giai: str | None = None


def _check_shape(hex_str: str) -> tuple[str, int]:
    text = hex_str.strip()
    if not text:
        raise EpcError("empty EPC: expected hexadecimal digits")
    if not _HEX.match(text):
        raise EpcError(f"EPC {hex_str!r} is not hexadecimal")
    upper = text.upper()
    header = int(upper[:2], 16) if len(upper) >= 2 else -1
    if header not in _SCHEMES:
        raise EpcError(
            f"EPC {upper}: header 0x{upper[:2]} is not a supported scheme "
            f"(supported: {', '.join(s for s, _ in _SCHEMES.values())})"
        )
    scheme, bits = _SCHEMES[header]
    want = ((bits + 15) // 16) * 4
    if len(upper) != want:
        raise EpcError(f"EPC {upper}: {scheme} needs {want} hex digits, got {len(upper)}")
    return upper, header


def decode_epc(hex_str: str) -> EpcIdentity:
    """Decode an EPC memory bank (hex, without PC bits) into its GS1 identity."""
    upper, header = _check_shape(hex_str)
    scheme = _SCHEMES[header][0]
    try:
        tag = hex_to_tag_encodable(upper)
    except (ConvertException, ValueError, KeyError, IndexError) as exc:
        raise EpcError(f"EPC {upper}: not a valid {scheme} encoding ({exc})") from exc
    uri: str = tag.epc_uri
    # TDS §14.5: the 3-bit filter value follows the 8-bit header in every scheme we accept.
    filter_value = (int(upper[2], 16) >> 1) & 0b111
    body = uri.split(":", 4)[4]
    tag_uri = f"urn:epc:tag:{scheme}:{filter_value}.{body}"
    key = str(tag.gs1_key())
    family = scheme.split("-")[0]
    fields: dict[str, str | None] = (
        {"gtin": key, "serial": body.rsplit(".", 1)[1]} if family == "sgtin" else {family: key}
    )
    return EpcIdentity(
        hex=upper, scheme=scheme, uri=uri, tag_uri=tag_uri, filter=filter_value, **fields
    )


def decode_epc_json(hex_str: str) -> dict[str, str | int]:
    """The identity as one flat JSON-ready object (None fields left out) for the CLI."""
    return {k: v for k, v in asdict(decode_epc(hex_str)).items() if v is not None}


def unit_ref_for(hex_str: str) -> UnitRef:
    """The ledger's name for a tagged unit: always the EPC, plus the SSCC for an SSCC EPC,
    so a pallet scanned by barcode and one read by RFID are the same unit."""
    text = hex_str.strip()
    if not _HEX.match(text) or not 8 <= len(text) <= 128:
        raise EpcError(f"EPC {hex_str!r} is not 8 to 128 hexadecimal digits")
    try:
        identity = decode_epc(text)
    except EpcError:
        return UnitRef(epc=text.upper())
    return UnitRef(epc=identity.hex, sscc=identity.sscc)
