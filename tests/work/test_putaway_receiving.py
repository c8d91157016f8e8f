"""Putaway strategies, bin checks and receipt matching, table-driven."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloud_hub.work.model import Bin, BinKind, BinLoad, SkuProfile
from cloud_hub.work.putaway import (
    PutawayPolicy,
    PutawayRule,
    Strategy,
    check_scanned_bin,
    suggest,
)
from cloud_hub.work.receiving import (
    Arrival,
    DiscrepancyKind,
    ExpectedReceipt,
    ExpectedUnit,
    MatchKind,
    ReceiptLine,
    ReceivedSoFar,
    match_arrival,
    reconcile,
)
from protocol.tasks import ResultCode

D = Decimal
DOCK = Bin("DOCK-1", "WH", kind=BinKind.DOCK, x=0, y=0)
BINS = (
    Bin("A-01", "WH", zone="ambient", x=5, y=0, capacity=D(100)),
    Bin("A-02", "WH", zone="ambient", x=10, y=0, capacity=D(100)),
    Bin("A-03", "WH", zone="ambient", x=2, y=0, capacity=D(10)),  # nearest but small
    Bin("C-01", "WH", zone="cold", x=30, y=0, capacity=D(100), tags=frozenset({"cold"})),
    Bin("H-01", "WH", zone="haz", x=40, y=0, capacity=D(100), tags=frozenset({"hazardous"})),
    Bin("S-01", "WH", kind=BinKind.STAGING, x=1, y=0),
)
BY_CODE = {b.code: b for b in BINS}
PLAIN = SkuProfile("SKU-1")
COLD = SkuProfile("ICE", needs=frozenset({"cold"}))
HOMED = SkuProfile("HOME", home_bin="A-02")


@pytest.mark.parametrize(("profile", "qty", "loads", "policy", "want"), [
    # nearest empty bin with room: A-03 is nearer but too small for 50
    (PLAIN, D(50), {}, PutawayPolicy(), ("A-01", Strategy.NEAREST_EMPTY)),
    (PLAIN, D(5), {}, PutawayPolicy(), ("A-03", Strategy.NEAREST_EMPTY)),
    # consolidate with the same sku + lot even when an empty bin is nearer
    (PLAIN, D(5), {"A-02": BinLoad(D(10), frozenset({("SKU-1", "L1")}))}, PutawayPolicy(),
     ("A-02", Strategy.CONSOLIDATE)),
    # same sku, other lot: no consolidation
    (PLAIN, D(5), {"A-02": BinLoad(D(10), frozenset({("SKU-1", "L9")}))}, PutawayPolicy(),
     ("A-03", Strategy.NEAREST_EMPTY)),
    # fixed home bin first
    (HOMED, D(5), {}, PutawayPolicy(), ("A-02", Strategy.FIXED)),
    # home bin full → falls back to the next strategy
    (HOMED, D(5), {"A-02": BinLoad(D(98), frozenset({("X", "")}))}, PutawayPolicy(),
     ("A-03", Strategy.NEAREST_EMPTY)),
    # cold goods only in cold bins, and nothing else goes to the cold room
    (COLD, D(5), {}, PutawayPolicy(), ("C-01", Strategy.NEAREST_EMPTY)),
    # a per-category rule restricting zones
    (SkuProfile("P", category="bulk"), D(5), {},
     PutawayPolicy(by_category={"bulk": PutawayRule((Strategy.NEAREST_EMPTY,),
                                                    frozenset({"ambient"}))}),
     ("A-03", Strategy.NEAREST_EMPTY)),
    # no bin anywhere big enough
    (PLAIN, D(500), {}, PutawayPolicy(), None),
    # hazardous goods with no free hazardous bin
    (SkuProfile("HZ", needs=frozenset({"hazardous"})), D(5),
     {"H-01": BinLoad(D(1), frozenset({("OTHER", "")}))},
     PutawayPolicy(default=PutawayRule((Strategy.NEAREST_EMPTY,))), None),
])
def test_suggest(profile, qty, loads, policy, want) -> None:
    got = suggest(profile, "L1", qty, DOCK, BINS, loads, policy)
    assert (None if got is None else (got.bin, got.strategy)) == want


@pytest.mark.parametrize(("scanned", "may", "why", "loads", "code"), [
    ("A-01", False, None, {}, ResultCode.OK),
    ("A-02", False, None, {}, ResultCode.OVERRIDE_NOT_ALLOWED),
    ("A-02", True, None, {}, ResultCode.WRONG_LOCATION),
    ("A-02", True, "A-01 blocked", {}, ResultCode.OVERRIDDEN),
    ("A-02", True, "A-01 blocked", {"A-02": BinLoad(D(95), frozenset({("X", "")}))},
     ResultCode.BIN_FULL),
    ("C-01", True, "closer", {}, ResultCode.WRONG_LOCATION),  # cold room refuses ambient goods
    ("S-01", True, "closer", {}, ResultCode.WRONG_LOCATION),  # not a storage bin
    (None, False, None, {}, ResultCode.INVALID),
])
def test_scanned_bin(scanned, may, why, loads, code) -> None:
    check = check_scanned_bin("A-01", scanned, profile=PLAIN, quantity=D(10), bins=BY_CODE,
                              loads=loads, may_override=may, override_reason=why)
    assert check.code is code


RECEIPT = ExpectedReceipt("R1", "WH", "DOCK-1", (
    ReceiptLine("1", "SKU-1", D(20), "L1", units=(ExpectedUnit("sscc:001", D(10)),
                                                  ExpectedUnit("sscc:002", D(10)))),
    ReceiptLine("2", "SKU-2", D(5), "L7"),
))


@pytest.mark.parametrize(("so_far", "arrival", "kind", "line"), [
    (ReceivedSoFar({}), Arrival(unit_key="sscc:001"), MatchKind.MATCHED, "1"),
    (ReceivedSoFar({"1": D(10)}, frozenset({"sscc:001"})), Arrival(unit_key="sscc:001"),
     MatchKind.DUPLICATE, None),
    (ReceivedSoFar({"1": D(20)}), Arrival(unit_key="sscc:002", quantity=D(2)),
     MatchKind.OVER, "1"),  # 22 of 20: within the receipt's 10 % tolerance
    (ReceivedSoFar({"1": D(20)}), Arrival(unit_key="sscc:002", quantity=D(5)),
     MatchKind.OVER_LIMIT, "1"),  # 25 of 20: beyond it, a supervisor must accept
    (ReceivedSoFar({}), Arrival(unit_key="sscc:999"), MatchKind.UNEXPECTED, None),
    (ReceivedSoFar({}), Arrival(sku="SKU-2", lot="L7", quantity=D(5)), MatchKind.MATCHED, "2"),
    (ReceivedSoFar({}), Arrival(sku="SKU-2", lot="L7", quantity=D("5.5")), MatchKind.OVER, "2"),
    (ReceivedSoFar({}), Arrival(sku="SKU-2", lot="L7", quantity=D(6)), MatchKind.OVER_LIMIT,
     "2"),
    (ReceivedSoFar({}), Arrival(sku="SKU-2", lot="OTHER", quantity=D(1)),
     MatchKind.UNEXPECTED, None),
    (ReceivedSoFar({}), Arrival(sku="NOPE", quantity=D(1)), MatchKind.UNEXPECTED, None),
])
def test_match_arrival(so_far, arrival, kind, line) -> None:
    got = match_arrival(RECEIPT, so_far, arrival)
    assert (got.kind, got.line_id) == (kind, line)


def test_a_line_without_a_lot_takes_the_lot_that_arrives() -> None:
    """A purchase order names no lot: what the supplier delivers is matched, lot kept."""
    po = ExpectedReceipt("PO-1-R1", "WH", "DOCK-1", (ReceiptLine("1", "SKU-3", D(10)),))
    got = match_arrival(po, ReceivedSoFar({}), Arrival(sku="SKU-3", lot="L42", quantity=D(4)))
    assert (got.kind, got.line_id, got.lot) == (MatchKind.MATCHED, "1", "L42")


def test_reconcile_flags_over_under_and_unexpected() -> None:
    extra = match_arrival(RECEIPT, ReceivedSoFar({}), Arrival(unit_key="sscc:999",
                                                              sku="X", quantity=D(3)))
    found = reconcile(RECEIPT, ReceivedSoFar({"1": D(10), "2": D(7)}), [extra])
    assert [(d.kind, d.line_id, d.received) for d in found] == [
        (DiscrepancyKind.UNDER, "1", D(10)),
        (DiscrepancyKind.OVER, "2", D(7)),
        (DiscrepancyKind.UNEXPECTED, None, D(3)),
    ]
    assert reconcile(RECEIPT, ReceivedSoFar({"1": D(20), "2": D(5)})) == []
