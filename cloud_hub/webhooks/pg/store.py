"""Webhook subscriptions and their outbox in PostgreSQL: save, list, enqueue, take the head
of a subscription's queue, record what a delivery did, replay, and the delivery log.

Rule kept here: a subscription's deliveries go out in id order — only the oldest pending one
(and those after it, in order, while they succeed) is ever sent — and a subscription is
delivered by one sender at a time (its row is locked FOR UPDATE SKIP LOCKED while a batch is
on the wire), so two hub replicas never interleave or double-send a queue.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg

from cloud_hub.webhooks.model import DEFAULT_MAX_ATTEMPTS, EventType, Filter, after_failure


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    name: str
    url: str
    event_types: list[str]
    filter: Filter
    allow_private: bool
    max_attempts: int
    active: bool
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    message_id: str
    event_type: str
    payload: dict[str, object]
    occurred_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class LogEntry:
    id: int
    subscription_id: int
    message_id: str
    event_type: str
    state: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


_SUB = ("id, name, url, event_types, warehouse, sku, location_prefix, allow_private, "
        "max_attempts, active, created_by, created_at")


def _sub(row: tuple) -> Subscription:  # type: ignore[type-arg]
    (id_, name, url, types, wh, sku, prefix, private, attempts, active, by, at) = row
    return Subscription(id_, name, url, list(types), Filter(wh, sku, prefix), private,
                        attempts, active, by, at)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def create(conn: psycopg.Connection, *, name: str, url: str, event_types: list[EventType],
           filter: Filter, allow_private: bool, created_by: str | None,
           max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> tuple[Subscription, str]:
    """(the subscription, its signing secret — shown this once)."""
    secret = new_secret()
    row = conn.execute(
        f"INSERT INTO webhook_subscriptions (name, url, secret, event_types, warehouse, sku, "
        f"location_prefix, allow_private, max_attempts, created_by) VALUES "
        f"(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING {_SUB}",
        (name, url, secret, [str(t) for t in event_types], filter.warehouse, filter.sku,
         filter.location_prefix, allow_private, max_attempts, created_by)).fetchone()
    assert row is not None
    return _sub(row), secret


def get(conn: psycopg.Connection, sub_id: int) -> Subscription | None:
    row = conn.execute(f"SELECT {_SUB} FROM webhook_subscriptions WHERE id = %s",
                       (sub_id,)).fetchone()
    return _sub(row) if row else None


def list_all(conn: psycopg.Connection) -> list[Subscription]:
    return [_sub(r) for r in conn.execute(f"SELECT {_SUB} FROM webhook_subscriptions "
                                          "ORDER BY id")]


def set_active(conn: psycopg.Connection, sub_id: int, active: bool) -> Subscription | None:
    row = conn.execute(f"UPDATE webhook_subscriptions SET active = %s WHERE id = %s "
                       f"RETURNING {_SUB}", (active, sub_id)).fetchone()
    return _sub(row) if row else None


def delete(conn: psycopg.Connection, sub_id: int) -> bool:
    return conn.execute("DELETE FROM webhook_subscriptions WHERE id = %s",
                        (sub_id,)).rowcount == 1


def enqueue(conn: psycopg.Connection, event_type: EventType, message_id: str,
            occurred_at: datetime, data: dict[str, object], *, warehouse: str,
            sku: str | None = None, locations: tuple[str | None, ...] = ()) -> int:
    """Queue one event for every active subscription that wants it, in the caller's
    transaction (so it is queued exactly when what it reports commits). Rows queued."""
    queued = 0
    for sub in list_all(conn):
        if sub.active and event_type in sub.event_types and \
                sub.filter.matches(warehouse, sku, locations):
            queued += conn.execute(
                "INSERT INTO webhook_deliveries (subscription_id, message_id, event_type, "
                "payload, occurred_at) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (sub.id, message_id, str(event_type), json.dumps(data, default=_json),
                 occurred_at)).rowcount
    return queued


def _json(value: object) -> object:
    """Quantities as JSON numbers (an int when whole), anything else as its text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def due_subscriptions(conn: psycopg.Connection, limit: int = 64) -> list[int]:
    """Subscriptions whose queue head may be tried now."""
    return [r[0] for r in conn.execute(
        "SELECT h.subscription_id FROM (SELECT DISTINCT ON (subscription_id) subscription_id, "
        "next_attempt_at FROM webhook_deliveries WHERE state = 'pending' "
        "ORDER BY subscription_id, id) h JOIN webhook_subscriptions s "
        "ON s.id = h.subscription_id AND s.active WHERE h.next_attempt_at <= now() "
        "ORDER BY h.next_attempt_at LIMIT %s", (limit,))]


@contextmanager
def claimed(conn: psycopg.Connection, sub_id: int) -> Iterator[tuple[str, Subscription] | None]:
    """The subscription (and its secret), locked for this sender until the block ends; None
    when another sender has it, or it is gone or inactive."""
    with conn.transaction():
        row = conn.execute(f"SELECT secret, {_SUB} FROM webhook_subscriptions WHERE id = %s "
                           "AND active FOR UPDATE SKIP LOCKED", (sub_id,)).fetchone()
        yield (row[0], _sub(row[1:])) if row else None


def head(conn: psycopg.Connection, sub_id: int, limit: int) -> list[Delivery]:
    """The oldest pending deliveries of a subscription, in order, while they are due."""
    rows = conn.execute(
        "SELECT id, message_id, event_type, payload, occurred_at, attempts, "
        "next_attempt_at <= now() FROM webhook_deliveries WHERE subscription_id = %s AND "
        "state = 'pending' ORDER BY id LIMIT %s", (sub_id, limit)).fetchall()
    out = []
    for *fields, due in rows:
        if not due:
            break  # a later one never overtakes a delivery that is waiting to be retried
        out.append(Delivery(*fields))
    return out


def delivered(conn: psycopg.Connection, ids: list[int], status: int) -> None:
    if ids:
        conn.execute("UPDATE webhook_deliveries SET state = 'delivered', delivered_at = now(), "
                     "attempts = attempts + 1, last_status = %s, last_error = NULL "
                     "WHERE id = ANY(%s)", (status, ids))


def failed(conn: psycopg.Connection, delivery: Delivery, max_attempts: int,
           status: int | None, error: str) -> str:
    """Record a failed try; the delivery's new state ('pending' to retry, or 'dead')."""
    state, wait_s = after_failure(delivery.attempts + 1, max_attempts)
    conn.execute("UPDATE webhook_deliveries SET attempts = attempts + 1, state = %s, "
                 "next_attempt_at = now() + make_interval(secs => %s), last_status = %s, "
                 "last_error = %s WHERE id = %s",
                 (state, wait_s, status, error[:1000], delivery.id))
    return state


def replay(conn: psycopg.Connection, delivery_id: int) -> LogEntry | None:
    """Send a delivery again (a dead one, or a delivered one a receiver lost), at once."""
    row = conn.execute(
        f"UPDATE webhook_deliveries SET state = 'pending', attempts = 0, "
        f"next_attempt_at = now(), last_error = NULL WHERE id = %s RETURNING {_LOG}",
        (delivery_id,)).fetchone()
    return LogEntry(*row) if row else None


_LOG = ("id, subscription_id, message_id, event_type, state, attempts, next_attempt_at, "
        "last_status, last_error, created_at, delivered_at")


def log(conn: psycopg.Connection, sub_id: int, *, state: str | None, after_id: int,
        limit: int) -> list[LogEntry]:
    return [LogEntry(*r) for r in conn.execute(
        f"SELECT {_LOG} FROM webhook_deliveries WHERE subscription_id = %s AND id > %s "
        "AND (%s::text IS NULL OR state = %s) ORDER BY id LIMIT %s",
        (sub_id, after_id, state, state, limit))]


def delivery_subscription(conn: psycopg.Connection, delivery_id: int) -> int | None:
    row = conn.execute("SELECT subscription_id FROM webhook_deliveries WHERE id = %s",
                       (delivery_id,)).fetchone()
    return int(row[0]) if row else None
