"""How each task kind treats quantities and bins on the PDA: one row per kind, read by the flow.

Rule kept here: the PDA refuses locally only what the hub would refuse too (docs/tasks.md);
anything it cannot judge offline is sent and judged by the hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from protocol.tasks import TaskKind


class Over(StrEnum):
    """What a quantity above the remaining one does."""

    REFUSE = "refuse"  # pick, replenish: QUANTITY_OVER
    WARN = "warn"  # receive: accepted by the hub and flagged
    FREE = "free"  # count: any count is a count


@dataclass(frozen=True, slots=True)
class KindPolicy:
    title: str  # the screen's title, in warehouse words
    screen: str  # which screen shows it
    over: Over
    ask_short: bool  # fewer than remaining → "short pick?" (else partial, step stays open)
    location_is_bin: bool  # the scanned bin is sent as `scanned_location` (putaway)
    verb: str  # "picked", "received", ...


POLICIES: dict[TaskKind, KindPolicy] = {
    TaskKind.PICK: KindPolicy("Pick", "picking", Over.REFUSE, True, False, "picked"),
    TaskKind.REPLENISH: KindPolicy("Replenish", "picking", Over.REFUSE, True, False, "moved"),
    TaskKind.RECEIVE: KindPolicy("Receive", "receiving", Over.WARN, False, False, "received"),
    TaskKind.PUTAWAY: KindPolicy("Put away", "putaway", Over.FREE, False, True, "put away"),
    TaskKind.COUNT: KindPolicy("Count", "count", Over.FREE, False, False, "counted"),
}


def policy(kind: TaskKind) -> KindPolicy:
    return POLICIES[kind]
