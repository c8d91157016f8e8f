"""PostgresLedger: the Ledger interface (cloud_hub.ledger.interface) over PostgreSQL — writes
through the one apply entry point, reads the tables that entry point keeps.

Rule kept here: nothing here decides or writes; `apply` is ApplyService.apply (the pipeline
MQTT and REST use), the reads are plain selects of committed rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from psycopg_pool import ConnectionPool

from cloud_hub.ledger import BatchResult, ContentKey, MoveStatus, StockKey, UnitState
from cloud_hub.ledger.interface import Recorded
from cloud_hub.ledger.pg.apply import ApplyService
from protocol.events import StockMoved, StockStatus

HISTORY_SQL = "SELECT event_id, occurred_at, outcome, unit_key, note FROM moves "


class PostgresLedger:
    def __init__(self, service: ApplyService, pool: ConnectionPool) -> None:
        self.service, self.pool = service, pool

    def apply(self, moves: Sequence[StockMoved], applied_by: str | None = None) -> BatchResult:
        return self.service.apply(moves, applied_by)

    def balances(self, warehouse: str) -> dict[StockKey, Decimal]:
        with self.pool.connection() as conn:
            return {StockKey(loc, sku, lot, StockStatus(status)): qty
                    for loc, sku, lot, status, qty in conn.execute(
                        "SELECT location, sku, lot, status, quantity FROM balances "
                        "WHERE warehouse = %s AND quantity <> 0", (warehouse,))}

    def unit(self, key: str) -> UnitState | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT location, since, last_event FROM units "
                               "WHERE unit_key = %s", (key,)).fetchone()
            if row is None:
                return None
            contents = sorted((ContentKey(sku, lot, StockStatus(status)), qty)
                              for sku, lot, status, qty in conn.execute(
                                  "SELECT sku, lot, status, quantity FROM unit_contents "
                                  "WHERE unit_key = %s", (key,)))
        location, since, last_event = row
        return UnitState(key, location, since, last_event, tuple(contents))

    def history(self, warehouse: str, unit: str | None = None) -> list[Recorded]:
        with self.pool.connection() as conn:
            if unit is None:
                rows: list[Any] = conn.execute(HISTORY_SQL + "WHERE warehouse = %s ORDER BY seq",
                                               (warehouse,)).fetchall()
            else:
                rows = conn.execute(HISTORY_SQL + "WHERE warehouse = %s AND unit_key = %s "
                                    "ORDER BY occurred_at, seq", (warehouse, unit)).fetchall()
        return [Recorded(event_id, occurred_at, MoveStatus(outcome), unit_key, note)
                for event_id, occurred_at, outcome, unit_key, note in rows]
