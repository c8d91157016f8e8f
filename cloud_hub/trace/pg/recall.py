"""A recall through the ledger's one apply entry point: read where the lot's available stock
is, hold it (trace/recall.py plans the moves) in one transaction with the caller as user, then
report from the trace what was received, what is on hand where, and what was shipped on which
order. Open picks of the lot are listed to be stopped (flagged, not cancelled: the order's
reservations are the work feature's). At most MAX_PLACES balances and units in one recall."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.trace.model import Direction, Limits, LotKey, Report
from cloud_hub.trace.pg.queries import lots_named
from cloud_hub.trace.pg.report import trace_report
from cloud_hub.trace.recall import HoldPlan, UnitShare, plan_hold
from cloud_hub.work.pg.apply import apply_moves

_UNITS = """
SELECT c.unit_key, u.location, c.quantity, NOT EXISTS (
         SELECT 1 FROM unit_contents o WHERE o.unit_key = c.unit_key
            AND (o.sku, o.lot, o.status) <> (c.sku, c.lot, c.status))
  FROM unit_contents c JOIN units u USING (unit_key)
 WHERE c.sku = %s AND c.lot = %s AND c.status = 'available' AND u.warehouse = %s
   AND u.location IS NOT NULL
 ORDER BY c.unit_key LIMIT %s"""
MAX_PLACES = 20_000  # balances or units of one lot a recall holds in one transaction


class RecallTooLarge(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Recalled:
    plan: HoldPlan
    report: Report  # the lot's trace after the hold (its picks: the open ones to stop)


def recall(pool: Any, ledger: ApplyService, warehouse: str, key: LotKey, *, recall_id: str,
           user: str, occurred_at: datetime, device_id: str) -> Recalled | None:
    """Hold every available quantity of the lot in the warehouse; None when the warehouse's
    ledger never saw the lot."""
    with pool.connection() as conn:
        if not lots_named(conn, warehouse, key.lot, key.sku, 1):
            return None
    with pool.connection() as conn, ledger.transaction(conn) as posting:
        balances = {loc: qty for loc, qty in conn.execute(
            "SELECT location, quantity FROM balances WHERE lot = %s AND sku = %s AND lot <> '' "
            "AND warehouse = %s AND status = 'available' AND quantity > 0 LIMIT %s",
            (key.lot, key.sku, warehouse, MAX_PLACES + 1))}
        units = [UnitShare(u, loc, qty, only) for u, loc, qty, only in conn.execute(
            _UNITS, (key.sku, key.lot, warehouse, MAX_PLACES + 1))]
        if len(balances) > MAX_PLACES or len(units) > MAX_PLACES:
            raise RecallTooLarge(f"lot {key.lot} of {key.sku} lies in more than {MAX_PLACES} "
                                 "places or units: recall it per SKU and location range")
        plan = plan_hold(recall_id, warehouse, key, balances, units, occurred_at=occurred_at,
                         user=user, device_id=device_id)
        apply_moves(posting, plan.moves, f"recall:{user}")
    with pool.connection() as conn:
        report = trace_report(conn, warehouse, lot=key.lot, sku=key.sku,
                              direction=Direction.BOTH, limits=Limits(steps=10_000))
    assert report is not None
    return Recalled(plan, report)

