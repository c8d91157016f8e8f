"""The one label reader: scanner strings, HRI text and plain labels, table by table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from protocol import ContractError
from protocol.labels import (
    Label,
    LabelError,
    LabelKind,
    check_digit,
    clean,
    element_string,
    hri,
    read_label,
    with_check_digit,
)

TODAY = date(2026, 5, 1)
GS = "\x1d"


def read(raw: str, today: date = TODAY) -> Label:
    return read_label(raw, today=today)


# -- GS1 readings: the AIs as people read them (dates ISO, measures with their point) --------
GOOD = [
    ("]C10109506000134352172612311" + "0LOT42\x1d3103000750",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42", "3103": "0.750"}),
    ("(01)09506000134352(17)261231(10)LOT42",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42"}),
    ("]d201095060001343521726123110LOT42\r\n",
     {"01": "09506000134352", "17": "2026-12-31", "10": "LOT42"}),
    ("]Q30109506000134352\x1d", {"01": "09506000134352"}),
    ("00106141411234567897", {"00": "106141411234567897"}),
    ("(00)106141411234567897\r", {"00": "106141411234567897"}),
    ("(00) 1 0614141 123456789 7", {"00": "106141411234567897"}),  # printed HRI, keyed
    ("9506000134352", {"01": "09506000134352"}),  # EAN-13 read as plain digits
    ("]E09506000134352", {"01": "09506000134352"}),
    ("]E3950600013435212", {"01": "09506000134352"}),  # EAN-13 + 2-digit add-on
    ("]E001234565", {"01": "00012345000065"}),  # UPC-E sent compressed, expanded
    ("]E496385074", {"01": "00000096385074"}),  # EAN-8
    ("]I109506000134352", {"01": "09506000134352"}),  # ITF-14
    ("]C10109506000134352\x1d3700000012\x1d", {"01": "09506000134352", "37": "00000012"}),
    ("]C17003260101123010LOT", {"7003": "2026-01-01T12:30:00", "10": "LOT"}),
    ("]C1\x1d0109506000134352", {"01": "09506000134352"}),  # implied FNC1 sent as GS too
    ("]C14101234567890128", {"410": "1234567890128"}),  # a GLN with a good check digit
]


@pytest.mark.parametrize(("raw", "expected"), GOOD)
def test_good_labels_give_their_ais(raw: str, expected: dict[str, str]) -> None:
    label = read(raw)
    assert label.kind is LabelKind.GS1
    assert label.as_dict() == expected


def test_typed_fields_of_a_full_item_label() -> None:
    label = read("]C10109506000134352" "11260100" "13260402" "15261130" "16261115"
                 "17261231" "10LOT42\x1d" "21SER-7\x1d" "3712\x1d" "3102001250")
    assert (label.gtin, label.lot, label.serial, label.quantity, label.net_weight_kg) == (
        "09506000134352", "LOT42", "SER-7", Decimal(12), Decimal("12.50"))
    assert (label.production_date, label.packaging_date, label.best_before, label.sell_by,
            label.expiry) == (date(2026, 1, 31), date(2026, 4, 2), date(2026, 11, 30),
                              date(2026, 11, 15), date(2026, 12, 31))
    assert label.symbology == "]C1" and label.get("10") == "LOT42" and label.get("99") is None
    assert [e.ai for e in label.elements] == ["01", "11", "13", "15", "16", "17", "10", "21",
                                              "37", "3102"]


def test_a_pallet_label_names_its_sscc_and_what_it_holds() -> None:
    label = read("]C100106141411234567897\x1d0209506000134352\x1d3712")
    assert (label.sscc, label.gtin, label.content_gtin, label.quantity) == (
        "106141411234567897", None, "09506000134352", Decimal(12))


def test_a_count_of_trade_items_37_is_the_quantity_before_a_variable_count_30() -> None:
    assert read("]C10209506000134352\x1d3012\x1d374").quantity == Decimal(4)
    assert read("]C10109506000134352\x1d3012").quantity == Decimal(12)


# -- refused: claims GS1 (or an AIM id) and breaks it, or no label at all -------------------
BAD = [
    ("", "empty"),
    ("\r\n", "empty"),
    (GS + GS, "empty"),
    ("]C1", "no GS1 element"),
    ("]C1\x1d", "no GS1 element"),
    ("00106141411234567890", r"\(00\): check digit"),
    ("]C10109506000134353", r"\(01\): check digit"),
    ("(01)09506000134353", r"\(01\): check digit"),
    ("]C10209506000134353\x1d3712", r"\(02\): check digit"),
    ("]C14101234567890123", r"\(410\): check digit"),
    ("]C14141234567890123", r"\(414\): check digit"),
    ("]E09506000134353", "check digit"),  # the symbology says EAN-13: no plain fallback
    ("]E49506000134352", "not the GTIN"),  # ]E4 is EAN-8: 8 digits
    ("]d2010950600013435217261399", "17"),
    ("]C1010950600013435217260230", r"\(17\): '260230' is not a date"),
    ("]C10109506000134352\x1d7003260100123010L", r"\(7003\): '260100' is not a date"),
    ("]C10109506000134352\x1d7003260101253010L", r"\(7003\).*no time"),
    ("]C10109506000134352\x1d10A\x1d10B", r"\(10\): given twice"),
    ("]C10109506000134352\x1d30", r"\(30\): no data"),
    ("]C10109506000134352\x1d37\u0663", r"\(37\): .* ASCII only"),  # an Arabic-Indic 3
    ("(01)0950600013435X", "HRI"),
    ("(01)09506000134352((10)A", "HRI"),  # a stray bracket is not skipped
    ("(01)09506000134352junk(10)A", "HRI"),
    ("(9999)1", "HRI"),  # no such AI
    ("0109506000134352 10LOT", "not GS1 element strings"),
    ("\x1dA01-03-2", "not GS1 element strings"),  # FNC1 first: GS1 claimed, then broken
    ("x" * 600, "limit"),
    ("bad\x07bell", "control characters"),
    ("A\x00B", "control characters"),
    ("]", "symbology identifier"),
    ("] ", "symbology identifier"),
    ("]C", "symbology identifier"),
    ("]1C0", "symbology identifier"),
    ("]C0", "no data after"),
]


@pytest.mark.parametrize(("raw", "reason"), BAD)
def test_bad_labels_are_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(LabelError, match=reason):
        read(raw)


def test_the_label_error_is_a_contract_error_naming_the_ai() -> None:
    with pytest.raises(ContractError) as caught:
        read("]C10109506000134353")
    assert isinstance(caught.value, LabelError) and caught.value.field == "(01)"


def test_not_text_is_our_error() -> None:
    with pytest.raises(LabelError, match="text"):
        read_label(b"]C100106141411234567897", today=TODAY)  # type: ignore[arg-type]


# -- plain labels: returned as text, the AIM id kept apart -----------------------------------
PLAIN = [
    ("A01-03-2", "A01-03-2", None),
    ("  A01-03-2\r\n", "A01-03-2", None),
    ("]C0A01-03-2\r", "A01-03-2", "]C0"),  # Code 128 without FNC1
    ("]d1LOC-7", "LOC-7", "]d1"),  # Data Matrix, not GS1
    ("]Q1https://example.com/p/1", "https://example.com/p/1", "]Q1"),
    ("]A0HELLO", "HELLO", "]A0"),  # Code 39
    ("]I0123456", "123456", "]I0"),  # ITF without check digit
    ("]I1123457", "123457", "]I1"),  # ITF of another length than ITF-14
    ("SKU-0001", "SKU-0001", None),
    ("10123", "10123", None),  # digits opening with AI 10 but no key: a number, not a lot
    ("(A01)", "(A01)", None),  # brackets without digits are not HRI
    ("3074257BF7194E4000001A85", "3074257BF7194E4000001A85", None),  # EPC hex: not GS1
    ("Lager Süd 3", "Lager Süd 3", None),
]


@pytest.mark.parametrize(("raw", "text", "symbology"), PLAIN)
def test_non_gs1_labels_are_plain_text(raw: str, text: str, symbology: str | None) -> None:
    label = read(raw)
    assert (label.kind, label.text, label.symbology, label.elements) == (
        LabelKind.PLAIN, text, symbology, ())
    assert label.gtin is None and label.sscc is None and not label.is_gs1


def test_a_plain_label_says_when_it_looked_like_a_key() -> None:
    assert read("9506000134353").note == "13 digits, but the check digit of a GTIN-13 is wrong"
    assert read("106141411234567890").note == (
        "18 digits, but the check digit of a SSCC is wrong")
    assert read("A01-03-2").note is None


# -- dates: day 00 and the century (GenSpecs §3.4, §7.12) ------------------------------------
@pytest.mark.parametrize(("ai", "value", "expected"), [
    ("17", "260200", date(2026, 2, 28)),  # 00: the month's last day
    ("17", "280200", date(2028, 2, 29)),  # ... in a leap year
    ("15", "261100", date(2026, 11, 30)),
    ("11", "260100", date(2026, 1, 31)),
    ("13", "261200", date(2026, 12, 31)),
])
def test_day_00_is_the_last_day_of_the_month(ai: str, value: str, expected: date) -> None:
    label = read(f"]C10109506000134352{ai}{value}")
    assert label.elements[1].meaning == expected


def test_day_00_is_refused_where_the_ai_has_no_such_rule() -> None:
    with pytest.raises(LabelError, match=r"\(7006\)"):
        read("]C10109506000134352" "7006260100")


@pytest.mark.parametrize(("today", "yy", "year"), [
    (date(2026, 5, 1), "75", 2075),  # 49 years ahead: this century
    (date(2026, 5, 1), "77", 1977),  # 51 ahead: the last century
    (date(2026, 5, 1), "00", 2000),
    (date(2099, 1, 1), "30", 2130),  # 69 back would be too far: the next century
    (date(2099, 1, 1), "49", 2149),
    (date(2099, 1, 1), "50", 2050),
])
def test_two_digit_years_fall_within_49_years_back_and_50_ahead(today: date, yy: str,
                                                                year: int) -> None:
    assert read(f"]C10109506000134352" f"17{yy}0615", today).expiry == date(year, 6, 15)


def test_a_date_and_time_reads_as_a_naive_local_datetime() -> None:
    label = read("]C10109506000134352" "7003261231235910LOT")
    assert label.elements[1].meaning == datetime(2026, 12, 31, 23, 59)
    assert label.expiry is None  # 7003 is not AI 17


# -- framing, check digits, encoding ---------------------------------------------------------
@pytest.mark.parametrize(("raw", "cleaned"), [
    ("]C10109506000134352\r\n", "]C10109506000134352"),
    ("]C10109506000134352\x1d\r", "]C10109506000134352"),
    ("]C110A\x1d \x1d\t", "]C110A"),
    ("\x1d0109506000134352", "\x1d0109506000134352"),  # leading GS: FNC1 in first position
    (" A01 \n", "A01"),
    ("A 01", "A 01"),
])
def test_clean_strips_only_the_scanners_framing(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


def test_check_digit_follows_the_gs1_worked_example() -> None:
    # GS1 General Specifications §7.9.1: SSCC body 37610425002123456 -> check digit 9
    assert check_digit("37610425002123456") == "9"
    assert with_check_digit("950600013435") == "9506000134352"
    with pytest.raises(ValueError, match="digits only"):
        check_digit("12a")


def test_element_strings_get_gs_only_after_variable_length_data() -> None:
    pairs = [("01", "09506000134352"), ("10", "LOT"), ("17", "261231"), ("21", "S1")]
    assert element_string(pairs) == "0109506000134352" "10LOT\x1d" "17261231" "21S1"
    assert hri(pairs) == "(01)09506000134352(10)LOT(17)261231(21)S1"
