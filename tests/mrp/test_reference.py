"""The fast MRP equals the slow reference (tests/mrp/reference.py) on random BOMs, and its
pegging is complete."""

from __future__ import annotations

import pytest

from cloud_hub.mrp.netting import Action, Source, pegging_gaps, plan
from tests.mrp.reference import reference_orders
from tests.mrp.synthetic import Problem, generate


def small(seed: int) -> Problem:
    return generate(seed, end_items=6, level_sizes=(8, 8, 6, 5, 4), lines=(3, 3, 2, 2, 2),
                    buckets=12)


@pytest.mark.parametrize("seed", range(25))
def test_fast_equals_reference_on_random_boms(seed: int) -> None:
    problem = small(seed)
    boms = problem.boms()
    result = plan(boms, problem.items, problem.demands, problem.receipts, problem.horizon)
    fast = sorted((o.item, o.due, o.release, o.quantity) for o in result.orders)
    assert fast == reference_orders(boms, problem.items, problem.demands, problem.receipts,
                                    problem.horizon)
    assert pegging_gaps(result) == []


def test_the_random_cases_exercise_orders_phantoms_and_every_message() -> None:
    """So that the comparison above is not vacuous."""
    results = [(p, plan(p.boms(), p.items, p.demands, p.receipts, p.horizon))
               for p in map(small, range(25))]
    assert sum(len(r.orders) for _, r in results) > 200
    assert {m.action for _, r in results for m in r.messages} == set(Action)
    assert sum(len(p.phantoms) for p, _ in results) > 0
    assert any(o.source is Source.BUY for _, r in results for o in r.orders)


def test_a_sample_is_closed_under_its_components() -> None:
    problem = generate(1, end_items=10, level_sizes=(8, 8, 6, 5, 4), lines=(3, 3, 2, 2, 2))
    sample = problem.sample(problem.end_items[:2])
    sample.boms()  # every component of a kept parent is kept: no planning data missing
    result = plan(sample.boms(), sample.items, sample.demands, sample.receipts, sample.horizon)
    assert {d.item for d in sample.demands} <= set(problem.end_items[:2])
    assert pegging_gaps(result) == []
