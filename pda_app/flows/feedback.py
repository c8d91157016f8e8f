"""What the picker is told after each scan or answer: a tone (colour/sound), a code and a sentence.

Rule kept here: every scan gets exactly one Feedback; codes are the hub's ResultCode values
where the hub has a name for the situation, otherwise one of `Local`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tone(StrEnum):
    OK = "ok"  # green, high beep
    WARN = "warn"  # amber: accepted, but look
    ERROR = "error"  # red, low buzz: rescan
    INFO = "info"  # neutral


class Local(StrEnum):
    """Feedback codes the PDA makes itself (the hub never sends these)."""

    SCANNED = "scanned"
    UNREADABLE = "unreadable"
    NOT_A_QUANTITY = "not_a_quantity"
    NOT_A_UNIT = "not_a_unit"
    SHORT_ASKED = "short_asked"
    OVERRIDE_ASKED = "override_asked"
    READY = "ready"
    SENT = "sent"
    FINISHED = "finished"
    IGNORED = "ignored"
    HELD = "held_stock"  # the stock at the bin is on hold: not to be picked


@dataclass(frozen=True, slots=True)
class Feedback:
    tone: Tone
    code: str
    message: str

    @classmethod
    def ok(cls, code: str, message: str) -> Feedback:
        return cls(Tone.OK, str(code), message)

    @classmethod
    def error(cls, code: str, message: str) -> Feedback:
        return cls(Tone.ERROR, str(code), message)

    @classmethod
    def warn(cls, code: str, message: str) -> Feedback:
        return cls(Tone.WARN, str(code), message)

    @classmethod
    def info(cls, code: str, message: str) -> Feedback:
        return cls(Tone.INFO, str(code), message)
