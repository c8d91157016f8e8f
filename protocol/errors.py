"""The contract's one error type: every bad payload becomes a ContractError, nothing else."""

from __future__ import annotations


class ContractError(ValueError):
    """A message or event does not meet the StockPulse wire contract.

    `field` names the offending field as a dotted path when one is known, so a
    dead-letter record or an HTTP problem can say exactly what was wrong.
    """

    def __init__(self, reason: str, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)


class LabelError(ContractError):
    """A scan no label can be (empty, too long, control characters), or one that claims a
    format — a symbology identifier, GS1 element strings, HRI — and breaks it.

    `field` names the AI as "(01)" or the symbology identifier when one is to blame.
    """
