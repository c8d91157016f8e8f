"""Where the edge's and the PDA's GS1 readers disagreed, what the one reader now does.

Each row is a scan that the two former copies (edge/gs1.py and pda_app/flows/scan.py, until
issue 20) read differently — or both wrongly — with what each of them did, and the standard
reading now asserted. The old results were recorded by running both copies on these scans.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from protocol.labels import LabelError, read_label

TODAY = date(2026, 5, 1)


@dataclass(frozen=True)
class Row:
    name: str
    raw: str
    edge_was: str
    pda_was: str
    now: str  # what the reader gives: "gs1 field=value …", "plain TEXT [AIM]", "error: …"
    why: str


ROWS = [
    # -- symbology identifiers (ISO/IEC 15424; GenSpecs Figure 5.1.2-2) ------------------
    Row("ean13-aim", "]E09506000134352", "GTIN", "text ']E09506000134352', no GTIN",
        "gs1 gtin=09506000134352", "]E0 is EAN-13/UPC-A: a GTIN"),
    Row("ean8-aim", "]E496385074", "GTIN", "text ']E496385074', no GTIN",
        "gs1 gtin=00000096385074", "]E4 is EAN-8: a GTIN"),
    Row("itf14-aim", "]I109506000134352", "GTIN", "text with the AIM id, no GTIN",
        "gs1 gtin=09506000134352", "]I1 with 14 digits is ITF-14: a GTIN"),
    Row("ean13-addon", "]E3950600013435212", "error (15 digits)", "text with the AIM id",
        "gs1 gtin=09506000134352", "]E3 is EAN-13 + add-on: the first 13 digits"),
    Row("upc-e", "]E001234565", "GTIN-8 00000001234565 (another product)",
        "text with the AIM id", "gs1 gtin=00012345000065",
        "8 digits under ]E0 are a UPC-E: expanded to its UPC-A"),
    Row("composite", "]e10109506000134352", "GTIN", "text with the AIM id, no GTIN",
        "gs1 gtin=09506000134352", "]e1 is a GS1 Composite packet: element strings"),
    Row("dotcode", "]J10109506000134352", "error (unknown 'J')", "unreadable",
        "gs1 gtin=09506000134352", "]J1 is GS1 DotCode"),
    Row("code128-plain", "]C0A01-03-2", "error: ]C0 does not carry GS1",
        "text ']C0A01-03-2' (never equals bin A01-03-2)", "plain A01-03-2 ]C0",
        "a plain Code 128 is a plain label; the AIM id is not part of its text"),
    Row("datamatrix-plain", "]d1A01-03-2", "error", "text with the AIM id",
        "plain A01-03-2 ]d1", "Data Matrix without FNC1 first"),
    Row("qr-plain", "]Q1A01-03-2", "error", "text with the AIM id", "plain A01-03-2 ]Q1",
        "QR without FNC1 first"),
    Row("code39", "]A0HELLO", "error", "text ']A0HELLO'", "plain HELLO ]A0", "Code 39"),
    # -- what clean() strips: a leading GS is FNC1 in first position, not noise ----------
    Row("leading-gs-text", "\x1dA01-03-2", "error", "text 'A01-03-2' (GS stripped)",
        "error: not GS1 element strings", "FNC1 first claims GS1; the data then breaks it"),
    Row("leading-gs-epc", "\x1d3074257BF7194E4000001A85", "error", "EPC",
        "error: not GS1 element strings", "as above: a GS1 claim, not a tag"),
    # -- plain digits without identifier -------------------------------------------------
    Row("ean13-bad-check", "9506000134353", "error: GTIN check digit", "text",
        "plain 9506000134353", "no EAN symbol has a wrong check digit: keyed or another code"),
    Row("sscc-keyed", "106141411234567897", "lot (10) '6141411234567897'", "SSCC",
        "gs1 sscc=106141411234567897", "18 digits with a good check digit: an SSCC keyed"),
    Row("numeric-code", "10123", "lot (10) '123'", "text", "plain 10123",
        "unflagged digits are element strings only when they open with AI 00/01/02"),
    Row("twenty-digits", "12345678901234567890", "error", "unreadable",
        "plain 12345678901234567890", "a number that claims nothing is a plain label"),
    # -- element strings ------------------------------------------------------------------
    Row("duplicate-ai", "]C10109506000134352\x1d10A\x1d10B", "error", "lot 'B' (last won)",
        "error: (10): given twice", "GenSpecs §4.14: a repeated AI carries the same data"),
    Row("count-30-and-37", "]C10209506000134352\x1d3012\x1d374", "quantity 12 (30 won)",
        "quantity 4 (last won)", "gs1 content_gtin=09506000134352 quantity=4",
        "37 counts the trade items named; 30 is a variable count"),
    Row("content-02", "]C100106141411234567897\x1d0209506000134352\x1d3712",
        "AI 02 kept apart", "gtin = AI 02", "gs1 content_gtin=09506000134352 "
        "sscc=106141411234567897 quantity=12", "AI 02 names what a pallet holds, not itself"),
    Row("serial-weight", "]C10109506000134352\x1d21SER\x1d3103000750", "serial, 0.750 kg",
        "serial and weight dropped", "gs1 gtin=09506000134352 serial=SER net_weight_kg=0.750",
        "AI 21 and 310n are read"),
    Row("production-date", "]C1010950600013435211260100", "2026-01-31", "AI 11 dropped",
        "gs1 gtin=09506000134352 production_date=2026-01-31", "AI 11, day 00 = month's end"),
    Row("7003-day-00", "]C10109506000134352\x1d7003260100123010L", "2026-01-31T12:30",
        "AI 7003 ignored", "error: (7003): '260100' is not a date",
        "day 00 is allowed for AIs 11-17 only (Syntax Dictionary yymmd0)"),
    Row("hri-stray-bracket", "(01)09506000134352((10)A", "read, '(' skipped",
        "read, '(' skipped", "error: not GS1 HRI text", "nothing outside (AI)data is skipped"),
    Row("hri-not-ai", "(A01)", "error", "unreadable", "plain (A01)",
        "brackets without AI digits are not HRI"),
    Row("unicode-digit", "]C10109506000134352\x1d37\u0663", "quantity 3", "quantity 3",
        "error: (37): '\u0663' is not GS1 data", "GS1 data is ASCII (GenSpecs §7.11)"),
]


def outcome(raw: str) -> str:
    try:
        label = read_label(raw, today=TODAY)
    except LabelError as exc:
        return f"error: {exc}"
    if not label.is_gs1:
        return " ".join(x for x in ("plain", label.text, label.symbology or "") if x)
    names = ("gtin", "content_gtin", "sscc", "lot", "serial", "production_date", "expiry",
             "quantity", "net_weight_kg")
    return " ".join(["gs1", *(f"{n}={getattr(label, n)}" for n in names
                              if getattr(label, n) is not None)])


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_one_reader_settles_each_disagreement(row: Row) -> None:
    got = outcome(row.raw)
    if row.now.startswith("error"):
        assert got.startswith(row.now), (got, row.why)
    else:
        assert got == row.now, row.why
