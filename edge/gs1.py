"""GS1 barcode strings (scanner or camera) -> application identifiers, checked strictly.

Rule kept here: a string is either read completely and consistently — every check digit
valid, no AI given twice with different values, no competing reading of plain digits — or
refused with a Gs1Error naming what is wrong (GS1 General Specifications §3, §7.9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import biip
from biip import ParseConfig
from biip.gs1_messages import GS1ElementString, GS1Message
from biip.gtin import Gtin
from pydantic import ValidationError

from protocol import ItemLine, UnitRef
from protocol.codec import describe

GS = "\x1d"
MAX_LENGTH = 512
GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0", "]e1", "]e2", "]J1"}
EAN_UPC_SYMBOLOGIES = {"]E0", "]E1", "]E2", "]E3", "]E4", "]I1"}
PLAIN_GTIN_LENGTHS = {8, 12, 13, 14}


class Gs1Error(ValueError):
    """A barcode string that is not a complete, valid GS1 message."""


@dataclass(frozen=True, slots=True)
class Gs1Label:
    """The element strings of one label: AI -> value (dates ISO, decimals with their point)."""

    ais: tuple[tuple[str, str], ...]
    raw: str

    def get(self, ai: str) -> str | None:
        for key, value in self.ais:
            if key == ai:
                return value
        return None

    def as_dict(self) -> dict[str, str]:
        return dict(self.ais)


def clean(raw: str) -> str:
    """Strip what scanners append (CR, LF, spaces) and trailing GS separators."""
    text = raw.strip("\r\n \t")
    while text.endswith(GS):
        text = text[:-1].rstrip("\r\n \t")
    return text


def parse_gs1(raw: str) -> Gs1Label:
    """Read a raw scanner string (]C1/]d2/]Q3 + GS separators, plain digits) or HRI text."""
    if not isinstance(raw, str):
        raise Gs1Error(f"expected text, not {type(raw).__name__}")
    text = clean(raw)
    if not text:
        raise Gs1Error("empty barcode")
    if len(text) > MAX_LENGTH:
        raise Gs1Error(f"barcode is {len(text)} characters, over the {MAX_LENGTH} limit")
    if not text.isprintable() and not text.replace(GS, "").isprintable():
        raise Gs1Error("barcode holds control characters other than GS")
    if text.startswith("("):
        return _from_message(_parse_hri(text), text)
    return _from_raw(text)


def _parse_hri(text: str) -> GS1Message:
    try:
        return GS1Message.parse_hri(text, config=ParseConfig())
    except (ValueError, biip.ParseError) as exc:
        raise Gs1Error(f"not a GS1 HRI string: {exc}") from None
    except (IndexError, KeyError, TypeError) as exc:  # biip trips on some truncated input
        raise Gs1Error(f"not a GS1 HRI string: {exc!r}") from None


def _from_raw(text: str) -> Gs1Label:
    try:
        result = biip.parse(text)
    except (ValueError, biip.ParseError) as exc:
        raise Gs1Error(f"not a GS1 barcode: {exc}") from None
    except (IndexError, KeyError, TypeError) as exc:  # e.g. "]" alone: a cut-off AIM id
        raise Gs1Error(f"not a GS1 barcode: {exc!r}") from None
    symbology = result.symbology_identifier.value if result.symbology_identifier else None
    if symbology in EAN_UPC_SYMBOLOGIES or (symbology is None and _plain_gtin_digits(text)):
        # A retail/ITF-14 symbol carries just a GTIN; a competing AI reading is refused.
        if result.gtin is None:
            raise Gs1Error(f"invalid GTIN: {result.gtin_error}")
        return Gs1Label((("01", result.gtin.as_gtin_14()),), text)
    if symbology is not None and symbology not in GS1_SYMBOLOGIES:
        raise Gs1Error(f"symbology {symbology} does not carry GS1 data")
    if result.gs1_message is None:
        raise Gs1Error(f"not a GS1 message: {result.gs1_message_error}")
    return _from_message(result.gs1_message, text)


def _plain_gtin_digits(text: str) -> bool:
    return text.isdigit() and len(text) in PLAIN_GTIN_LENGTHS


def _from_message(message: GS1Message, raw: str) -> Gs1Label:
    if not message.element_strings:
        raise Gs1Error("no GS1 element strings")
    pairs: dict[str, str] = {}
    for element in message.element_strings:
        ai = element.ai.ai
        value = _value_of(element)
        if ai in pairs and pairs[ai] != value:
            raise Gs1Error(f"AI ({ai}) given twice with different values")
        pairs[ai] = value
    return Gs1Label(tuple(pairs.items()), raw)


def _value_of(element: GS1ElementString) -> str:
    ai = element.ai.ai
    if element.gtin_error:
        raise Gs1Error(f"AI ({ai}): {element.gtin_error}")
    if element.sscc_error:
        raise Gs1Error(f"AI ({ai}): {element.sscc_error}")
    if element.gln_error:
        raise Gs1Error(f"AI ({ai}): {element.gln_error}")
    if ai in ("01", "02") and element.gtin is None:
        raise Gs1Error(f"AI ({ai}): not a valid GTIN {element.value!r}")
    if ai == "00" and element.sscc is None:
        raise Gs1Error(f"AI (00): not a valid SSCC {element.value!r}")
    if isinstance(element.datetime, datetime):
        return element.datetime.isoformat()
    if isinstance(element.date, date):
        return element.date.isoformat()
    if isinstance(element.decimal, Decimal):
        return str(element.decimal)
    return element.value


def gtin14(value: str) -> str:
    """A valid GTIN of any length as 14 digits (for labels read as plain digits)."""
    return Gtin.parse(value).as_gtin_14()


# -- what a label names, in the contract's terms ------------------------------------------------
# Quantity AIs: count (30, 37) and net weight in kg (310n: n decimals, already applied by biip).
_COUNT_AIS = ("37", "30")
_NET_KG_AIS = tuple(f"310{n}" for n in range(10))


def label_subject(label: Gs1Label) -> UnitRef | ItemLine:
    """An SSCC label names a handling unit; a GTIN label names an item quantity (default 1).

    Gs1Error when the label names neither or its fields do not make a valid item.
    """
    sscc = label.get("00")
    if sscc is not None:
        return UnitRef(sscc=sscc)
    gtin = label.get("01")
    if gtin is None:
        raise Gs1Error("label has neither an SSCC (00) nor a GTIN (01)")
    quantity, uom = Decimal(1), "EA"
    for ai in _COUNT_AIS:
        if label.get(ai) is not None:
            quantity = Decimal(label.get(ai) or "0")
    for ai in _NET_KG_AIS:
        if label.get(ai) is not None:
            quantity, uom = Decimal(label.get(ai) or "0"), "KGM"
    expiry = label.get("17")
    try:
        return ItemLine(gtin=gtin, lot=label.get("10"), serial=label.get("21"),
                        expiry=date.fromisoformat(expiry) if expiry else None,
                        quantity=quantity, uom=uom)
    except ValidationError as exc:
        raise Gs1Error(f"label is not a valid item: {describe(exc)}") from None
