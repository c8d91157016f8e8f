"""What one scanned label says: a GS1 reading with typed fields, or plain text.

Rule kept here: a Label is only ever made by the reader (protocol.labels.reader), so every
field of a GS1 reading has passed its check digit, date and length rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class LabelKind(StrEnum):
    GS1 = "gs1"  # GS1 element strings, or an EAN/UPC/ITF-14 GTIN, or a keyed GTIN/SSCC
    PLAIN = "plain"  # anything else: a bin or location code, a SKU, a plain Code 128 or QR


@dataclass(frozen=True, slots=True)
class Element:
    """One GS1 element string: the AI and its data as encoded, with what the data means
    when the AI is a date, a date and time or a variable measure (None otherwise)."""

    ai: str
    value: str
    meaning: date | datetime | Decimal | None = None

    def shown(self) -> str:
        """The data for people: dates ISO 8601, measures with their decimal point."""
        if isinstance(self.meaning, date | datetime):
            return self.meaning.isoformat()
        if isinstance(self.meaning, Decimal):
            return str(self.meaning)
        return self.value


@dataclass(frozen=True, slots=True)
class Label:
    """One scan, read. `text` is the data without AIM id or the scanner's framing (CR, LF,
    trailing GS): for a plain label it is the whole answer (a bin code such as A01-03-2).
    """

    kind: LabelKind
    text: str
    symbology: str | None = None  # ISO/IEC 15424 id as sent ("]C1"); None when none was sent
    elements: tuple[Element, ...] = ()
    gtin: str | None = None  # AI 01, or the GTIN of an EAN/UPC/ITF-14: always 14 digits
    content_gtin: str | None = None  # AI 02: the trade items a logistic unit holds
    sscc: str | None = None  # AI 00: 18 digits
    lot: str | None = None  # AI 10
    serial: str | None = None  # AI 21
    production_date: date | None = None  # AI 11
    packaging_date: date | None = None  # AI 13
    best_before: date | None = None  # AI 15
    sell_by: date | None = None  # AI 16
    expiry: date | None = None  # AI 17
    quantity: Decimal | None = None  # AI 37 (count of trade items), else AI 30 (variable count)
    net_weight_kg: Decimal | None = None  # AI 310n
    note: str | None = None  # for a plain label: why it was not read as GS1, when it looked so

    @property
    def is_gs1(self) -> bool:
        return self.kind is LabelKind.GS1

    def get(self, ai: str) -> str | None:
        """The data of `ai` as encoded, or None."""
        for element in self.elements:
            if element.ai == ai:
                return element.value
        return None

    def as_dict(self) -> dict[str, str]:
        """AI -> data as people read it (see Element.shown), in label order."""
        return {element.ai: element.shown() for element in self.elements}
