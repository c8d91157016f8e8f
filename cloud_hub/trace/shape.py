"""A trace report as JSON: the one shape REST (`GET /api/v1/trace`) and the CLI
(`python -m cloud_hub trace --json`) both answer, so they cannot drift apart.

Quantities are JSON numbers (whole ones without a fraction, as the event contract writes them),
times ISO 8601 UTC with `Z`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from cloud_hub.trace.model import Holding, LotKey, Report, Step


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    if value.is_finite():
        whole = int(value)
        if whole == value:
            return whole
    return float(value)


def when(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _lot(key: LotKey) -> dict[str, str]:
    return {"sku": key.sku, "lot": key.lot}


def _step(s: Step) -> dict[str, Any]:
    return {"seq": s.seq, "event_id": s.event_id, "occurred_at": when(s.occurred_at),
            "kind": s.kind, "sku": s.sku, "lot": s.lot, "quantity": number(s.quantity),
            "unit": s.unit, "via_unit": s.via_unit, "from_location": s.from_location,
            "to_location": s.to_location, "status": s.status, "to_status": s.to_status,
            "user": s.user, "receipt": s.receipt, "order": s.order}


def _holding(h: Holding) -> dict[str, Any]:
    return {"sku": h.sku, "lot": h.lot, "status": h.status, "quantity": number(h.quantity),
            "location": h.location, "unit": h.unit}


def report_json(report: Report, limit: int) -> dict[str, Any]:
    t = report.trace
    on_hand = sum((h.quantity for h in report.on_hand), Decimal(0))
    return {
        "warehouse": report.warehouse, "subject": report.subject, "unit": report.unit,
        "direction": str(report.direction), "lots": [_lot(k) for k in t.lots],
        "steps": [_step(s) for s in t.steps],
        "units": list(t.units),
        "now": {"on_hand": number(on_hand), "at_locations": [_holding(h) for h in report.on_hand],
                "in_units": [_holding(h) for h in report.in_units]},
        "receipts": [{"receipt_id": r.receipt_id, "supplier": r.supplier, "dock": r.dock,
                      "state": r.state,
                      "expected": [{**_lot(k), "quantity": number(q)} for k, q in r.expected]}
                     for r in report.receipts],
        "orders": [{"order_id": o.order_id, "kind": o.kind, "state": o.state,
                    "carrier": o.carrier} for o in report.orders],
        "picks": [{"order_id": p.order_id, "line_no": p.line_no, "sku": p.sku, "lot": p.lot,
                   "location": p.location, "quantity": number(p.quantity),
                   "shipped": p.shipped, "task_id": p.task_id} for p in report.picks],
        "page": {"total_steps": t.total_steps, "limit": limit, "next_offset": t.next_offset},
        "truncated": t.truncated or report.cut,
        "notes": list(report.notes),
    }
