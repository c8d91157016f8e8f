"""The rules runner: the managers' rules after moves commit (for the SKUs they touched), after
device readings are stored (for their warehouses' zones) and on a schedule; what they raise
goes out through the alert publisher it is given and webhooks.

Rule kept here: rules never run on the ingest path. The apply service only hands over the
(warehouse, SKU) pairs it touched, the readings recorder only the warehouses; this thread
evaluates them a moment later on its own connection, and a rule or action that fails is logged
and never stops the others.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import TypeVar

import httpx
from psycopg_pool import ConnectionPool

from cloud_hub.devices.pg.readings import located_warehouses
from cloud_hub.planning.notify.webhooks import WebhookSender
from cloud_hub.planning.pg import demand_daily, runs, store
from cloud_hub.planning.pg.actions import ActionSinks, AlertPublisher
from cloud_hub.planning.rules import RulesError, load_rules
from cloud_hub.settings import HubSettings
from cloud_hub.work.pg import lots, serials

log = logging.getLogger("stockpulse.rules")
T = TypeVar("T")


class RulesRunner:
    def __init__(self, pool: ConnectionPool, settings: HubSettings,
                 publisher: AlertPublisher | None = None) -> None:
        """`publisher`: where new alerts go (the hub's MQTT, built by cloud_hub.main; None:
        alerts are stored and the failure to publish them is logged)."""
        self.pool = pool
        self.settings = settings
        self.publisher = publisher
        self.touched: queue.Queue[tuple[str, str]] = queue.Queue()
        self.read: queue.Queue[str] = queue.Queue()  # warehouses with new device readings
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, name="rules", daemon=True)
        self.runs = 0
        self.invalid_version: int | None = None  # the stored rule set that failed to load

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stop_flag.set()
        self.thread.join(timeout=10)

    def moves_applied(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Called by the apply service after a commit: only queues, never blocks."""
        for pair in pairs:
            self.touched.put(pair)

    def readings_stored(self, warehouses: Iterable[str]) -> None:
        """Called by the readings recorder after a commit: only queues, never blocks."""
        for warehouse in warehouses:
            self.read.put(warehouse)

    def _run(self) -> None:
        next_sweep = time.monotonic() + self.settings.rules_interval_s
        while not self.stop_flag.wait(self.settings.rules_debounce_ms / 1000):
            pairs, warehouses = _drain(self.touched), _drain(self.read)
            sweep = time.monotonic() >= next_sweep
            if sweep:
                next_sweep = time.monotonic() + self.settings.rules_interval_s
                self.refresh_demand()
            if not pairs and not warehouses and not sweep:
                continue
            try:
                self.evaluate(None if sweep else pairs, warehouses)
            except Exception:
                log.exception("rule evaluation failed; the next run tries again")

    def refresh_demand(self) -> None:
        """On the schedule: bring the projections that follow the moves up to date
        (demand_daily, lots, serials), so their readers add minutes of moves, not a day's."""
        for projection in (demand_daily, lots, serials):
            try:
                with self.pool.connection() as conn:
                    projection.refresh(conn)
            except Exception:
                log.exception("%s refresh failed; the next sweep tries again",
                              projection.__name__)

    def evaluate(self, pairs: set[tuple[str, str]] | None,
                 warehouses: Collection[str] = ()) -> int:
        """Evaluate the stored rule set over `pairs` and the zones of `warehouses` (pairs None:
        every SKU with stock or a policy and every warehouse with located devices)."""
        with self.pool.connection() as conn:
            current = store.current_rule_set(conn)
            if current is None:
                return 0
            try:
                rules = load_rules(current[1])
            except RulesError as exc:  # stored before a check it fails existed
                if self.invalid_version != current[0]:
                    log.warning("rule set %s no longer validates, nothing is evaluated until "
                                "corrected rules are stored: %s", current[0], exc)
                self.invalid_version = current[0]
                return 0
            if pairs is None:
                pairs = set(runs.rule_subjects(conn))
                warehouses = located_warehouses(conn)
            with httpx.Client(timeout=10) as client:
                sinks = ActionSinks(conn, self.publisher, WebhookSender(client),
                                    runs.suggest_for_action)
                evaluation, report = runs.on_moves_applied(conn, pairs, rules, sinks,
                                                           datetime.now(UTC), warehouses)
        self.runs += 1
        for failure in evaluation.failures:
            log.warning("rule failed: %s", failure)
        for outcome in report.outcomes:
            if not outcome.ok:
                log.warning("rule action failed: %s", outcome)
        return len(evaluation.actions)


def _drain(items: queue.Queue[T]) -> set[T]:
    drained: set[T] = set()
    while True:
        try:
            drained.add(items.get_nowait())
        except queue.Empty:
            return drained
