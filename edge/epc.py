"""EPC binary (hex) → GS1 identity (EPC TDS 2.x §14): scheme, pure identity URI, tag URI, key.

Rule kept here: a hex string either decodes completely and in range, or raises EpcError;
epcpy does the bit-level work, we check what it lets through (length, padding, alphabet,
scheme). What a tag names decides its role at a door: a unit that moves, or a location marker.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from enum import StrEnum

from epcpy import ConvertException, hex_to_tag_encodable
from epcpy.epc_schemes.base_scheme import GS1Keyed

from protocol import UnitRef

_HEX = re.compile(r"^[0-9A-Fa-f]+$")

# TDS 2.x §14.2 Table 14-1: header byte → (scheme, bits of the binary encoding). epcpy 0.1.8
# decodes these; the GS1 keys moved by a warehouse are SGTIN (items), SSCC (logistic units),
# GRAI (returnable pallets, crates) and GIAI (assets); SGLN names a location (§6.3.3).
_SCHEMES: dict[int, tuple[str, int]] = {
    0x30: ("sgtin-96", 96),
    0x31: ("sscc-96", 96),
    0x32: ("sgln-96", 96),
    0x33: ("grai-96", 96),
    0x34: ("giai-96", 96),
    0x36: ("sgtin-198", 198),
    0x37: ("grai-170", 170),
    0x38: ("giai-202", 202),
    0x39: ("sgln-195", 195),
}
# TDS 2.0 §14.5 '+' schemes (GS1 Digital Link AI encodings): recognised, not decoded.
_NOT_DECODED = {0xF7: "sgtin+", 0xF9: "sscc+", 0xFB: "dsgtin+"}


class EpcError(ValueError):
    """The hex string is not an EPC we can decode (bad hex, length, scheme or field value)."""


class EpcRole(StrEnum):
    """What a read of the tag means to the gateway."""

    UNIT = "unit"  # a thing that moves: SGTIN, SSCC, GRAI, GIAI
    LOCATION = "location"  # a fixed marker naming a place (SGLN): never moved
    UNKNOWN = "unknown"  # not a GS1 EPC we decode (raw, TID-like, another scheme)


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
    gln: str | None = None
    gln_extension: str | None = None  # SGLN: "0" when the tag names the GLN itself

    @property
    def role(self) -> EpcRole:
        return EpcRole.LOCATION if self.gln is not None else EpcRole.UNIT


def _check_shape(hex_str: str) -> tuple[str, int]:
    """The EPC as a reader reports it: the encoding padded with zero bits to whole 16-bit
    words (TDS §15.1.1, the EPC bank's length in the PC word); the TDS's own examples are
    written padded to whole hex digits only, so that form is accepted too."""
    text = hex_str.strip()
    if not text:
        raise EpcError("empty EPC: expected hexadecimal digits")
    if not _HEX.match(text):
        raise EpcError(f"EPC {hex_str!r} is not hexadecimal")
    upper = text.upper()
    header = int(upper[:2], 16) if len(upper) >= 2 else -1
    if header not in _SCHEMES:
        if header in _NOT_DECODED:
            raise EpcError(f"EPC {upper}: header 0x{upper[:2]} is {_NOT_DECODED[header]} (TDS "
                           "2.0 §14.5), which this gateway does not decode")
        raise EpcError(
            f"EPC {upper}: header 0x{upper[:2]} is not a supported scheme "
            f"(supported: {', '.join(s for s, _ in _SCHEMES.values())})"
        )
    scheme, bits = _SCHEMES[header]
    words, digits = ((bits + 15) // 16) * 4, (bits + 3) // 4
    if len(upper) not in (digits, words):
        want = f"{words}" if words == digits else f"{words} (or {digits})"
        raise EpcError(f"EPC {upper}: {scheme} needs {want} hex digits, got {len(upper)}")
    value = int(upper, 16)
    if value & ((1 << (len(upper) * 4 - bits)) - 1):
        raise EpcError(f"EPC {upper}: {scheme} is {bits} bits; the bits after them must be 0")
    return upper.ljust(words, "0"), header


def decode_epc(hex_str: str) -> EpcIdentity:
    """Decode an EPC memory bank (hex, without PC bits) into its GS1 identity."""
    upper, header = _check_shape(hex_str)
    scheme = _SCHEMES[header][0]
    try:
        tag = hex_to_tag_encodable(upper)
        if not isinstance(tag, GS1Keyed):  # every scheme in _SCHEMES is: epcpy decides, though
            raise ValueError("the tag has no GS1 key")
        uri: str = tag.epc_uri
        key = str(tag.gs1_key())
    except (ConvertException, ValueError, KeyError, IndexError, AttributeError) as exc:
        raise EpcError(f"EPC {upper}: not a valid {scheme} encoding ({exc})") from exc
    # TDS §14.5: the 3-bit filter value follows the 8-bit header in every scheme we accept.
    filter_value = (int(upper[2], 16) >> 1) & 0b111
    body = uri.split(":", 4)[4]
    family = scheme.split("-")[0]
    fields: dict[str, str | None]
    if family == "sgtin":
        fields = {"gtin": key, "serial": body.rsplit(".", 1)[1]}
    elif family == "sgln":
        fields = {"gln": key, "gln_extension": body.rsplit(".", 1)[1]}
    else:
        fields = {family: key}
    return EpcIdentity(hex=upper, scheme=scheme, uri=uri,
                       tag_uri=f"urn:epc:tag:{scheme}:{filter_value}.{body}",
                       filter=filter_value, **fields)


def decode_epc_json(hex_str: str) -> dict[str, str | int]:
    """The identity as one flat JSON-ready object (None fields left out) for the CLI."""
    identity = decode_epc(hex_str)
    out = {k: v for k, v in asdict(identity).items() if v is not None}
    return {**out, "role": identity.role.value}


def epc_role(hex_str: str) -> EpcRole:
    """A unit, a location marker, or not an EPC we decode (never raises)."""
    try:
        return decode_epc(hex_str).role
    except EpcError:
        return EpcRole.UNKNOWN


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
