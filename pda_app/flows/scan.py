"""What one scan (keyboard wedge, camera) says: GS1 element strings, a unit, or plain text.

Rule kept here: a scan is read, never trusted — a string that claims GS1 (GS separator, AIM
id, HRI brackets) but does not parse cleanly is `unreadable`, not guessed at. GS1 General
Specifications §3 (AIs 00, 01, 10, 17, 30, 37) and §7.8.5 (FNC1 as GS, 0x1D).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import biip
from biip import ParseConfig
from biip.gs1_messages import GS1Message

GS = "\x1d"
GS_SHOWN = "\u241d"  # ␝: how a text field shows GS (str.splitlines() would split on GS)
MAX_SCAN = 512
_AIM_GS1 = ("]C1", "]d2", "]Q3", "]e0", "]J1")
_PLAIN_GTIN = re.compile(r"^(\d{8}|\d{12,14})$")
_EPC = re.compile(r"^(?:epc:)?([0-9A-Fa-f]{24}|[0-9A-Fa-f]{32})$")
_QUANTITY = re.compile(r"^\d{1,9}(?:[.,]\d{1,6})?$")


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan, read. `text` is the cleaned string; the other fields are what GS1 gave."""

    text: str
    gtin: str | None = None  # always 14 digits
    lot: str | None = None
    quantity: Decimal | None = None
    expiry: date | None = None
    sscc: str | None = None
    epc: str | None = None  # upper-case hex
    error: str | None = None  # set when the scan claimed a format and broke it

    @property
    def is_unit(self) -> bool:
        return self.sscc is not None or self.epc is not None

    @property
    def readable(self) -> bool:
        return self.error is None and bool(self.text)


def clean(raw: str) -> str:
    """Strip what scanners append (CR, LF, blanks) and stray GS at either end."""
    return raw.strip("\r\n \t" + GS)


def restore_gs(raw: str, substitute: str = "") -> str:
    """Turn the field's visible ␝ (and a scanner's configured stand-in) back into GS."""
    text = raw.replace(GS_SHOWN, GS)
    return text.replace(substitute, GS) if substitute else text


def read_scan(raw: str) -> Scan:
    """Read a scanner string. Never raises: a broken label comes back with `error` set."""
    text = clean(restore_gs(raw) if isinstance(raw, str) else "")
    if not text:
        return Scan(text="", error="empty scan")
    if len(text) > MAX_SCAN:
        return Scan(text=text[:40], error=f"scan is {len(text)} characters long")
    if not text.replace(GS, "").isprintable():
        return Scan(text=text, error="scan holds control characters")
    epc = _EPC.match(text)
    if epc and not text.isdigit():
        return Scan(text=text, epc=epc.group(1).upper())
    if _claims_gs1(text):
        return _read_gs1(text)
    return Scan(text=text)


def _claims_gs1(text: str) -> bool:
    if GS in text or text.startswith(_AIM_GS1) or text.startswith("("):
        return True
    if _PLAIN_GTIN.match(text) or (text.isdigit() and len(text) in (18, 20)):
        return True
    # A GS1-128 label without separators, e.g. "01" + GTIN-14 + "10" + lot at the end.
    return text.startswith("01") and len(text) >= 16 and text[2:16].isdigit()


def _read_gs1(text: str) -> Scan:
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        return _plain_gtin(text)
    if text.isdigit() and len(text) == 18:
        return _plain_sscc(text)
    try:
        if text.startswith("("):
            message = GS1Message.parse_hri(text, config=ParseConfig())
        else:
            message = biip.parse(text).gs1_message
    except (ValueError, biip.ParseError) as exc:
        return Scan(text=text, error=f"label unreadable: {exc}")
    if message is None or not message.element_strings:
        return Scan(text=text, error="label unreadable: no GS1 data")
    return _from_message(text, message)


def _plain_gtin(text: str) -> Scan:
    try:
        gtin = biip.gtin.Gtin.parse(text)
    except biip.ParseError:
        # Plain digits with a bad check digit may still be a SKU code or a location label.
        return Scan(text=text)
    return Scan(text=text, gtin=gtin.as_gtin_14())


def _plain_sscc(text: str) -> Scan:
    try:
        sscc = biip.sscc.Sscc.parse(text)
    except biip.ParseError:
        return Scan(text=text)
    return Scan(text=text, sscc=sscc.value)


def _from_message(text: str, message: GS1Message) -> Scan:
    fields: dict[str, object] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        if element.gtin_error or element.sscc_error:
            return Scan(text=text, error=f"label unreadable: AI ({ai}) check digit is wrong")
        if ai in ("01", "02") and element.gtin is not None:
            fields["gtin"] = element.gtin.as_gtin_14()
        elif ai == "00" and element.sscc is not None:
            fields["sscc"] = element.sscc.value
        elif ai == "10":
            fields["lot"] = element.value
        elif ai == "17" and element.date is not None:
            fields["expiry"] = element.date
        elif ai in ("30", "37"):
            fields["quantity"] = Decimal(element.value)
    if not fields:
        return Scan(text=text, error="label names no item, lot or pallet")
    return Scan(text=text, **fields)  # type: ignore[arg-type]


def read_quantity(text: str) -> Decimal | None:
    """A keyed quantity ("12", "2.5", "2,5"), or None when it is not a plain number."""
    value = clean(text)
    if not _QUANTITY.match(value):
        return None
    try:
        return Decimal(value.replace(",", "."))
    except InvalidOperation:
        return None


def same_gtin(a: str | None, b: str | None) -> bool:
    """GTIN-8/12/13/14 compare equal once zero-padded to 14 digits (GS1 GenSpecs §3.3.2)."""
    if a is None or b is None:
        return False
    return a.zfill(14) == b.zfill(14)
