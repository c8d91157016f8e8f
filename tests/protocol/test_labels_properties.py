"""Properties of the label reader: any input gives a Label or a LabelError; labels built from
random valid AIs read back to exactly what was encoded, in every form a scanner sends."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.labels import (
    GS,
    MAX_LABEL_CHARS,
    Label,
    LabelError,
    LabelKind,
    check_digit_ok,
    clean,
    element_string,
    hri,
    read_label,
    with_check_digit,
)
from protocol.labels.gs1 import needs_separator

TODAY = date(2026, 5, 1)
SEEDS = ["]C100106141411234567897", "]C10109506000134352" "10LOT-7\x1d" "17261231",
         "(01)09506000134352(10)ABC(37)12", "]d20109506000134352" "21SER1\x1d" "3103001250",
         "]Q300106141411234567897\r\n", "09506000134352", "]E09506000134352", "A01-03-2",
         "\x1d0109506000134352", "]C0A01-03-2"]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A real label with a few edits: replaced, inserted and deleted characters."""
    text = list(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 5))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["set", "insert", "delete"]))
        char = draw(st.sampled_from("0123456789()]CdQE1\x1d\r\n AZ\x00\x7f\u0663é"))
        if edit == "insert" or not text:
            text.insert(at, char)
        elif edit == "set":
            text[min(at, len(text) - 1)] = char
        else:
            del text[min(at, len(text) - 1)]
    return "".join(text)


any_input = (st.text(max_size=80)
             | st.text(alphabet="0123456789()]CdQEe013\x1d\r\n -ABCxyz%", max_size=80)
             | st.binary(max_size=120).map(lambda b: b.decode("latin-1"))
             | st.binary(max_size=120).map(lambda b: b.decode("utf-8", "surrogateescape"))
             | mutated()
             | st.text(min_size=MAX_LABEL_CHARS - 2, max_size=MAX_LABEL_CHARS + 4))


@settings(max_examples=400)
@given(any_input)
def test_any_input_gives_a_label_or_our_error(raw: str) -> None:
    try:
        label = read_label(raw, today=TODAY)
    except LabelError as exc:
        assert exc.reason
        return
    assert isinstance(label, Label) and label.text and len(label.text) <= MAX_LABEL_CHARS
    if label.kind is LabelKind.PLAIN:
        assert label.elements == () and label.gtin is None and label.sscc is None
        return
    assert label.elements
    for key in (label.gtin, label.content_gtin, label.sscc):
        assert key is None or (key.isascii() and check_digit_ok(key))
    assert label.gtin is None or len(label.gtin) == 14
    assert label.sscc is None or len(label.sscc) == 18


@given(any_input)
def test_clean_is_idempotent(raw: str) -> None:
    assert clean(clean(raw)) == clean(raw)


# -- round trip: random valid AIs -> element string / HRI -> the same AIs and fields ---------
CSET_82 = "!\"%&'*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@dataclass
class Built:
    pairs: list[tuple[str, str]] = field(default_factory=list)
    expected: dict[str, object] = field(default_factory=dict)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


@st.composite
def a_date(draw: st.DrawFn) -> tuple[str, date]:
    """YYMMDD within the §7.12 window around TODAY, sometimes with day 00 (month's end)."""
    year = draw(st.integers(TODAY.year - 49, TODAY.year + 50))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(year, month)[1]
    if draw(st.booleans()):
        return f"{year % 100:02d}{month:02d}00", date(year, month, last)
    day = draw(st.integers(1, last))
    return f"{year % 100:02d}{month:02d}{day:02d}", date(year, month, day)


@st.composite
def label_parts(draw: st.DrawFn) -> Built:
    built = Built()
    keys = draw(st.sampled_from([("00",), ("01",), ("00", "02"), ("01",)]))
    for ai in keys:
        value = with_check_digit(draw(digits(17 if ai == "00" else 13)))
        built.pairs.append((ai, value))
        built.expected[{"00": "sscc", "01": "gtin", "02": "content_gtin"}[ai]] = value
    names = {"11": "production_date", "13": "packaging_date", "15": "best_before",
             "16": "sell_by", "17": "expiry"}
    for ai in draw(st.lists(st.sampled_from(sorted(names)), unique=True, max_size=3)):
        text, when = draw(a_date())
        built.pairs.append((ai, text))
        built.expected[names[ai]] = when
    for ai, name in (("10", "lot"), ("21", "serial")):
        if draw(st.booleans()):
            value = draw(st.text(alphabet=CSET_82, min_size=1, max_size=20))
            built.pairs.append((ai, value))
            built.expected[name] = value
    if draw(st.booleans()):
        ai = draw(st.sampled_from(["30", "37"]))
        value = draw(st.text(alphabet="0123456789", min_size=1, max_size=8))
        built.pairs.append((ai, value))
        built.expected["quantity"] = Decimal(value)
    if draw(st.booleans()):
        decimals = draw(st.integers(0, 5))
        value = draw(digits(6))
        built.pairs.append((f"310{decimals}", value))
        built.expected["net_weight_kg"] = Decimal(value).scaleb(-decimals)
    built.pairs = draw(st.permutations(built.pairs))
    return built


def _check(label: Label, built: Built) -> None:
    assert label.kind is LabelKind.GS1
    assert [(e.ai, e.value) for e in label.elements] == built.pairs
    for name in ("gtin", "content_gtin", "sscc", "lot", "serial", "production_date",
                 "packaging_date", "best_before", "sell_by", "expiry", "quantity",
                 "net_weight_kg"):
        assert getattr(label, name) == built.expected.get(name), name


@given(label_parts(), st.sampled_from(["]C1", "]d2", "]Q3", "]e0", "]J1", GS]),
       st.sampled_from(["", "\r", "\r\n", "\n", GS, "\t"]))
def test_element_strings_read_back_to_what_was_encoded(built: Built, flag: str,
                                                       suffix: str) -> None:
    raw = flag + element_string(built.pairs) + suffix
    _check(read_label(raw, today=TODAY), built)


@given(label_parts())
def test_hri_text_reads_back_to_what_was_encoded(built: Built) -> None:
    if any("(" in v or ")" in v for _, v in built.pairs):  # HRI cannot show a bracket
        return
    _check(read_label(hri(built.pairs), today=TODAY), built)


@given(label_parts())
def test_unflagged_digits_opening_with_a_key_read_back_too(built: Built) -> None:
    """What a wedge scanner without AIM ids types: element strings, no flag at all."""
    key = next(pair for pair in built.pairs if pair[0] in ("00", "01"))
    pairs = [key, *(pair for pair in built.pairs if pair is not key)]
    built.pairs = pairs
    _check(read_label(element_string(pairs), today=TODAY), built)


# -- check digits and the FNC1 table ---------------------------------------------------------
@given(st.text(alphabet="0123456789", min_size=1, max_size=17), st.data())
def test_a_check_digit_catches_every_single_digit_error(body: str, data: st.DataObject) -> None:
    key = with_check_digit(body)
    assert check_digit_ok(key)
    at = data.draw(st.integers(0, len(key) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != key[at]]))
    assert not check_digit_ok(key[:at] + wrong + key[at + 1:])


def test_the_fnc1_table_agrees_with_biips_for_every_ai() -> None:
    """GenSpecs Figure 7.8.5-2 (ours) against biip's per-AI table: 500+ AIs, no difference."""
    differ = {ai for ai, spec in _GS1_APPLICATION_IDENTIFIERS.items()
              if needs_separator(ai) != spec.separator_required}
    assert len(_GS1_APPLICATION_IDENTIFIERS) > 500 and differ == set()
