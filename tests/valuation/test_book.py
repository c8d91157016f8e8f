"""The valuation core against hand-computed cases, both methods (tests/valuation/cases.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloud_hub.valuation.model import Method
from cloud_hub.valuation.render import money
from cloud_hub.valuation.replay import replay
from tests.valuation.cases import CASES, Case, csv_text


@pytest.mark.parametrize("method", list(Method))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hand_computed(case: Case, method: Method) -> None:
    book = replay(csv_text(*case.rows), method, "CNY").book
    positions, cogs, adjustments = case.fifo if method is Method.FIFO else case.avco
    got = [(p.warehouse, p.sku, f"{p.quantity.normalize():f}", f"{money(p.value):f}")
           for p in book.positions()]
    assert got == positions
    assert (f"{money(book.cogs):f}", f"{money(book.adjustments):f}") == (cogs, adjustments)


@pytest.mark.parametrize("method", list(Method))
def test_shortfall_is_listed_for_review_with_its_line_and_estimate(method: Method) -> None:
    book = replay(csv_text("2026-01-01,WH1,A,receipt,5,2,,,,,",
                           "2026-01-02,WH1,A,issue,8,,,,,,"), method, "CNY").book
    [review] = book.reviews
    assert (review.key, review.warehouse, review.sku, review.quantity, review.unit_cost) == \
        (3, "WH1", "A", Decimal(3), Decimal(2))
    assert "last unit cost" in review.reason


def test_shortfall_without_any_known_cost_says_so() -> None:
    book = replay(csv_text("2026-01-01,WH1,A,issue,5,,,,,,"), Method.FIFO, "CNY").book
    [review] = book.reviews
    assert review.unit_cost == 0 and "no cost is known" in review.reason
