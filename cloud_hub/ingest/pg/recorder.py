"""Recorder: writes a window's dead letters and gateway news, so a bad row never holds up the
rest.

Rule kept here: a transient failure (the database away) is raised, and the window waits and
is tried again; any other failure splits the write row by row: a gateway update that cannot be
stored becomes a dead letter, a dead letter that cannot be stored is stored without its
payload (its reason, size and hash kept), and only if even that fails is it logged and let
go. The news goes to the live feed only after its commit, and a live-feed failure is logged;
so do the warehouses whose readings were stored to `readings_listeners` (the rules runner),
which only queue and whose failure is logged, never the window's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

import psycopg
from psycopg_pool import ConnectionPool

from cloud_hub.devices.pg.readings import store_readings
from cloud_hub.ingest.messages import DeadLetter, GatewayNews, gateway_row
from cloud_hub.ingest.pg.dead_letters import NewLetter, insert_letters
from cloud_hub.ingest.pg.gateways import upsert_gateway
from cloud_hub.ingest.pg.isolate import failure_reason, is_transient
from cloud_hub.live.messages import Sink
from cloud_hub.ops.metrics import Metrics
from protocol.devices import ReadingMessage
from protocol.topics import Channel, topic

log = logging.getLogger("stockpulse.ingest")


class Recorder:
    def __init__(self, pool: ConnectionPool, metrics: Metrics, live: Sink | None,
                 max_raw: int) -> None:
        self.pool, self.metrics, self.live, self.max_raw = pool, metrics, live, max_raw
        self.readings_listeners: list[Callable[[Iterable[str]], None]] = []

    def record(self, dead: Sequence[DeadLetter], news: Sequence[GatewayNews],
               readings: Sequence[ReadingMessage] = ()) -> None:
        if readings:  # first: a reading that cannot be stored becomes one more dead letter
            dead = [*dead, *self._readings(readings)]
        if not dead and not news:
            return
        now = datetime.now(UTC)
        letters = [NewLetter(d.topic, d.warehouse, "mqtt", d.reason, d.raw) for d in dead]
        try:
            with self.pool.connection() as conn, conn.transaction():
                insert_letters(conn, letters, self.max_raw)
                for item in news:
                    upsert_gateway(conn, item, now)
            stored = list(news)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("recording %d dead letters and %d gateway updates together failed "
                        "(%s); recording them one by one", len(letters), len(news), exc)
            stored = self._one_by_one(letters, news, now)
        self.metrics.inc("stockpulse_dead_letters_total", len(letters))
        try:
            self._announce(stored, now)
        except Exception:  # recorded already: the live feed's trouble is not the window's
            log.exception("announcing gateway news on the live feed failed")

    def _readings(self, readings: Sequence[ReadingMessage]) -> list[DeadLetter]:
        """Store the window's readings; dead letters for those that could not be stored."""
        try:
            with self.pool.connection() as conn, conn.transaction():
                store_readings(conn, readings)
            self.metrics.inc("stockpulse_device_readings_total", len(readings))
        except Exception as exc:
            if is_transient(exc):
                raise
            log.warning("storing %d device readings failed (%s); they become dead letters",
                        len(readings), exc)
            return [DeadLetter(topic(r.warehouse, r.gateway, Channel.READINGS),
                               f"reading could not be stored: {failure_reason(exc)}",
                               r.to_json(), r.warehouse) for r in readings]
        warehouses = {r.warehouse for r in readings}
        for listener in self.readings_listeners:
            try:
                listener(warehouses)
            except Exception:  # stored already: a listener's trouble is not the window's
                log.exception("telling %r about stored readings failed", listener)
        return []

    def _one_by_one(self, letters: list[NewLetter], news: Sequence[GatewayNews],
                    now: datetime) -> list[GatewayNews]:
        stored: list[GatewayNews] = []
        with self.pool.connection() as conn:
            for item in news:
                try:
                    with conn.transaction():
                        upsert_gateway(conn, item, now)
                    stored.append(item)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    letters.append(NewLetter(
                        topic(item.warehouse, item.gateway, item.channel), item.warehouse,
                        "mqtt", f"{item.channel.value} could not be stored: "
                        f"{failure_reason(exc)}", item.raw))
            for letter in letters:
                self._store_letter(conn, letter)
        return stored

    def _store_letter(self, conn: psycopg.Connection, letter: NewLetter) -> None:
        try:
            with conn.transaction():
                insert_letters(conn, [letter], self.max_raw)
            return
        except Exception as exc:
            if is_transient(exc):
                raise
            failure = exc
        try:  # the payload is what the database refused: keep the rest
            with conn.transaction():
                insert_letters(conn, [letter], 0)
            log.warning("dead letter on %s stored without its payload: %s", letter.topic,
                        failure)
        except Exception as exc:
            if is_transient(exc):
                raise
            log.exception("a dead letter on %s could not be stored at all (%s); reason was: "
                          "%s", letter.topic, exc, letter.reason)

    def _announce(self, news: Sequence[GatewayNews], now: datetime) -> None:
        if self.live is None or not news:
            return
        messages = []
        for item in news:
            row = gateway_row(item, now)
            messages.append({"type": "gateway", "warehouse": item.warehouse,
                             "gateway": item.gateway, "state": row[2],
                             "last_heartbeat": now.isoformat(), "queue_depth": row[5]})
        self.live.publish(messages)
