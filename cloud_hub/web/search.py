"""What a search query could be: a SKU, GTIN, lot, serial, EPC, SSCC or location code.

Rule kept here (pure): a scanned label is read by the one label reader (protocol.labels: AIM
ids, GS separators, HRI brackets, check digits), and typed digits of a GTIN's or an SSCC's
length are searched as one even with a wrong check digit (the catalog does not check them),
zero-padded to 14 for GTINs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from protocol.labels import LabelError, read_label


@dataclass(frozen=True, slots=True)
class FindTerms:
    text: str
    sscc: str | None
    gtin14: str | None
    epc: str | None
    lot: str | None = None  # AI 10 of a scanned GS1 label: its lot is searched as a lot
    serial: str | None = None  # AI 21 of a scanned GS1 label


def read_terms(query: str, today: date) -> FindTerms:
    """What a query could be. Pure: no database, no clock."""
    text = query.strip()
    try:
        label = read_label(text, today=today)
    except LabelError:
        label = None
    lot = serial = None
    if label is not None and label.is_gs1:
        sscc, gtin, lot, serial = label.sscc, label.gtin, label.lot, label.serial
    else:
        text = label.text if label is not None else text  # a plain label's AIM id dropped
        digits = text.isascii() and text.isdigit()
        sscc = text if digits and len(text) == 18 else None
        gtin = text.zfill(14) if digits and len(text) in (8, 12, 13, 14) else None
    epc = text.upper() if re.fullmatch(r"[0-9A-Fa-f]{8,128}", text) else None
    return FindTerms(text, sscc, gtin, epc, lot, serial)
