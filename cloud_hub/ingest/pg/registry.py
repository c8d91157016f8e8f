"""GatewayRegistry: which gateways an administrator registered (`python -m cloud_hub gateways
add WH GW`), asked for the gateways whose moves arrive.

Rule kept here: an answer is cached — a registered gateway for POSITIVE_TTL_S, an unknown one
for NEGATIVE_TTL_S, so a registration takes effect within seconds and an unknown gateway that
keeps publishing costs one small query every few seconds. What becomes of the moves of an
unknown gateway (a dead letter, or applied and flagged) is the caller's setting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from psycopg_pool import ConnectionPool

log = logging.getLogger("stockpulse.ingest")
POSITIVE_TTL_S = 60.0
NEGATIVE_TTL_S = 2.0
MAX_CACHED = 10_000  # gateways remembered; past it the cache starts again

Gateway = tuple[str, str]  # (warehouse, gateway)


class GatewayRegistry:
    def __init__(self, pool: ConnectionPool,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pool = pool
        self.clock = clock
        self._known: dict[Gateway, tuple[bool, float]] = {}  # -> (registered, valid until)
        self._warned: set[Gateway] = set()

    def unregistered(self, gateways: Iterable[Gateway]) -> set[Gateway]:
        """The gateways among `gateways` that are not registered. Database errors propagate."""
        gateways = set(gateways)
        now = self.clock()
        if len(self._known) > MAX_CACHED:
            self._known.clear()
        ask = {g for g in gateways if self._known.get(g, (False, 0.0))[1] <= now}
        if ask:
            with self.pool.connection() as conn:
                found = {(w, g) for w, g in conn.execute(
                    "SELECT warehouse, gateway FROM gateways WHERE registered_at IS NOT NULL "
                    "AND (warehouse, gateway) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                    ([w for w, _ in ask], [g for _, g in ask]))}
            for gateway in ask:
                yes = gateway in found
                self._known[gateway] = (yes, now + (POSITIVE_TTL_S if yes else NEGATIVE_TTL_S))
        return {g for g in gateways if not self._known[g][0]}

    def first_time(self, gateway: Gateway) -> bool:
        """True once per gateway and process: when to warn about it."""
        if gateway in self._warned:
            return False
        self._warned.add(gateway)
        return True
