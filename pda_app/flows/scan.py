"""What one scan (keyboard wedge, camera) says on the PDA: an item, a pallet, a tag or text.

Rule kept here: the label itself is read by protocol.labels (the one reader the edge and the
hub use too); this module only adds what the PDA needs around it — EPC hex typed or scanned
as text, and an answer instead of an exception: a scan that claims a format (AIM id, GS, HRI
brackets, GS1 digits) and breaks it comes back `unreadable`, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from protocol.labels import GS, Label, LabelError, clean, read_label

GS_SHOWN = "\u241d"  # ␝: how a text field shows GS (str.splitlines() would split on GS)
_EPC = re.compile(r"^(?:epc:)?([0-9A-Fa-f]{24}|[0-9A-Fa-f]{32})$")
_QUANTITY = re.compile(r"^\d{1,9}(?:[.,]\d{1,6})?$")
_SHOWN_WHEN_BROKEN = 40  # characters of a refused scan kept for the message


@dataclass(frozen=True, slots=True)
class Scan:
    """One scan, read. `text` is the cleaned data without AIM id; the others are what GS1 gave."""

    text: str
    gtin: str | None = None  # always 14 digits (AI 01, an EAN/UPC, or AI 02 on a pallet label)
    lot: str | None = None
    quantity: Decimal | None = None
    expiry: date | None = None
    serial: str | None = None  # AI 21: a serialised item
    sscc: str | None = None
    epc: str | None = None  # upper-case hex
    error: str | None = None  # set when the scan claimed a format and broke it

    @property
    def is_unit(self) -> bool:
        return self.sscc is not None or self.epc is not None

    @property
    def readable(self) -> bool:
        return self.error is None and bool(self.text)


def restore_gs(raw: str, substitute: str = "") -> str:
    """Turn the field's visible ␝ (and a scanner's configured stand-in) back into GS."""
    text = raw.replace(GS_SHOWN, GS)
    return text.replace(substitute, GS) if substitute else text


def read_scan(raw: str, today: date) -> Scan:
    """Read a scanner string. Never raises: a broken label comes back with `error` set."""
    text = restore_gs(raw) if isinstance(raw, str) else ""
    try:
        label = read_label(text, today=today)
    except LabelError as exc:
        return Scan(text=clean(text)[:_SHOWN_WHEN_BROKEN], error=str(exc))
    if not label.is_gs1:
        epc = _EPC.match(label.text)
        if epc and not label.text.isdigit():
            return Scan(text=label.text, epc=epc.group(1).upper())
        return Scan(text=label.text)
    return _from_label(label)


def _from_label(label: Label) -> Scan:
    scan = Scan(text=label.text, gtin=label.gtin or label.content_gtin, lot=label.lot,
                quantity=label.quantity, expiry=label.expiry, serial=label.serial,
                sscc=label.sscc)
    if scan.gtin is None and scan.sscc is None and scan.lot is None and scan.quantity is None \
            and scan.expiry is None:
        return Scan(text=label.text, error="label names no item, lot or pallet")
    return scan


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
