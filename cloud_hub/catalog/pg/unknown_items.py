"""Items of applied moves that the catalog does not hold: named, counted and warned about.

Rule kept here: such moves still apply (the catalog may lag the ERP, and stock that was seen
must not be lost), but never silently — REST callers are told which items are unknown, each
is logged once and every event naming one is counted. Known items are remembered, so a batch
of known items costs no query.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence

from psycopg_pool import ConnectionPool

from cloud_hub.catalog.pg.store import known_item_keys
from protocol.events import StockMoved

log = logging.getLogger("stockpulse.catalog")
REMEMBERED = 100_000  # known and warned-about items kept; beyond it: asked again, warned again


def item_keys(move: StockMoved) -> set[str]:
    lines = ((move.item,) if move.item is not None else ()) + tuple(move.contents)
    return {line.sku_key for line in lines}


class UnknownItems:
    def __init__(self) -> None:
        self._known: set[str] = set()
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def find(self, pool: ConnectionPool, moves: Iterable[StockMoved]) -> list[str]:
        """The item keys of `moves` that the catalog does not hold, sorted."""
        keys = set().union(*(item_keys(m) for m in moves))
        with self._lock:
            missing = keys - self._known
        if not missing:
            return []
        with pool.connection() as conn:
            found = known_item_keys(conn, missing)
        with self._lock:
            if len(self._known) < REMEMBERED:
                self._known |= found
        return sorted(missing - found)

    def warn(self, unknown: Sequence[str], warehouses: Iterable[str]) -> None:
        """Log each unknown item the first time it is met."""
        with self._lock:
            new = [k for k in unknown if k not in self._warned]
            if len(self._warned) < REMEMBERED:
                self._warned.update(new)
        if new:
            log.warning("moves of %s in %s were applied, but the catalog does not hold %s "
                        "(POST /api/v1/skus adds them)", ", ".join(new[:20]),
                        ", ".join(sorted(set(warehouses))), "it" if len(new) == 1 else "them")
