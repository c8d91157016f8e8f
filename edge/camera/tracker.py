"""Which labels moved, from what a camera decodes frame by frame (pure, time passed in).

Rule kept here: a label becomes a move when it is seen in the same region in `stable_frames`
consecutive processed frames and that region is not where it was last confirmed; a frame
without the label (or with it in two regions, or outside every region) restarts its count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Detection:
    """A label decoded in one frame and the location of the region it was in (None: none)."""

    text: str
    location: str | None


@dataclass(frozen=True, slots=True)
class LabelMove:
    text: str
    from_location: str | None
    to_location: str
    at: float  # the time of the frame that made it stable


@dataclass(frozen=True, slots=True)
class Streak:
    location: str
    frames: int


@dataclass(frozen=True, slots=True)
class Confirmed:
    location: str
    last_seen: float


def _frozen(d: dict[str, V]) -> Mapping[str, V]:
    return MappingProxyType(d)


@dataclass(frozen=True, slots=True)
class TrackerState:
    streaks: Mapping[str, Streak] = field(default_factory=lambda: _frozen({}))
    confirmed: Mapping[str, Confirmed] = field(default_factory=lambda: _frozen({}))


def _placements(detections: Iterable[Detection]) -> dict[str, str | None]:
    """Label -> its one location this frame; None when outside regions or in two at once."""
    seen: dict[str, str | None] = {}
    for d in detections:
        if d.text in seen and seen[d.text] != d.location:
            seen[d.text] = None
        else:
            seen.setdefault(d.text, d.location)
    return seen


def observe(state: TrackerState, detections: Iterable[Detection], at: float, *,
            stable_frames: int, forget_after: float = 3600.0
            ) -> tuple[TrackerState, tuple[LabelMove, ...]]:
    """Fold one processed frame into the state; returns the moves it completes."""
    streaks: dict[str, Streak] = {}
    confirmed = {k: v for k, v in state.confirmed.items() if at - v.last_seen <= forget_after}
    moves: list[LabelMove] = []
    for text, location in _placements(detections).items():
        if location is None:
            continue
        before = state.streaks.get(text)
        count = before.frames + 1 if before and before.location == location else 1
        streaks[text] = Streak(location, count)
        known = confirmed.get(text)
        if count >= stable_frames and (known is None or known.location != location):
            moves.append(LabelMove(text, known.location if known else None, location, at))
            confirmed[text] = Confirmed(location, at)
        elif known is not None and known.location == location:
            confirmed[text] = Confirmed(location, at)
    return TrackerState(_frozen(streaks), _frozen(confirmed)), tuple(moves)
