"""What the hub publishes on a warehouse's alerts topic (stockpulse/v1/<warehouse>/alerts, QoS 1)
when a rule fires, and posts to a rule's webhook: one JSON object an alert.

Rule kept here: the hub builds the payload from this model only, so the AsyncAPI document, the
MQTT message and the webhook body cannot disagree.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

Severity = Literal["info", "warning", "critical"]
Text = Annotated[str, Field(max_length=4096)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
FactValue = float | int | str | bool


class AlertMessage(BaseModel):
    """A rule fired for one subject (a SKU in a warehouse, a lot, a count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alert_id: int | None = Field(description="the stored alert's id; null on a webhook, which "
                                 "is posted before and apart from storage")
    rule: Text
    severity: Severity
    audience: Text | None = Field(description="who should act, as the rule names it")
    warehouse: Id
    subject: Text
    sku: Text | None = None
    message: Text
    facts: dict[str, FactValue] = Field(description="the values the rule saw")
    raised_at: AwareDatetime

    def as_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")
