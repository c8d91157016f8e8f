"""The camera stability rule, table-driven: K consecutive frames in a new region = a move."""

from __future__ import annotations

import pytest

from edge.camera.tracker import Detection, TrackerState, observe

A, B = "DOCK-1", "STAGE-1"
L1, L2 = "(00)106141411234567897", "(00)106141410000000018"

# Each case: frames as lists of (label, location) seen; K; expected moves (label, from, to, frame).
CASES = {
    "stable in one region gives one arrival": (
        [[(L1, A)]] * 5, 3, [(L1, None, A, 2)]),
    "fewer than K frames gives nothing": (
        [[(L1, A)], [(L1, A)]], 3, []),
    "a missing frame restarts the count": (
        [[(L1, A)], [(L1, A)], [], [(L1, A)], [(L1, A)], [(L1, A)]], 3, [(L1, None, A, 5)]),
    "moving on to a second region gives a move from the first": (
        [[(L1, A)]] * 3 + [[(L1, B)]] * 3, 3, [(L1, None, A, 2), (L1, A, B, 5)]),
    "flicker between regions never settles": (
        [[(L1, A)], [(L1, B)]] * 4, 2, []),
    "back in the confirmed region after a short visit elsewhere is no move": (
        [[(L1, A)]] * 2 + [[(L1, B)]] + [[(L1, A)]] * 3, 2, [(L1, None, A, 1)]),
    "outside every region counts as not seen": (
        [[(L1, A)], [(L1, None)], [(L1, A)], [(L1, A)]], 3, []),
    "seen in two regions in one frame counts as not placed": (
        [[(L1, A)], [(L1, A), (L1, B)], [(L1, A)], [(L1, A)]], 3, []),
    "two labels are tracked independently": (
        [[(L1, A), (L2, B)], [(L1, A), (L2, B)], [(L1, A)], [(L1, A), (L2, B)]], 2,
        [(L1, None, A, 1), (L2, None, B, 1)]),
    "K of 1 moves on the first frame": (
        [[(L1, A)], [(L1, B)]], 1, [(L1, None, A, 0), (L1, A, B, 1)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_stability_rule(name: str) -> None:
    frames, k, expected = CASES[name]
    state, got = TrackerState(), []
    for index, seen in enumerate(frames):
        state, moves = observe(state, [Detection(t, loc) for t, loc in seen], float(index),
                               stable_frames=k)
        got += [(m.text, m.from_location, m.to_location, int(m.at)) for m in moves]
    assert got == expected


def test_a_label_not_seen_for_long_is_forgotten() -> None:
    state = TrackerState()
    for t in (0.0, 1.0):
        state, _ = observe(state, [Detection(L1, A)], t, stable_frames=2)
    assert L1 in state.confirmed
    state, moves = observe(state, [], 5000.0, stable_frames=2, forget_after=3600)
    assert not moves and L1 not in state.confirmed


def test_the_state_is_not_changed_in_place() -> None:
    state = TrackerState()
    new, _ = observe(state, [Detection(L1, A)], 0.0, stable_frames=1)
    assert not state.confirmed and new.confirmed
