"""Running the actions rules raise: stored alert (PostgreSQL), MQTT alert message, webhook POST,
replenishment suggestion and recount (count tasks) — the dispatcher and the sinks it may use
(the MQTT and webhook adapters are in planning/notify/).

Rule kept here: one action failing (broker down, webhook 500 after retries) is reported in the
dispatch report and never stops the others; an alert is published on MQTT only when it is new
(an alert that keeps holding is counted in the database, not re-broadcast).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import psycopg

from cloud_hub.planning.pg import recount, store
from cloud_hub.planning.rules import Action, ActionKind
from cloud_hub.webhooks.model import EventType
from cloud_hub.webhooks.pg import store as webhooks
from protocol.alerts import AlertMessage


class ActionFailed(RuntimeError):
    """An action adapter could not do its job; the message says why."""


def alert_payload(action: Action, alert_id: int | None, now: datetime) -> dict[str, object]:
    fact = action.fact
    return AlertMessage(
        alert_id=alert_id, rule=action.rule, severity=action.severity.value,
        audience=action.target, warehouse=fact.warehouse, subject=fact.subject, sku=fact.sku,
        message=action.message, facts=dict(fact.values), raised_at=now).as_json()


class AlertPublisher(Protocol):
    def publish(self, warehouse: str, payload: dict[str, object]) -> None: ...


class WebhookPoster(Protocol):
    def post(self, url: str, payload: dict[str, object]) -> int: ...


class SuggestionMaker(Protocol):
    def __call__(self, conn: psycopg.Connection, action: Action, now: datetime) -> object: ...


@dataclass(frozen=True)
class Outcome:
    rule: str
    kind: ActionKind
    subject: str
    ok: bool
    detail: str


@dataclass
class DispatchReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


@dataclass
class ActionSinks:
    """What the dispatcher may use; a missing publisher / webhook sender fails its actions."""

    conn: psycopg.Connection
    publisher: AlertPublisher | None = None
    webhook: WebhookPoster | None = None
    suggest: SuggestionMaker | None = None


def dispatch(actions: Sequence[Action], sinks: ActionSinks, now: datetime) -> DispatchReport:
    report = DispatchReport()
    for action in actions:
        try:
            detail = _run(action, sinks, now)
            report.outcomes.append(Outcome(action.rule, action.kind, action.fact.subject,
                                           True, detail))
        except Exception as exc:
            report.outcomes.append(Outcome(action.rule, action.kind, action.fact.subject,
                                           False, f"{type(exc).__name__}: {exc}"))
    return report


def _run(action: Action, sinks: ActionSinks, now: datetime) -> str:
    if action.kind is ActionKind.ALERT:
        alert = store.store_alert(sinks.conn, action, now)
        if alert is None:
            return "alerted on this count before (acknowledged)"
        if not alert.new:
            return f"alert {alert.id} still open ({alert.occurrences} occurrences)"
        fact = action.fact
        webhooks.enqueue(sinks.conn, EventType.ALERT_RAISED, f"msg_alert_{alert.id}", now,
                         alert_payload(action, alert.id, now), warehouse=fact.warehouse,
                         sku=fact.sku)
        if sinks.publisher is None:
            raise ActionFailed(f"alert {alert.id} stored but no MQTT publisher is configured")
        sinks.publisher.publish(action.fact.warehouse, alert_payload(action, alert.id, now))
        return f"alert {alert.id} stored and published"
    if action.kind is ActionKind.WEBHOOK:
        if sinks.webhook is None:
            raise ActionFailed("no webhook sender configured")
        status = sinks.webhook.post(str(action.target), alert_payload(action, None, now))
        return f"webhook answered {status}"
    if action.kind is ActionKind.SUGGEST_REPLENISHMENT:
        if sinks.suggest is None:
            raise ActionFailed("no replenishment planner configured")
        return f"suggestion {sinks.suggest(sinks.conn, action, now)}"
    if action.kind is ActionKind.SCHEDULE_RECOUNT:
        return recount.schedule(sinks.conn, action, now)
    raise ActionFailed(f"no adapter for {action.kind}")
