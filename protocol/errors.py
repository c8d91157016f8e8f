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
