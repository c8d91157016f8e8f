"""Properties: hostile condition text gives our error or a value; order quantities always
honour pack size and minimum order. (That the core imports no I/O library: tests/test_layers.py.)"""

from __future__ import annotations

import contextlib

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.planning.expr import ExpressionError, parse
from cloud_hub.planning.policy import round_order_quantity
from cloud_hub.planning.rules import RulesError, load_rules


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_condition_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        expr = parse(text)
    except ExpressionError:
        return
    with contextlib.suppress(ExpressionError):  # a value or our error, nothing else
        expr.evaluate(dict.fromkeys(expr.names, 1.0))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_rules_text_loads_or_gives_rules_error(text: str) -> None:
    try:
        load_rules(text)
    except RulesError as exc:
        assert exc.problems


@given(st.floats(0, 1e6), st.sampled_from([1.0, 6.0, 12.0, 0.5]), st.floats(0, 500))
def test_order_quantity_rounding(q: float, pack: float, moq: float) -> None:
    out = float(round_order_quantity(np.array([q]), pack, moq)[0])
    if q == 0:
        assert out == 0
    else:
        assert out >= max(q, moq) - 1e-6 * max(q, moq, 1)
        assert abs(out / pack - round(out / pack)) < 1e-6
        assert out < max(q, moq) + pack + 1e-6 * max(q, moq, 1)
