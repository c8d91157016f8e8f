"""A purchase order's life as pure rules: every action from every state, received states that
follow from quantities, a supplier's confirmation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cloud_hub.supply.purchase import (
    LineChange,
    PoAction,
    PoLine,
    PoRefused,
    PoState,
    confirm_lines,
    shown_state,
    step,
)

D = Decimal
ORDERED = [PoLine(1, "S1", D(10)), PoLine(2, "S2", D(5))]
PART = [PoLine(1, "S1", D(10), D(4)), PoLine(2, "S2", D(5))]
FULL = [PoLine(1, "S1", D(10), D(10)), PoLine(2, "S2", D(5), D(6))]
S, A = PoState, PoAction


@pytest.mark.parametrize(("state", "action", "lines", "after"), [
    (S.DRAFT, A.SEND, ORDERED, S.SENT),
    (S.DRAFT, A.CANCEL, ORDERED, S.CANCELLED),
    (S.SENT, A.CONFIRM, ORDERED, S.CONFIRMED),
    (S.CONFIRMED, A.CONFIRM, ORDERED, S.CONFIRMED),  # the supplier changes its mind
    (S.SENT, A.CANCEL, ORDERED, S.CANCELLED),
    (S.CONFIRMED, A.CLOSE, PART, S.CLOSED),  # closed short
    (S.CONFIRMED, A.CLOSE, FULL, S.CLOSED),
    (S.SENT, A.CLOSE, FULL, S.CLOSED),
    (S.DRAFT, A.CONFIRM, ORDERED, "a draft purchase order cannot be confirmed"),
    (S.DRAFT, A.CLOSE, ORDERED, "a draft purchase order cannot be closed"),
    (S.SENT, A.SEND, ORDERED, "a sent purchase order cannot be sent"),
    (S.CONFIRMED, A.CANCEL, PART, "close it instead of cancelling"),
    (S.CLOSED, A.SEND, FULL, "a closed purchase order cannot be sent"),
    (S.CANCELLED, A.CONFIRM, ORDERED, "a cancelled purchase order cannot be confirmed"),
    (S.CONFIRMED, A.SEND, PART, "a partly received purchase order cannot be sent"),
    (S.DRAFT, A.SEND, [PoLine(1, "S1", D(0))], "without a line to order"),
])
def test_each_action_from_each_state(state: PoState, action: PoAction, lines: list[PoLine],
                                     after: PoState | str) -> None:
    if isinstance(after, PoState):
        assert step(state, action, lines) is after
    else:
        with pytest.raises(PoRefused, match=after):
            step(state, action, lines)


@pytest.mark.parametrize(("stored", "lines", "shown"), [
    (S.SENT, ORDERED, S.SENT), (S.CONFIRMED, PART, S.PARTLY_RECEIVED),
    (S.CONFIRMED, FULL, S.RECEIVED), (S.SENT, PART, S.PARTLY_RECEIVED),
    (S.CLOSED, PART, S.CLOSED), (S.DRAFT, ORDERED, S.DRAFT)])
def test_received_states_follow_from_quantities(stored: PoState, lines: list[PoLine],
                                                shown: PoState) -> None:
    assert shown_state(stored, lines) is shown


def test_a_confirmation_changes_quantities_and_dates_but_not_below_what_arrived() -> None:
    from datetime import date
    got = confirm_lines(PART, [LineChange(2, D(3), date(2027, 1, 5))])
    assert [(ln.line_no, ln.quantity, ln.expected_on) for ln in got] == [
        (1, D(10), None), (2, D(3), date(2027, 1, 5))]
    assert got[0].open_quantity == D(6)
    with pytest.raises(PoRefused, match="4 were already received, more than the 2"):
        confirm_lines(PART, [LineChange(1, D(2))])
    with pytest.raises(PoRefused, match="no line 9"):
        confirm_lines(PART, [LineChange(9, D(2))])
