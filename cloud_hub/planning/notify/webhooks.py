"""The rules' webhooks: an HTTP POST of the alert JSON, retried with backoff when retrying
can help (a connection error, 5xx, 429) and not when the receiver refused the payload.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from cloud_hub.planning.pg.actions import ActionFailed


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
