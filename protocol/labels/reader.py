"""The one label reader: what a scanner, camera or keyboard sent -> a GS1 reading or plain text.

Rule kept here: a string that claims GS1 — a GS1 symbology identifier, a GS (FNC1), HRI
brackets, or digits opening with an SSCC/GTIN element string — is read completely, every
check digit and date valid, or refused with a LabelError; anything else is a plain label
returned as its text (a bin code, a location, a SKU), never guessed at. Pure: `today` only
places two-digit years (GenSpecs §7.12).
"""

from __future__ import annotations

import re
from datetime import date

import biip
from biip import ParseConfig
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.upc import Upc

from protocol.errors import LabelError
from protocol.labels.elements import Raw, gs1_label
from protocol.labels.gs1 import GS, check_digit_ok, hri
from protocol.labels.label import Element, Label, LabelKind

MAX_LABEL_CHARS = 512
_FRAMING = "\r\n\t "  # what scanners append (suffix, terminator) or a keyboard adds
# Dates are ours to check (elements.py); biip would otherwise read the clock and refuse first.
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False)
# What biip may raise on hostile input (the old edge reader's fuzz run met IndexError), so a
# caller only ever sees LabelError.
_BIIP_FAILURES = (biip.ParseError, ValueError, IndexError, KeyError, TypeError)

# ISO/IEC 15424 symbology identifiers used in the GS1 system (GenSpecs Figure 5.1.2-2):
# these carry GS1 element strings with FNC1 in first position ...
GS1_MESSAGE_SYMBOLOGIES = frozenset({"]C1", "]e0", "]e1", "]e2", "]d2", "]Q3", "]J1"})
# ... and these carry one GTIN: EAN-13/UPC-A/UPC-E, EAN-13 with add-on, EAN-8, ITF-14.
GTIN_SYMBOLOGIES = frozenset({"]E0", "]E3", "]E4", "]I1"})
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_HRI_START = re.compile(r"\(\d{2,4}\)")
_HRI_PAIR = re.compile(r"\((\d{2,4})\)([^()]*)")
# Unflagged digits are read as element strings only when they open with a key a label is
# about, so a numeric SKU or bin code ("10123") is not taken for a lot (AI 10).
_OPENING_KEYS = {"00": 18, "01": 14, "02": 14}
_KEY_LENGTHS = {8: "GTIN-8", 12: "GTIN-12", 13: "GTIN-13", 14: "GTIN-14", 18: "SSCC"}


def clean(raw: str) -> str:
    """Strip the scanner's framing: CR, LF, TAB and blanks around, GS runs at the end (a
    closing FNC1 some printers add). A leading GS stays: it is FNC1 in first position."""
    return raw.lstrip(_FRAMING).rstrip(_FRAMING + GS)  # one pass each: linear on any input


def read_label(raw: str, *, today: date) -> Label:
    """Read one scan. LabelError (a ContractError) for input no label can be and for a
    label that claims GS1 and breaks it; a Label of kind GS1 or PLAIN otherwise."""
    if not isinstance(raw, str):
        raise LabelError(f"a scan is text, not {type(raw).__name__}")
    text = clean(raw)
    if not text:
        raise LabelError("empty scan")
    if len(text) > MAX_LABEL_CHARS:
        raise LabelError(f"scan is {len(text)} characters, over the {MAX_LABEL_CHARS} limit")
    if not text.replace(GS, "").isprintable():
        raise LabelError("scan holds control characters")
    if text.startswith("]"):
        return _with_symbology(text, today)
    return _unflagged(text, today)


def _with_symbology(text: str, today: date) -> Label:
    if not _AIM.match(text):
        raise LabelError(f"{text[:3]!r} is not a symbology identifier (ISO/IEC 15424)")
    aim, data = text[:3], text[3:]
    if aim in GS1_MESSAGE_SYMBOLOGIES:
        # Some scanners also send the implied first FNC1 as GS after the identifier.
        return _element_strings(data.lstrip(GS), aim, today)
    if aim in GTIN_SYMBOLOGIES and not (aim == "]I1" and len(data) != 14):
        return _gtin_symbol(data, aim)
    if not data:
        raise LabelError(f"no data after the symbology identifier {aim}")
    return Label(LabelKind.PLAIN, data, aim)  # ]C0 Code 128, ]d1 Data Matrix, ]Q1 QR, ]I0 …


def _gtin_symbol(data: str, aim: str) -> Label:
    """EAN/UPC (ISO/IEC 15420) and ITF-14 carry a GTIN and nothing else (GenSpecs §5.2)."""
    digits = data[:13] if aim == "]E3" and len(data) in (15, 18) else data  # add-on dropped
    if aim == "]E0" and len(digits) == 8:  # UPC-E as sent compressed: expand to UPC-A
        try:
            digits = Upc.parse(digits, config=_CONFIG).as_upc_a()
        except biip.ParseError as exc:
            raise LabelError(f"not a UPC-E: {exc}", aim) from None
    lengths = (8,) if aim == "]E4" else (14,) if aim == "]I1" else (12, 13)
    if not digits.isascii() or not digits.isdigit() or len(digits) not in lengths:
        raise LabelError(f"{data!r} is not the GTIN such a symbol carries", aim)
    if not check_digit_ok(digits):
        raise LabelError(f"check digit is wrong in GTIN {digits}", aim)
    gtin = digits.zfill(14)
    return Label(LabelKind.GS1, data, aim, (Element("01", gtin),), gtin=gtin)


def _unflagged(text: str, today: date) -> Label:
    """No symbology identifier: what the text itself claims decides (see the module rule)."""
    if text.startswith(GS):  # FNC1 in first position, sent as GS: the GS1 flag
        return _element_strings(text.lstrip(GS), None, today)
    if _HRI_START.match(text):
        return _hri(text, today)
    if GS in text:
        return _element_strings(text, None, today)
    if text.isascii() and text.isdigit():
        keyed = _keyed(text)
        if keyed is not None:
            return keyed
    if _opens_with_key(text):
        return _element_strings(text, None, today)
    return Label(LabelKind.PLAIN, text, note=_why_plain(text))


def _opens_with_key(text: str) -> bool:
    length = _OPENING_KEYS.get(text[:2], 0)
    key = text[2:2 + length]
    return length > 0 and len(key) == length and key.isascii() and key.isdigit()


def _keyed(digits: str) -> Label | None:
    """Digits alone: an EAN/UPC/ITF-14 read without identifier, or a GTIN or SSCC keyed in
    from the HRI; only when the check digit agrees."""
    if len(digits) not in _KEY_LENGTHS or not check_digit_ok(digits):
        return None
    if len(digits) == 18:
        return Label(LabelKind.GS1, digits, None, (Element("00", digits),), sscc=digits)
    gtin = digits.zfill(14)
    return Label(LabelKind.GS1, digits, None, (Element("01", gtin),), gtin=gtin)


def _why_plain(text: str) -> str | None:
    name = _KEY_LENGTHS.get(len(text))
    if name is not None and text.isascii() and text.isdigit():
        return f"{len(text)} digits, but the check digit of a {name} is wrong"
    return None


def _element_strings(data: str, aim: str | None, today: date) -> Label:
    """GS1 element strings with GS after variable-length data (GenSpecs §7.8.5)."""
    if not data:
        raise LabelError(f"no GS1 element strings after {aim or 'FNC1'}")
    try:
        message = GS1Message.parse(data, config=_CONFIG)
    except _BIIP_FAILURES as exc:
        raise LabelError(f"not GS1 element strings: {exc}") from None
    raws = [Raw(found.ai.ai, found.value) for found in message.element_strings]
    return gs1_label(data, aim, raws, today)


def _hri(text: str, today: date) -> Label:
    """The bracketed human-readable form, '(01)09506000134352(10)LOT'; blanks that group
    printed digits are dropped, anything else outside the brackets is refused."""
    compact = text.replace(" ", "")
    pairs: list[tuple[str, str]] = _HRI_PAIR.findall(compact)
    if hri(pairs) != compact:
        raise LabelError("not GS1 HRI text: expected (AI)data(AI)data…")
    raws = []
    for ai, value in pairs:
        try:
            found = GS1ElementString.parse(ai + value, config=_CONFIG)
        except _BIIP_FAILURES as exc:
            raise LabelError(f"not GS1 HRI text: {exc}", f"({ai})") from None
        if found.ai.ai != ai:
            raise LabelError(f"unknown AI in GS1 HRI text {ai!r}", f"({ai})")
        raws.append(Raw(ai, found.value))
    return gs1_label(text, None, raws, today)
