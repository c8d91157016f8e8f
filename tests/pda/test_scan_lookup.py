"""Reading scans (GS1 with GS separators, pallets, tags, text) and the look-up logic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pda_app.flows.feedback import Tone
from pda_app.flows.lookup import Query, describe, plan
from pda_app.flows.scan import GS_SHOWN, read_quantity, read_scan, restore_gs
from pda_app.settings import parse
from tests.pda.tasks_factory import GTIN

GS = "\x1d"
TODAY = date(2026, 5, 1)


@pytest.mark.parametrize(("raw", "fields"), [
    (f"]C101{GTIN}10ABC123{GS}3012{GS}17261231\r\n",
     {"gtin": GTIN, "lot": "ABC123", "quantity": Decimal(12), "expiry": date(2026, 12, 31)}),
    (f"01{GTIN}10L1{GS}375", {"gtin": GTIN, "lot": "L1", "quantity": Decimal(5)}),
    (f"]C101{GTIN}10L1{GS_SHOWN}305", {"gtin": GTIN, "lot": "L1", "quantity": Decimal(5)}),
    (f"(01){GTIN}(10)X1(37)4", {"gtin": GTIN, "lot": "X1", "quantity": Decimal(4)}),
    ("4006381333931", {"gtin": "04006381333931"}),
    ("4006381333932", {"gtin": None, "text": "4006381333932"}),  # bad check digit: plain text
    ("00106141411234567897", {"sscc": "106141411234567897"}),
    ("106141411234567897", {"sscc": "106141411234567897"}),
    ("3074257bf7194e4000001a85", {"epc": "3074257BF7194E4000001A85"}),
    ("epc:3074257BF7194E4000001A85", {"epc": "3074257BF7194E4000001A85"}),
    ("A-01-02\n", {"text": "A-01-02", "gtin": None, "error": None}),
    # AIM ids (ISO/IEC 15424): a plain symbology's id is not part of the text ...
    ("]C0A-01-02\r", {"text": "A-01-02", "gtin": None, "error": None}),
    ("]d1A-01-02\r", {"text": "A-01-02", "gtin": None, "error": None}),
    # ... and EAN/UPC or ITF-14 ids carry a GTIN
    ("]E04006381333931", {"gtin": "04006381333931"}),
    ("]I104006381333931", {"gtin": "04006381333931"}),
    # a pallet label's AI 02 (contents) is the item to pick from it
    (f"]C100106141411234567897{GS}02{GTIN}{GS}3712",
     {"sscc": "106141411234567897", "gtin": GTIN, "quantity": Decimal(12)}),
    (f"{GS}{GS}", {"error": "empty scan"}),
    ("0109506000134353", {"gtin": None}),  # AI 01 with a wrong check digit
    ("(01)123", {"gtin": None}),
    ("A" * 600, {"text": "A" * 40}),
    ("bad\x07bell", {"error": "scan holds control characters"}),
])
def test_read_scan(raw: str, fields: dict[str, object]) -> None:
    seen = read_scan(raw, TODAY)
    for name, value in fields.items():
        assert getattr(seen, name) == value, (name, seen)


@pytest.mark.parametrize("raw", ["0109506000134353", "(01)123", "A" * 600, "", "]C1\x1d"])
def test_broken_labels_are_unreadable_never_guessed(raw: str) -> None:
    assert not read_scan(raw, TODAY).readable


@pytest.mark.parametrize(("text", "value"), [
    ("12", Decimal(12)), ("2.5", Decimal("2.5")), ("2,5", Decimal("2.5")), (" 7\r\n", Decimal(7)),
    ("-1", None), ("1e3", None), ("five", None), ("", None), ("1234567890", None)])
def test_read_quantity(text: str, value: Decimal | None) -> None:
    assert read_quantity(text) == value


def test_restore_gs_from_the_field_and_a_configured_stand_in() -> None:
    assert restore_gs(f"a{GS_SHOWN}b") == f"a{GS}b"
    assert restore_gs("a~b", "~") == f"a{GS}b"


def test_plan_asks_the_unit_for_a_pallet_label() -> None:
    assert plan("00106141411234567897", "WH1", TODAY) == (
        Query("/api/v1/units/106141411234567897", (), "unit"),)


def test_plan_asks_search_for_both_gtin_forms_and_stock_for_text() -> None:
    gtin = plan(GTIN, "WH1", TODAY)
    assert isinstance(gtin, tuple) and [q.params[0][1] for q in gtin] == [GTIN, GTIN[1:]]
    text = plan("A-01-02", None, TODAY)
    assert isinstance(text, tuple) and [q.role for q in text] == ["search", "stock", "serial"]


def test_plan_asks_the_trace_of_a_lot_and_the_serial_of_a_serial() -> None:
    label = plan(f"01{GTIN}10L1{GS}21SN-9", "WH1", TODAY)
    assert isinstance(label, tuple)
    asked = {q.role: q for q in label}
    assert asked["trace"] == Query("/api/v1/trace", (("lot", "L1"), ("warehouse", "WH1"),
                                                     ("limit", "50")), "trace")
    assert asked["serial"] == Query("/api/v1/serials", (("serial", "SN-9"),), "serial")
    typed = plan("L1", "WH1", TODAY)
    assert isinstance(typed, tuple)
    assert [q.role for q in typed] == ["search", "stock", "trace", "serial"]


def test_describe_a_lots_trace_summary_first_with_what_is_held() -> None:
    trace = {"lots": [{"sku": "SKU-1", "lot": "L1"}],
             "now": {"on_hand": 30, "at_locations": [
                 {"location": "A-01-02", "status": "available", "quantity": 20},
                 {"location": "A-02-01", "status": "quarantine", "quantity": 10}]},
             "receipts": [{"receipt_id": "R-1", "supplier": "ACME Foods"}],
             "orders": [{"order_id": "O-1", "state": "shipped"}]}
    serials = {"serials": [{"serial": "SN-9", "sku": "SKU-1", "lot": "L1", "in_stock": True,
                            "location": "A-01-02", "unit_key": None}]}
    rows = [{"kind": "lot", "sku": "SKU-1", "location": "A-01-02", "lot": "L1", "quantity": 20}]
    shown = describe("L1", [(Query("/s"), 200, rows), (Query("/t", (), "trace"), 200, trace),
                            (Query("/n", (), "serial"), 200, serials)])
    assert shown.lines == (
        "Serial SN-9 (SKU-1 lot L1): at A-01-02",
        "Lot L1 (SKU-1): 30 on hand in 2 location(s)", "ON HOLD: 10 - do not pick",
        "  A-01-02: 20", "  A-02-01: 10 (quarantine)", "From ACME Foods (R-1)",
        "Orders O-1 (shipped)", "SKU-1 lot L1 at A-01-02: 20")
    assert shown.feedback.tone is Tone.WARN and "on hold" in shown.feedback.message


def test_plan_refuses_an_unreadable_scan() -> None:
    refused = plan("0109506000134353", None, TODAY)
    assert not isinstance(refused, tuple) and refused.tone is Tone.ERROR


def test_describe_a_pallet() -> None:
    unit = {"unit_key": "sscc:106141411234567897", "location": "A-02-01",
            "contents": [{"sku": "SKU-1", "lot": "L1", "status": "quarantine", "quantity": 40.0}]}
    shown = describe("106141411234567897", [(Query("/u", (), "unit"), 200, unit)])
    assert shown.title == "sscc:106141411234567897"
    assert shown.lines == ("Pallet sscc:106141411234567897", "At A-02-01",
                           "  SKU-1 lot L1: 40 (quarantine)")


def test_describe_search_and_stock_rows() -> None:
    rows = [{"kind": "location", "location": "A-01-02"},
            {"kind": "sku", "sku": "SKU-1", "location": "A-01-02", "lot": "L1", "quantity": 15.0}]
    stock = [{"sku": "SKU-1", "lot": "L1", "status": "available", "quantity": 15.0}]
    shown = describe("A-01-02", [(Query("/s"), 200, rows), (Query("/t", (), "stock"), 200, stock)])
    assert shown.lines == ("Location A-01-02", "SKU-1 lot L1 at A-01-02: 15",
                           "Location A-01-02 holds:", "  SKU-1 lot L1: 15")
    assert shown.feedback.tone is Tone.OK


@pytest.mark.parametrize("answers", [
    [], [(Query("/u", (), "unit"), 404, None)], [(Query("/s"), 200, "garbage")],
    [(Query("/s"), 200, [1, None, "x"])], [(Query("/t", (), "stock"), 200, [])]])
def test_describe_nothing_found_never_crashes(answers: list[tuple[Query, int, object]]) -> None:
    shown = describe("X-1", answers)
    assert shown.feedback.tone is Tone.ERROR and "Nothing known as X-1" in shown.feedback.message


def test_settings_from_arguments_over_environment(tmp_path: Path) -> None:
    env = {"PDA_HUB_URL": "http://hub:8000", "PDA_WAREHOUSE": "WH9", "PDA_SOUND": "0"}
    s = parse(["--device", "pda-7", "--data-dir", str(tmp_path), "--size", "360x640"], env)
    assert (s.hub_url, s.warehouse, s.device_id, s.sound) == ("http://hub:8000", "WH9",
                                                              "pda-7", False)
    assert (s.width, s.height, s.queue_path) == (360, 640, tmp_path / "queue.db")
    with pytest.raises(SystemExit):
        parse(["--size", "big"], {})
