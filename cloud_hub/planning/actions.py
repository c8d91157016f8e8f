"""Action adapters for rules: stored alert (PostgreSQL), MQTT alert message, webhook POST with
retries, replenishment suggestion and recount (count tasks); and the dispatcher that runs them.

Rule kept here: one action failing (broker down, webhook 500 after retries) is reported in the
dispatch report and never stops the others; an alert is published on MQTT only when it is new
(an alert that keeps holding is counted in the database, not re-broadcast).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import httpx
import paho.mqtt.client as mqtt
import psycopg

from cloud_hub.planning import recount, store
from cloud_hub.planning.rules import Action, ActionKind
from protocol.topics import Channel, warehouse_topic


class ActionFailed(RuntimeError):
    """An action adapter could not do its job; the message says why."""


def alert_payload(action: Action, alert_id: int | None, now: datetime) -> dict[str, object]:
    fact = action.fact
    return {"alert_id": alert_id, "rule": action.rule, "severity": action.severity.value,
            "audience": action.target, "warehouse": fact.warehouse, "subject": fact.subject,
            "sku": fact.sku, "message": action.message, "facts": dict(fact.values),
            "raised_at": now.isoformat()}


class AlertPublisher(Protocol):
    def publish(self, warehouse: str, payload: dict[str, object]) -> None: ...


class MqttAlertPublisher:
    """Publishes alerts as JSON on stockpulse/v1/<warehouse>/alerts, QoS 1 (paho-mqtt 2.x).

    `client` comes configured (the hub's: cloud_hub.broker.client.hub_client, with its
    credentials and TLS); start() connects in the background and paho reconnects by itself. A
    publish waits up to `timeout` for the connection and then for the broker's PUBACK.
    """

    def __init__(self, host: str, port: int, *, client: mqtt.Client | None = None,
                 timeout: float = 5.0) -> None:
        self._where = f"{host}:{port}"
        self._host, self._port, self._timeout = host, port, timeout
        self._connected = threading.Event()
        self._client = client or mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                             client_id=f"planning-{uuid.uuid4().hex[:10]}")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        self._client.connect_async(self._host, self._port, keepalive=30)
        self._client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason: mqtt.ReasonCode, properties: object) -> None:
        if not reason.is_failure:
            self._connected.set()

    def _on_disconnect(self, *_args: object) -> None:
        self._connected.clear()

    def publish(self, warehouse: str, payload: dict[str, object]) -> None:
        if not self._connected.wait(self._timeout):
            raise ActionFailed(f"the MQTT broker at {self._where} did not accept the "
                               "connection")
        info = self._client.publish(warehouse_topic(warehouse, Channel.ALERTS),
                                    json.dumps(payload, default=str), qos=1)
        try:
            info.wait_for_publish(self._timeout)
        except (RuntimeError, ValueError) as exc:
            raise ActionFailed(f"MQTT publish failed: {exc}") from exc
        if not info.is_published():
            raise ActionFailed("MQTT publish was not acknowledged in time")

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


class WebhookSender:
    """HTTP POST of the alert JSON; retries connection errors and 5xx/429 with backoff."""

    def __init__(self, client: httpx.Client, *, attempts: int = 3, backoff: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client, self._attempts, self._backoff, self._sleep = (
            client, max(1, attempts), backoff, sleep)

    def post(self, url: str, payload: dict[str, object]) -> int:
        last = ""
        for attempt in range(self._attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                resp = self._client.post(url, json=payload)
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code < 400:
                return resp.status_code
            last = f"HTTP {resp.status_code}"
            if resp.status_code < 500 and resp.status_code != 429:
                break  # the receiver refused this payload: retrying will not help
        raise ActionFailed(f"webhook {url} failed after {attempt + 1} attempt(s): {last}")


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
    webhook: WebhookSender | None = None
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
