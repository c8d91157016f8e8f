"""A hub for the ingest-isolation tests: one per module, production's gateway rule (moves of
unregistered gateways are dead letters), a database that refuses one SKU the way PostgreSQL
refuses an out-of-range value, and helpers to publish and wait."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cloud_hub.auth.pg.store import create_gateway_credential
from cloud_hub.db.database import connect
from protocol import StockMoved, event_to_dict
from tests.conftest import scratch_database
from tests.hub.mqtt_tools import Publisher
from tests.hub.test_ingest import seed_site, wait_for
from tests.hub_fixtures import Hub, running_hub

POISON_SKU = "POISON"  # moves of it are refused by the database (REFUSE_SQL)
REFUSE_SQL = """
CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.sku = 'POISON' THEN
    RAISE EXCEPTION 'bigint out of range' USING ERRCODE = 'numeric_value_out_of_range';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_poison BEFORE INSERT ON moves FOR EACH ROW EXECUTE FUNCTION refuse_poison();
"""


@dataclass
class Site:
    hub: Hub
    url: str
    publisher: Publisher

    def warehouse(self, *gateways: str) -> tuple[str, list[str]]:
        """A new warehouse with bins and these gateways registered."""
        wh = f"I{uuid.uuid4().hex[:8]}"
        bins = seed_site(self.url, wh)
        for gateway in gateways:
            self.register(wh, gateway)
        return wh, bins

    def register(self, wh: str, gateway: str) -> None:
        with connect(self.url) as conn:
            create_gateway_credential(conn, wh, gateway, now=datetime.now(UTC),
                                      ttl=timedelta(days=1), secret_key="test")

    def publish(self, topic_name: str, payload: bytes, retain: bool = False) -> None:
        self.publisher.publish(topic_name, payload, retain=retain)
        self.publisher.flush()

    def value(self, sql: str, *params: object) -> Any:
        with connect(self.url) as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def wait(self, sql: str, expected: object, timeout: float = 20) -> object:
        with connect(self.url) as conn:
            return wait_for(conn, sql, expected, timeout)

    def api(self) -> httpx.Client:
        return self.hub.client()


@contextmanager
def isolation_site(mqtt_broker: tuple[str, int], **overrides: object) -> Iterator[Site]:
    settings: dict[str, object] = {"unregistered_gateways": "refuse"}
    settings.update(overrides)
    with scratch_database() as url, running_hub(url, **settings) as hub:
        with connect(url) as conn:
            conn.execute(REFUSE_SQL)
        publisher = Publisher(*mqtt_broker)
        try:
            yield Site(hub, url, publisher)
        finally:
            publisher.close()


def with_field(event: StockMoved, name: str, raw_json: str) -> dict[str, Any]:
    """The event as a dict with an extra field whose JSON text is `raw_json` (spliced in
    later by `dumps`, so any depth can be sent)."""
    body = event_to_dict(event)
    body[name] = {"__raw__": raw_json}
    return body


def dumps(value: object) -> bytes:
    """JSON of `value`, each {"__raw__": text} replaced by the text itself."""
    spliced: list[str] = []

    def hook(obj: object) -> object:
        raise TypeError(obj)

    text = json.dumps(value, default=hook, separators=(",", ":"))
    while '{"__raw__":"' in text:
        start = text.index('{"__raw__":"')
        end = text.index('"}', start)
        spliced.append(text[:start] + json.loads(text[start + 11:end + 1]))
        text = text[end + 2:]
    return ("".join(spliced) + text).encode()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def until(check: Callable[[], object], timeout: float = 15) -> object:
    """Poll `check` (an HTTP endpoint: no event to await) until it returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)
