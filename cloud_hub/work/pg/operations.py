"""Supervisor and integration operations that move stock: dock arrivals, quarantine release,
shipping, count approval and recount — each applied through the ledger in one transaction.

Rule kept here: event ids derive from the caller's key or the record they act on, so any of
these repeated by a retrying client applies nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.webhooks.model import EventType
from cloud_hub.webhooks.pg import store as webhooks
from cloud_hub.work.counts import CountRequest
from cloud_hub.work.pg.apply import apply_moves
from cloud_hub.work.pg.counts import adjustment, create_count_task, take_review
from cloud_hub.work.pg.receiving import load_receipt, record_arrival
from cloud_hub.work.pg.waves import ship_order
from cloud_hub.work.putaway import PutawayPolicy
from cloud_hub.work.receiving import Arrival, MatchKind
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus, UnitRef

LOOSE_QUARANTINE = """
SELECT b.sku, b.lot, b.quantity - COALESCE((
    SELECT sum(c.quantity) FROM units u JOIN unit_contents c ON c.unit_key = u.unit_key
    WHERE u.location = b.location AND c.sku = b.sku AND c.lot = b.lot
      AND c.status = 'quarantine'), 0) AS loose
FROM balances b WHERE b.location = %s AND b.status = 'quarantine' AND b.sku = ANY(%s)"""


class WorkOperations:
    pool: Any
    ledger: ApplyService
    policy: PutawayPolicy

    def _policy(self, conn: Any) -> PutawayPolicy:
        raise NotImplementedError

    def arrival(self, receipt_id: str, *, event_id: UUID, unit: UnitRef | None, sku: str | None,
                lot: str | None, quantity: Any, location: str | None, occurred_at: datetime,
                device_id: str, source_kind: SourceKind, user: str,
                may_exceed: bool = False) -> dict[str, Any]:
        """A pallet seen by the inbound portal or scanned at the dock: match it to the receipt,
        receive it into the ledger (quarantined when the receipt says so), plan its putaway.
        Beyond the receipt's tolerance only when `may_exceed` (a supervisor calls)."""
        with self.pool.connection() as conn, self.ledger.transaction(conn) as posting:
            receipt = load_receipt(conn, receipt_id)
            dock = location or receipt.dock
            match, putaway = record_arrival(
                conn, receipt, Arrival(unit.key if unit else None, sku, lot, quantity),
                seen_by=f"{source_kind}:{device_id}", occurred_at=occurred_at, location=dock,
                policy=self._policy(conn), may_exceed=may_exceed)
            moves: list[StockMoved] = []
            if match.kind in (MatchKind.MATCHED, MatchKind.OVER) and match.sku:
                line = receipt.line(match.line_id or "")
                status = StockStatus.QUARANTINE if receipt.quarantine else None
                item = ItemLine(sku=match.sku, lot=match.lot or None, quantity=match.quantity,
                                expiry=line.expiry if line else None)
                moves.append(StockMoved(
                    event_id=event_id, occurred_at=occurred_at, warehouse=receipt.warehouse,
                    source=Source(kind=source_kind, device_id=device_id, read_point=dock),
                    unit=unit, contents=(item,) if unit else (), item=None if unit else item,
                    from_location=None, to_location=dock, to_status=status,
                    reason=Reason.RECEIVE, task_id=f"receipt:{receipt_id}", user=user))
                apply_moves(posting, moves, f"work:{user}")
        return {"match": str(match.kind), "line_id": match.line_id, "message": match.message,
                "putaway_task_id": putaway, "move_ids": [str(m.event_id) for m in moves]}

    def release(self, receipt_id: str, *, user: str, occurred_at: datetime,
                device_id: str) -> list[str]:
        """Quality released the receipt: its pallets (wherever they are now) and its loose
        stock at the dock turn from quarantine to available."""
        with self.pool.connection() as conn, self.ledger.transaction(conn) as posting:
            receipt = load_receipt(conn, receipt_id)
            moves = []
            units = conn.execute(
                "SELECT u.unit_key, u.epc, u.sscc, u.location FROM work_receipt_arrivals a "
                "JOIN units u ON u.unit_key = a.unit_key WHERE a.receipt_id = %s AND "
                "a.match IN ('matched','over') AND u.location IS NOT NULL AND EXISTS (SELECT 1 "
                "FROM unit_contents c WHERE c.unit_key = u.unit_key AND c.status = 'quarantine')",
                (receipt_id,)).fetchall()
            for key, epc, sscc, loc in units:
                moves.append(self._release_move(receipt.warehouse, key, loc, occurred_at, user,
                                                device_id, unit=UnitRef(epc=epc, sscc=sscc)))
            for sku, lot, qty in conn.execute(LOOSE_QUARANTINE, (
                    receipt.dock, [ln.sku for ln in receipt.lines])).fetchall():
                if qty <= 0:
                    continue
                item = ItemLine(sku=sku, lot=lot or None, quantity=qty,
                                status=StockStatus.QUARANTINE)
                moves.append(self._release_move(receipt.warehouse, f"{sku}:{lot}", receipt.dock,
                                                occurred_at, user, device_id, item=item))
            apply_moves(posting, moves, f"work:{user}")
        return [str(m.event_id) for m in moves]

    @staticmethod
    def _release_move(warehouse: str, key: str, location: str, occurred_at: datetime,
                      user: str, device_id: str, unit: UnitRef | None = None,
                      item: ItemLine | None = None) -> StockMoved:
        return StockMoved(
            event_id=uuid5(NAMESPACE_URL, f"stockpulse:release:{location}:{key}:"
                                          f"{occurred_at.isoformat()}"),
            occurred_at=occurred_at, warehouse=warehouse,
            source=Source(kind=SourceKind.SYSTEM, device_id=device_id), unit=unit, item=item,
            from_location=location, to_location=location, to_status=StockStatus.AVAILABLE,
            reason=Reason.ADJUST, user=user)

    def ship(self, order_id: str, *, occurred_at: datetime, user: str, device_id: str,
             source_kind: SourceKind, read_point: str | None) -> list[str]:
        with self.pool.connection() as conn, self.ledger.transaction(conn) as posting:
            moves = ship_order(posting, order_id, occurred_at=occurred_at, user=user,
                               device_id=device_id, source_kind=source_kind,
                               read_point=read_point)
        return [str(m.event_id) for m in moves]

    def approve_count(self, task_id: str, step_id: str, *, supervisor: str,
                      occurred_at: datetime, device_id: str) -> list[str]:
        """A supervisor accepts a large count variance: the ledger is adjusted to the count."""
        with self.pool.connection() as conn, self.ledger.transaction(conn) as posting:
            warehouse, location, sku, lot, variance = take_review(conn, task_id, step_id,
                                                                  "approved", supervisor)
            move = adjustment(
                event_id=uuid5(NAMESPACE_URL, f"stockpulse:count-approve:{task_id}:{step_id}"),
                warehouse=warehouse, location=location, sku=sku, lot=lot, variance=variance,
                occurred_at=occurred_at, user=supervisor, device_id=device_id, task_id=task_id,
                reason=Reason.ADJUST)
            apply_moves(posting, [move], f"work:{supervisor}")
            webhooks.enqueue(conn, EventType.COUNT_APPROVED,
                             f"msg_count_approved_{task_id}_{step_id}", occurred_at, {
                                 "task_id": task_id, "step_id": step_id,
                                 "warehouse": warehouse, "location": location, "sku": sku,
                                 "lot": lot or None, "variance": variance,
                                 "approved_by": supervisor}, warehouse=warehouse, sku=sku,
                             locations=(location,))
        return [str(move.event_id)]

    def recount(self, task_id: str, step_id: str, *, supervisor: str,
                now: datetime) -> str | None:
        with self.pool.connection() as conn, conn.transaction():
            warehouse, location, sku, _, _ = take_review(conn, task_id, step_id, "recount",
                                                         supervisor)
            new_id = f"recount-{task_id}-{step_id}"
            return create_count_task(conn, task_id=new_id, warehouse=warehouse,
                                     request=CountRequest(location, sku, "recount"), blind=True,
                                     now=now, priority=20)
