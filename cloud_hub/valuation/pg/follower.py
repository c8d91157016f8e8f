"""The thread that keeps the valuation up to date: woken after moves commit, it refreshes the
projection on its own connection, and measures how far behind the ledger it is.

Rule kept here: posting never waits for valuation. The apply service only sets an event
(`moves_applied`); the refresh, its waits and its failures stay on this thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from psycopg_pool import ConnectionPool

from cloud_hub.valuation.model import Method
from cloud_hub.valuation.pg import projection

log = logging.getLogger("stockpulse.valuation")


class ValuationFollower:
    def __init__(self, pool: ConnectionPool, method: Method, base_currency: str, *,
                 idle_s: float = 5.0, wait_s: float = 0.5) -> None:
        """`idle_s`: refresh at least this often without a wake-up (moves posted by another
        hub replica wake nobody here); `wait_s`: how long a refresh waits for open writers."""
        self.pool = pool
        self.method = method
        self.base_currency = base_currency
        self.idle_s = idle_s
        self.wait_s = wait_s
        self.wake = threading.Event()
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name="valuation", daemon=True)
        self.behind = 0  # moves beyond the watermark at the last look
        self.caught_up_at = time.monotonic()
        self.refreshes = 0
        self.refreshed = threading.Event()  # set after each refresh (tests await it)
        self.refused: str | None = None  # why the settings and the stored valuation disagree

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_flag.set()
        self.wake.set()
        self.thread.join(timeout=10)

    def moves_applied(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Called by the apply service after a commit: sets an event, never blocks."""
        self.wake.set()

    def lag_seconds(self) -> float:
        """0 when every committed move is valued, else how long since that was last true."""
        return 0.0 if self.behind == 0 else time.monotonic() - self.caught_up_at

    def _run(self) -> None:
        while not self.stop_flag.is_set():
            self.wake.wait(self.idle_s)
            self.wake.clear()
            if self.stop_flag.is_set():
                return
            try:
                self.refresh_once()
            except ValueError as exc:  # another method or currency than stored: say it once
                if str(exc) != self.refused:
                    log.error("valuation is not refreshed: %s", exc)
                self.refused = str(exc)
            except Exception:
                log.exception("valuation refresh failed; the next wake-up tries again")
                self.stop_flag.wait(1.0)

    def refresh_once(self) -> None:
        with self.pool.connection() as conn:
            projection.refresh(conn, self.method, self.base_currency, wait_s=self.wait_s)
            self.behind = projection.lag(conn)[0]
        self.refreshes += 1
        if self.behind == 0:
            self.caught_up_at = time.monotonic()
        self.refreshed.set()
