"""The portal tracker on the independent simulator's published dock-door traces, replayed
offline the way the gateway feeds it (50 ms reader reports, idle ticks), scored by the traces'
own score.py. These are floors that stop the logic from getting worse on traces it was not
tuned to (issue 19's targets are higher: see bench/portal_offline.py for the figures)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import portal_offline  # noqa: E402

TRACES = portal_offline.TRACES
pytestmark = pytest.mark.skipif(not (TRACES / "score.py").is_file(),
                                reason="../shared/portal-traces is not here")


def _run(name: str, tracker: str = "main") -> dict[str, object]:
    scorer = portal_offline.load_scorer(TRACES)
    result = portal_offline.evaluate(TRACES / f"{name}.json", scorer, kind=tracker)
    return portal_offline.summary(result)


def test_mixed_trace_keeps_its_recall_precision_and_direction() -> None:
    s = _run("p1_mixed")
    assert s["recall_observable"] >= 0.85  # type: ignore[operator]
    assert s["pallets_moved"] >= 0.95  # type: ignore[operator]
    assert s["precision"] >= 0.95  # type: ignore[operator]
    assert s["direction_errors"] <= 2  # type: ignore[operator]


def test_a_trace_with_a_reader_outage_moves_most_pallets_without_crashing() -> None:
    s = _run("p5_outage")
    assert s["pallets_moved"] >= 0.9  # type: ignore[operator]
    assert s["direction_errors"] <= 2  # type: ignore[operator]


def test_the_early_experiment_decides_about_when_the_pallet_leaves_the_door() -> None:
    s = _run("p1_mixed", tracker="early")
    assert s["latency_p50_s"] is not None and s["latency_p50_s"] <= 1.5  # type: ignore[operator]
    assert s["recall_observable"] >= 0.9  # type: ignore[operator]
