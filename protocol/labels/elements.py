"""GS1 element strings -> a checked Label: check digits, dates, measures, typed fields.

Rule kept here: biip splits the element strings and knows each AI's format; every meaning
is decided here, against our own rules, so nothing biip tolerates slips through (it keeps a
wrong check digit as `gtin_error`, and it reads the clock to place a two-digit year).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from protocol.errors import LabelError
from protocol.labels.gs1 import CHECKED_KEYS, DATE_AIS, MOMENT_AIS, check_digit_ok, read_date
from protocol.labels.gs1 import read_moment as _read_moment
from protocol.labels.label import Element, Label, LabelKind

# Variable measures and amounts: the AI's last digit is the count of decimals (GenSpecs §3.6).
_DECIMAL_PREFIXES = ("31", "32", "33", "34", "35", "36", "390", "392", "394")


@dataclass(frozen=True, slots=True)
class Raw:
    """An element string as split from the label, before any meaning is given to it."""

    ai: str
    value: str


def element(raw: Raw, today: date) -> Element:
    """One element string checked and given its meaning; LabelError names the AI."""
    ai, value = raw.ai, raw.value
    field = f"({ai})"
    if not value:
        raise LabelError("no data after the AI", field)
    if not value.isascii():  # biip's patterns use \d, which matches any script's digits
        raise LabelError(f"{value!r} is not GS1 data: ASCII only (GenSpecs §7.11)", field)
    span = CHECKED_KEYS.get(ai)
    if span is not None:
        start, length = span
        key = value[start:start + length]
        if len(key) != length or not check_digit_ok(key):
            raise LabelError(f"check digit is wrong in {value!r}", field)
    try:
        return Element(ai, value, _meaning(ai, value, today))
    except ValueError as exc:
        raise LabelError(str(exc), field) from None


def _meaning(ai: str, value: str, today: date) -> date | datetime | Decimal | None:
    if ai in DATE_AIS:
        return read_date(value, today, day_00=DATE_AIS[ai])
    if ai in MOMENT_AIS:
        return read_date(value, today, day_00=False) if len(value) == 6 else _read_moment(
            value, today)
    if len(ai) == 4 and ai.startswith(_DECIMAL_PREFIXES) and value.isdigit():
        return Decimal(value).scaleb(-int(ai[3]))
    return None


def gs1_label(text: str, symbology: str | None, raws: Iterable[Raw], today: date) -> Label:
    """The Label of checked element strings; an AI given twice must carry the same data
    (GenSpecs §4.14)."""
    elements: dict[str, Element] = {}
    for raw in raws:
        checked = element(raw, today)
        kept = elements.setdefault(raw.ai, checked)
        if kept.value != checked.value:
            raise LabelError(f"given twice with different data ({kept.value!r}, "
                             f"{checked.value!r})", f"({raw.ai})")
    if not elements:
        raise LabelError("no GS1 element strings")
    return _typed(text, symbology, tuple(elements.values()))


def _typed(text: str, symbology: str | None, elements: tuple[Element, ...]) -> Label:
    data = {item.ai: item.value for item in elements}
    meant = {item.ai: item.meaning for item in elements}

    def day(ai: str) -> date | None:
        found = meant.get(ai)
        return found if isinstance(found, date) and not isinstance(found, datetime) else None

    def number(ai: str) -> Decimal | None:
        found = meant.get(ai)
        return found if isinstance(found, Decimal) else None

    # A count is digits by its AI's format (N..8), so Decimal() cannot fail on it.
    counts = [Decimal(data[ai]) for ai in ("37", "30") if ai in data]
    weight = next((number(ai) for ai in data if ai.startswith("310")), None)
    return Label(
        LabelKind.GS1, text, symbology, elements,
        gtin=data.get("01"), content_gtin=data.get("02"), sscc=data.get("00"),
        lot=data.get("10"), serial=data.get("21"),
        production_date=day("11"), packaging_date=day("13"), best_before=day("15"),
        sell_by=day("16"), expiry=day("17"),
        quantity=counts[0] if counts else None, net_weight_kg=weight)
