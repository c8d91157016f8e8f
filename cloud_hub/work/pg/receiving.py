"""Receipts in PostgreSQL: expected receipts with their receive task, arrivals matched to them
(by the PDA or a dock scan or portal), putaway tasks with a suggested bin, quarantine release.

Rule kept here: every arrival is recorded with how it matched (matched / over / duplicate /
unexpected), so closing a receipt always reports every discrepancy; a closed receipt takes no
arrival, and an excess beyond the receipt's tolerance only with a supervisor's acceptance.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.webhooks.model import EventType
from cloud_hub.webhooks.pg import store as webhooks
from cloud_hub.work.lot_import import LotRow
from cloud_hub.work.model import ZERO, Bin, BinKind, SkuProfile
from cloud_hub.work.pg import lot_master
from cloud_hub.work.pg.master import load_bins, load_loads, load_profiles
from cloud_hub.work.pg.tasks import TaskConflict, TaskNotFound, insert_task, load_task, save_task
from cloud_hub.work.putaway import PutawayPolicy, suggest
from cloud_hub.work.receiving import (
    Arrival,
    ArrivalMatch,
    ExpectedReceipt,
    ExpectedUnit,
    MatchKind,
    ReceiptLine,
    ReceivedSoFar,
    match_arrival,
    reconcile,
)
from cloud_hub.work.steps import StepLink, WorkTask, unit_ref
from protocol.events import StockStatus
from protocol.tasks import (
    Instruction,
    ResultCode,
    StepState,
    Task,
    TaskKind,
    TaskState,
    TaskStep,
)

UNIT_PROMPTS = (Instruction.SCAN_UNIT, Instruction.ENTER_QUANTITY)
LOOSE_PROMPTS = (Instruction.SCAN_ITEM, Instruction.ENTER_LOT, Instruction.ENTER_QUANTITY)
PUTAWAY_PROMPTS = (Instruction.SCAN_UNIT, Instruction.GO_TO_LOCATION, Instruction.SCAN_BIN)


def _lines_json(receipt: ExpectedReceipt) -> list[dict[str, Any]]:
    return [{"line_id": ln.line_id, "sku": ln.sku, "quantity": str(ln.quantity), "lot": ln.lot,
             "expiry": ln.expiry.isoformat() if ln.expiry else None,
             "units": [{"unit_key": u.unit_key, "quantity": str(u.quantity)} for u in ln.units],
             **_cost_json(ln)}
            for ln in receipt.lines]


def _cost_json(line: ReceiptLine) -> dict[str, str]:
    """A line's cost, only when it has one (cloud_hub/valuation reads these keys)."""
    if line.unit_cost is None:
        return {}
    return {"unit_cost": str(line.unit_cost), **({"currency": line.currency} if line.currency
                                                  else {}),
            **({"rate": str(line.rate)} if line.rate is not None else {})}


class ReceiptRefused(RuntimeError):
    """The receipt takes no such arrival: it is closed, or the excess is beyond its tolerance
    and no supervisor accepted it. `code` is what the PDA is told."""

    def __init__(self, code: ResultCode, reason: str) -> None:
        self.code, self.reason = code, reason
        super().__init__(reason)


ARRIVAL_COLUMNS = ("line_id", "unit_key", "sku", "lot", "quantity", "match", "seen_by",
                   "occurred_at")


def receipt_progress(conn: psycopg.Connection, receipt_id: str
                     ) -> tuple[str | None, Any, list[dict[str, Any]]]:
    """A receipt's state, its discrepancies and its arrivals so far, in the order they came."""
    state, found = conn.execute("SELECT state, discrepancies FROM work_receipts WHERE "
                                "receipt_id = %s", (receipt_id,)).fetchone() or (None, None)
    arrivals = [dict(zip(ARRIVAL_COLUMNS, r, strict=True)) for r in conn.execute(
        f"SELECT {', '.join(ARRIVAL_COLUMNS)} FROM work_receipt_arrivals WHERE receipt_id = %s "
        "ORDER BY id", (receipt_id,))]
    return state, found, arrivals


def load_receipt(conn: psycopg.Connection, receipt_id: str) -> ExpectedReceipt:
    row = conn.execute("SELECT warehouse, dock, lines, quarantine, supplier, over_tolerance_pct, "
                       "state FROM work_receipts WHERE receipt_id = %s", (receipt_id,)).fetchone()
    if row is None:
        raise TaskNotFound(f"receipt {receipt_id}")
    lines = tuple(ReceiptLine(
        ln["line_id"], ln["sku"], Decimal(ln["quantity"]), ln["lot"],
        date.fromisoformat(ln["expiry"]) if ln["expiry"] else None,
        tuple(ExpectedUnit(u["unit_key"], Decimal(u["quantity"])) for u in ln["units"]),
        Decimal(ln["unit_cost"]) if ln.get("unit_cost") is not None else None,
        ln.get("currency"), Decimal(ln["rate"]) if ln.get("rate") is not None else None)
        for ln in row[2])
    return ExpectedReceipt(receipt_id, row[0], row[1], lines, row[3], row[4], row[5],
                           closed=row[6] == "closed")


def create_receipt(conn: psycopg.Connection, receipt: ExpectedReceipt, now: datetime) -> str:
    """Store the expected receipt and make its receive task (one step per pallet or line)."""
    with conn.transaction():
        if conn.execute("SELECT 1 FROM work_receipts WHERE receipt_id = %s",
                        (receipt.receipt_id,)).fetchone():
            raise TaskConflict(f"receipt {receipt.receipt_id} exists")
        conn.execute("INSERT INTO work_receipts (receipt_id, warehouse, dock, supplier, "
                     "quarantine, lines, over_tolerance_pct) VALUES (%s,%s,%s,%s,%s,%s,%s)",
                     (receipt.receipt_id, receipt.warehouse, receipt.dock, receipt.supplier,
                      receipt.quarantine, Jsonb(_lines_json(receipt)),
                      receipt.over_tolerance_pct))
        status = StockStatus.QUARANTINE if receipt.quarantine else None
        steps, links = [], {}
        for line in receipt.lines:
            for unit in line.units or (None,):
                sid = str(len(steps) + 1)
                qty = unit.quantity if unit else line.quantity
                steps.append(TaskStep(
                    step_id=sid, sequence=len(steps) + 1, location=receipt.dock, sku=line.sku,
                    lot=line.lot or None, expiry=line.expiry, expected_quantity=qty,
                    remaining_quantity=qty, unit=unit_ref(unit.unit_key) if unit else None,
                    instructions=UNIT_PROMPTS if unit else LOOSE_PROMPTS))
                links[sid] = StepLink(receipt_id=receipt.receipt_id, receipt_line=line.line_id,
                                      to_status=status)
        for line in receipt.lines:  # what the receipt says of its lots joins the lot master
            if line.lot and (line.expiry is not None or receipt.supplier):
                lot_master.declare(conn, LotRow(0, line.sku, line.lot, line.expiry,
                                                supplier=receipt.supplier or None),
                                   now, "receipt")
        task_id = f"receive-{receipt.receipt_id}"
        insert_task(conn, WorkTask(Task(
            task_id=task_id, kind=TaskKind.RECEIVE, state=TaskState.OPEN,
            warehouse=receipt.warehouse, created_at=now, reference=receipt.receipt_id,
            steps=tuple(steps)), links))
        return task_id


def _so_far(conn: psycopg.Connection, receipt_id: str) -> ReceivedSoFar:
    by_line = dict(conn.execute(
        "SELECT line_id, sum(quantity) FROM work_receipt_arrivals WHERE receipt_id = %s AND "
        "match IN ('matched','over') GROUP BY line_id", (receipt_id,)).fetchall())
    units = {r[0] for r in conn.execute(
        "SELECT unit_key FROM work_receipt_arrivals WHERE receipt_id = %s AND unit_key IS NOT "
        "NULL AND match IN ('matched','over')", (receipt_id,))}
    return ReceivedSoFar(by_line, frozenset(units))


def _lock(conn: psycopg.Connection, receipt_id: str) -> None:
    """Arrivals and closing of one receipt, one at a time."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:receipt:' || %s))",
                 (receipt_id,))


def record_arrival(conn: psycopg.Connection, receipt: ExpectedReceipt, arrival: Arrival, *,
                   seen_by: str, occurred_at: datetime, location: str,
                   policy: PutawayPolicy, may_exceed: bool = False
                   ) -> tuple[ArrivalMatch, str | None]:
    """Match an arrival, remember it, and (when it is stock we expected) create its putaway
    task. Ledger moves are the caller's: the PDA's confirmation or the portal's event.
    Raises ReceiptRefused when the receipt is closed, or the arrival takes a line beyond the
    receipt's tolerance and the caller may not accept that (`may_exceed`: a supervisor)."""
    _lock(conn, receipt.receipt_id)
    if load_receipt(conn, receipt.receipt_id).closed:  # read after the lock: closing waits
        raise ReceiptRefused(ResultCode.TASK_CANCELLED, f"receipt {receipt.receipt_id} is "
                             "closed: nothing more is received on it")
    match = match_arrival(receipt, _so_far(conn, receipt.receipt_id), arrival)
    if match.kind is MatchKind.OVER_LIMIT:
        if not may_exceed:
            raise ReceiptRefused(ResultCode.QUANTITY_OVER,
                                 f"{match.message}: a supervisor must accept the excess")
        match = replace(match, kind=MatchKind.OVER,
                        message=f"{match.message}; accepted by {seen_by}")
    conn.execute("INSERT INTO work_receipt_arrivals (receipt_id, line_id, unit_key, sku, lot, "
                 "quantity, match, seen_by, occurred_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                 (receipt.receipt_id, match.line_id, match.unit_key, match.sku, match.lot,
                  match.quantity, str(match.kind), seen_by, occurred_at))
    if match.kind not in (MatchKind.MATCHED, MatchKind.OVER) or match.sku is None:
        return match, None
    task_id = _putaway_task(conn, receipt, match, location, occurred_at, policy)
    return match, task_id


def _putaway_task(conn: psycopg.Connection, receipt: ExpectedReceipt, match: ArrivalMatch,
                  dock_code: str, now: datetime, policy: PutawayPolicy) -> str:
    bins = load_bins(conn, receipt.warehouse)
    dock = bins.get(dock_code) or Bin(dock_code, receipt.warehouse, kind=BinKind.DOCK)
    sku = match.sku or ""
    profile = load_profiles(conn, [sku]).get(sku, SkuProfile(sku))
    found = suggest(profile, match.lot, match.quantity, dock, list(bins.values()),
                    load_loads(conn, receipt.warehouse), policy)
    key = match.unit_key or f"{match.sku}:{match.lot}:{match.quantity}:{now.isoformat()}"
    task_id = "putaway-" + uuid5(NAMESPACE_URL, f"{receipt.receipt_id}:{key}").hex[:16]
    status = StockStatus.QUARANTINE if receipt.quarantine else StockStatus.AVAILABLE
    step = TaskStep(step_id="1", sequence=1, location=dock_code,
                    to_location=found.bin if found else None, sku=sku, lot=match.lot or None,
                    expected_quantity=match.quantity, remaining_quantity=match.quantity,
                    unit=unit_ref(match.unit_key) if match.unit_key else None,
                    instructions=PUTAWAY_PROMPTS if match.unit_key else PUTAWAY_PROMPTS[1:])
    note = None if found else "no bin fits: a supervisor must choose one (override)"
    insert_task(conn, WorkTask(Task(
        task_id=task_id, kind=TaskKind.PUTAWAY, state=TaskState.OPEN,
        warehouse=receipt.warehouse, created_at=now, reference=receipt.receipt_id, note=note,
        steps=(step,)), {"1": StepLink(receipt_id=receipt.receipt_id, stock_status=status)}))
    return task_id


def close_receipt(conn: psycopg.Connection, receipt_id: str) -> list[dict[str, Any]]:
    """Close the receipt, cancel its receive task's open steps (nothing more is received on
    it) and report every over, under and unexpected delivery."""
    with conn.transaction():
        _lock(conn, receipt_id)
        receipt = load_receipt(conn, receipt_id)
        _cancel_receiving(conn, receipt_id)
        unexpected = [ArrivalMatch(MatchKind.UNEXPECTED, None, sku, lot, qty, key)
                      for sku, lot, qty, key in conn.execute(
                          "SELECT sku, lot, quantity, unit_key FROM work_receipt_arrivals "
                          "WHERE receipt_id = %s AND match = 'unexpected' ORDER BY id",
                          (receipt_id,))]
        found = [{"kind": str(d.kind), "sku": d.sku, "lot": d.lot, "line_id": d.line_id,
                  "expected": str(d.expected), "received": str(d.received),
                  "unit_key": d.unit_key}
                 for d in reconcile(receipt, _so_far(conn, receipt_id), unexpected)]
        conn.execute("UPDATE work_receipts SET state = 'closed', discrepancies = %s "
                     "WHERE receipt_id = %s", (Jsonb(found), receipt_id))
        webhooks.enqueue(conn, EventType.RECEIPT_CLOSED, f"msg_receipt_closed_{receipt_id}",
                         datetime.now(UTC), {
                             "receipt_id": receipt_id, "warehouse": receipt.warehouse,
                             "supplier": receipt.supplier or None, "discrepancies": found},
                         warehouse=receipt.warehouse, locations=(receipt.dock,))
        return found


def _cancel_receiving(conn: psycopg.Connection, receipt_id: str) -> None:
    for (task_id,) in conn.execute(
            "SELECT task_id FROM work_tasks WHERE kind = 'receive' AND reference = %s AND "
            "state NOT IN ('done', 'cancelled', 'skipped') FOR UPDATE", (receipt_id,)).fetchall():
        work = load_task(conn, task_id)
        steps = tuple(st.model_copy(update={"state": StepState.SKIPPED})
                      if st.state in (StepState.PENDING, StepState.PARTIAL) else st
                      for st in work.task.steps)
        save_task(conn, WorkTask(work.task.model_copy(update={
            "steps": steps, "state": TaskState.CANCELLED,
            "note": f"receipt {receipt_id} was closed"}), work.links))


def received_quantity(conn: psycopg.Connection, receipt_id: str) -> Decimal:
    row = conn.execute("SELECT COALESCE(sum(quantity), 0) FROM work_receipt_arrivals "
                       "WHERE receipt_id = %s AND match IN ('matched','over')",
                       (receipt_id,)).fetchone()
    return row[0] if row else ZERO
