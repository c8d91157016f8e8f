"""The webhook dispatcher: a thread that brings the outbox up to the ledger (fan-out), then
posts each due subscription's queue in order, signed per Standard Webhooks (the
`standardwebhooks` package), with retries, backoff and a dead state.

Rule kept here: nothing here runs on the ledger's apply path — the apply service only wakes
this thread — so a receiver that is slow or down delays its own queue and nothing else; a
subscription's batch stops at its first failure, so messages never overtake each other.
"""

from __future__ import annotations

import http.client
import logging
import socket
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool
from standardwebhooks.webhooks import Webhook

from cloud_hub.webhooks.model import UrlRefused, body, check_url
from cloud_hub.webhooks.notify.http import HttpPoster
from cloud_hub.webhooks.pg import fanout, store

log = logging.getLogger("stockpulse.webhooks")
BATCH = 200


def resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


@dataclass
class DispatchStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


class WebhookDispatcher:
    def __init__(self, pool: ConnectionPool, *, interval_s: float = 0.5, workers: int = 4,
                 timeout_s: float = 10.0) -> None:
        self.pool, self.interval_s = pool, interval_s
        self.poster = HttpPoster(timeout_s)
        self.stats = DispatchStats()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._workers = ThreadPoolExecutor(workers, thread_name_prefix="webhook")
        self._thread = threading.Thread(target=self._run, name="webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        self._workers.shutdown(wait=True, cancel_futures=True)
        self.poster.close()

    def moves_applied(self, pairs: Iterable[tuple[str, str]]) -> None:
        """The apply service's listener: only wakes the thread, never blocks."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception:
                log.exception("webhook dispatch failed; the next round tries again")
            self._wake.wait(self.interval_s)

    def run_once(self) -> None:
        """Fan out, then deliver every due subscription's queue (in parallel across them)."""
        with self.pool.connection() as conn:
            fanout.fan_out(conn)
            conn.commit()
            due = store.due_subscriptions(conn)
        for future in [self._workers.submit(self.deliver, sub_id) for sub_id in due]:
            future.result()

    def deliver(self, sub_id: int) -> None:
        with self.pool.connection() as conn, store.claimed(conn, sub_id) as claim:
            if claim is None:
                return  # another sender (thread or replica) has this queue
            secret, sub = claim
            deliveries = store.head(conn, sub_id, BATCH)
            if not deliveries:
                return
            signer = Webhook(secret)
            try:
                check_url(sub.url, resolve, allow_private=sub.allow_private)
            except UrlRefused as exc:
                self._count(failed=1, dead=store.failed(conn, deliveries[0], sub.max_attempts,
                                                        None, str(exc)) == "dead")
                return
            sent: list[int] = []
            status = 0
            for delivery in deliveries:
                status, error = self._post(sub.url, signer, delivery)
                if error is not None:
                    state = store.failed(conn, delivery, sub.max_attempts, status or None, error)
                    self._count(failed=1, dead=state == "dead")
                    break
                sent.append(delivery.id)
            store.delivered(conn, sent, status)
            self._count(delivered=len(sent))

    def _post(self, url: str, signer: Webhook, delivery: store.Delivery
              ) -> tuple[int, str | None]:
        now = datetime.now(UTC)
        content = body(delivery.event_type, delivery.occurred_at, delivery.payload)
        headers = {"content-type": "application/json", "webhook-id": delivery.message_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": signer.sign(delivery.message_id, now, content)}
        try:
            status = self.poster.post(url, content, headers)
        except (OSError, http.client.HTTPException) as exc:
            return 0, f"{type(exc).__name__}: {exc}"[:1000]
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"

    def _count(self, delivered: int = 0, failed: int = 0, dead: bool = False) -> None:
        with self._lock:
            self.stats.delivered += delivered
            self.stats.failed += failed
            self.stats.dead += int(dead)
