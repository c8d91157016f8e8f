"""Purchase orders in PostgreSQL: create (by hand or from accepted suggestions, one draft per
supplier and warehouse), read with what was received, step through their life, receive
against them through work's receipts.

Rule kept here: every change is one transaction under the PO's row lock, checked by the pure
rules of supply.purchase first — a refused step or an unknown supplier or SKU writes nothing.
What a line received is read from the arrivals of the PO's receipts, never kept twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cloud_hub.supply.purchase import (
    RECEIVING,
    LineChange,
    PoAction,
    PoLine,
    PoRefused,
    PoState,
    confirm_lines,
    shown_state,
    step,
)
from cloud_hub.supply.terms import UnknownReference, UnknownSupply
from cloud_hub.work.pg.receiving import close_receipt, create_receipt
from cloud_hub.work.receiving import DEFAULT_OVER_TOLERANCE_PCT, ExpectedReceipt, ReceiptLine

_RECEIVED = """
SELECT a.line_id, sum(a.quantity) FROM purchase_order_receipts pr
  JOIN work_receipt_arrivals a ON a.receipt_id = pr.receipt_id
 WHERE pr.po_id = %s AND a.match IN ('matched', 'over') GROUP BY 1"""


@dataclass(frozen=True, slots=True)
class NewLine:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None = None
    expected_on: date | None = None
    suggestion_id: int | None = None


def new_po_id() -> str:
    return f"PO-{uuid.uuid4().hex[:10].upper()}"


@dataclass(frozen=True, slots=True)
class NewPo:
    po_id: str
    supplier: str
    warehouse: str
    lines: Sequence[NewLine]
    expected_on: date | None = None


def create_po(conn: psycopg.Connection, *, po_id: str, supplier: str, warehouse: str,
              lines: Sequence[NewLine], expected_on: date | None, user: str | None) -> str:
    """A draft PO; prices default to the supplier's term. UnknownReference for a supplier,
    warehouse or SKU that does not exist, PoRefused for a PO id in use or no lines."""
    create_pos(conn, [NewPo(po_id, supplier, warehouse, lines, expected_on)], user)
    return po_id


def create_pos(conn: psycopg.Connection, pos: Sequence[NewPo], user: str | None) -> None:
    """Draft POs in one transaction and a few statements, whatever their number: every
    supplier, warehouse and SKU is checked first, and nothing is written if one is unknown."""
    if any(not po.lines for po in pos):
        raise PoRefused("a purchase order needs at least one line")
    with conn.transaction():
        suppliers = {code: (currency, active) for code, currency, active in conn.execute(
            "SELECT code, currency, active FROM suppliers WHERE code = ANY(%s)",
            (sorted({po.supplier for po in pos}),))}
        for po in pos:
            if po.supplier not in suppliers:
                raise UnknownReference(f"no supplier {po.supplier!r}: create it first "
                                       "(POST /api/v1/suppliers)")
            if not suppliers[po.supplier][1]:
                raise PoRefused(f"supplier {po.supplier!r} is inactive")
        whs = sorted({po.warehouse for po in pos})
        known_wh = {r[0] for r in conn.execute("SELECT code FROM warehouses WHERE code = ANY(%s)",
                                               (whs,))}
        if missing := [w for w in whs if w not in known_wh]:
            raise UnknownReference(f"no warehouse {', '.join(missing)}")
        skus = sorted({ln.sku for po in pos for ln in po.lines})
        known = {r[0] for r in conn.execute("SELECT sku FROM skus WHERE sku = ANY(%s)", (skus,))}
        if missing := [s for s in skus if s not in known]:
            raise UnknownReference(f"unknown SKU(s): {', '.join(missing)}")
        prices: dict[tuple[str, str], Decimal | None] = {
            (sup, sku): price for sup, sku, price in conn.execute(
                "SELECT supplier, sku, price FROM supplier_skus WHERE supplier = ANY(%s) "
                "AND sku = ANY(%s)", (sorted(suppliers), skus))}
        ids = [po.po_id for po in pos]
        if taken := [r[0] for r in conn.execute(
                "SELECT po_id FROM purchase_orders WHERE po_id = ANY(%s)", (ids,))]:
            raise PoRefused(f"purchase order {', '.join(taken)} exists already")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO purchase_orders (po_id, supplier, warehouse, currency, "
                "expected_on, created_by) VALUES (%s, %s, %s, %s, %s, %s)",
                [(po.po_id, po.supplier, po.warehouse, suppliers[po.supplier][0],
                  po.expected_on, user) for po in pos])
            cur.executemany(
                "INSERT INTO purchase_order_lines (po_id, line_no, sku, quantity, ordered, "
                "unit_price, expected_on, suggestion_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(po.po_id, n, ln.sku, ln.quantity, ln.quantity,
                  ln.unit_price if ln.unit_price is not None
                  else (prices.get((po.supplier, ln.sku)) or 0),
                  ln.expected_on or po.expected_on, ln.suggestion_id)
                 for po in pos for n, ln in enumerate(po.lines, start=1)])


def _lines(conn: psycopg.Connection, po_id: str) -> list[PoLine]:
    received = {str(k): v for k, v in conn.execute(_RECEIVED, (po_id,)).fetchall()}
    return [PoLine(n, sku, qty, received.get(str(n), Decimal(0)), price, exp)
            for n, sku, qty, price, exp in conn.execute(
                "SELECT line_no, sku, quantity, unit_price, expected_on FROM "
                "purchase_order_lines WHERE po_id = %s ORDER BY line_no", (po_id,))]


def _head(conn: psycopg.Connection, po_id: str, lock: bool = False) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT * FROM purchase_orders WHERE po_id = %s"
                          + (" FOR UPDATE" if lock else ""), (po_id,)).fetchone()
    if row is None:
        raise UnknownSupply(f"no purchase order {po_id!r}")
    return row


def load_po(conn: psycopg.Connection, po_id: str) -> dict[str, Any]:
    head = _head(conn, po_id)
    lines = _lines(conn, po_id)
    receipts = [r[0] for r in conn.execute(
        "SELECT receipt_id FROM purchase_order_receipts WHERE po_id = %s ORDER BY receipt_id",
        (po_id,))]
    return _view(head, lines, receipts)


def _view(head: dict[str, Any], lines: Sequence[PoLine], receipts: list[str]
          ) -> dict[str, Any]:
    state = shown_state(PoState(head["state"]), lines)
    return {"po_id": head["po_id"], "supplier": head["supplier"],
            "warehouse": head["warehouse"], "state": state.value, "currency": head["currency"],
            "expected_on": head["expected_on"], "note": head["note"],
            "created_at": head["created_at"], "sent_at": head["sent_at"],
            "confirmed_at": head["confirmed_at"], "ended_at": head["ended_at"],
            "total": sum((ln.quantity * ln.unit_price for ln in lines), Decimal(0)),
            "receipts": receipts,
            "lines": [{"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity,
                       "received": ln.received, "open_quantity": ln.open_quantity,
                       "unit_price": ln.unit_price, "expected_on": ln.expected_on}
                      for ln in lines]}


def list_pos(conn: psycopg.Connection, warehouse: str | None, state: str | None,
             limit: int = 500) -> list[dict[str, Any]]:
    ids = [r[0] for r in conn.execute(
        "SELECT po_id FROM purchase_orders WHERE (%s::text IS NULL OR warehouse = %s) "
        "ORDER BY created_at DESC, po_id LIMIT %s", (warehouse, warehouse, limit))]
    views = [load_po(conn, i) for i in ids]
    return [v for v in views if state is None or v["state"] == state]


def act(conn: psycopg.Connection, po_id: str, action: PoAction, now: datetime,
        changes: Sequence[LineChange] = (), note: str = "") -> dict[str, Any]:
    """send / confirm (with the supplier's changes) / close / cancel; PoRefused if the PO's
    state does not allow it. Closing or cancelling closes the PO's open receipts."""
    with conn.transaction():
        head = _head(conn, po_id, lock=True)
        lines = _lines(conn, po_id)
        after = step(PoState(head["state"]), action, lines)
        if action is PoAction.CONFIRM:
            for ln in confirm_lines(lines, changes):
                conn.execute("UPDATE purchase_order_lines SET quantity = %s, expected_on = %s "
                             "WHERE po_id = %s AND line_no = %s",
                             (ln.quantity, ln.expected_on, po_id, ln.line_no))
        stamp = {PoAction.SEND: "sent_at", PoAction.CONFIRM: "confirmed_at"}.get(
            action, "ended_at")
        conn.execute(f"UPDATE purchase_orders SET state = %s, {stamp} = %s, "
                     "note = CASE WHEN %s = '' THEN note ELSE %s END WHERE po_id = %s",
                     (after.value, now, note, note, po_id))
        if action in (PoAction.CLOSE, PoAction.CANCEL):
            for (receipt_id,) in conn.execute(
                    "SELECT r.receipt_id FROM purchase_order_receipts p JOIN work_receipts r "
                    "USING (receipt_id) WHERE p.po_id = %s AND r.state = 'open'",
                    (po_id,)).fetchall():
                close_receipt(conn, receipt_id)
    return load_po(conn, po_id)


def open_receipt(conn: psycopg.Connection, po_id: str, *, receipt_id: str | None, dock: str,
                 quarantine: bool, over_tolerance_pct: Decimal | None, now: datetime
                 ) -> tuple[str, str]:
    """A work receipt expecting the PO's open lines (receipt line id = PO line number), so the
    dock receives against the PO with the receipt's tolerance. (receipt id, its task id)."""
    with conn.transaction():
        head = _head(conn, po_id, lock=True)
        lines = _lines(conn, po_id)
        shown = shown_state(PoState(head["state"]), lines)
        if PoState(head["state"]) not in RECEIVING:
            raise PoRefused(f"purchase order {po_id} is {shown.value.replace('_', ' ')}: "
                            "goods are received only on a sent or confirmed order")
        open_lines = [ln for ln in lines if ln.open_quantity > 0]
        if not open_lines:
            raise PoRefused(f"purchase order {po_id} has nothing left to receive")
        receipt_id = receipt_id or f"{po_id}-R{uuid.uuid4().hex[:6].upper()}"
        receipt = ExpectedReceipt(
            receipt_id, head["warehouse"], dock,
            tuple(ReceiptLine(str(ln.line_no), ln.sku, ln.open_quantity) for ln in open_lines),
            quarantine, head["supplier"],
            DEFAULT_OVER_TOLERANCE_PCT if over_tolerance_pct is None else over_tolerance_pct)
        task_id = create_receipt(conn, receipt, now)
        conn.execute("INSERT INTO purchase_order_receipts (receipt_id, po_id) VALUES (%s, %s)",
                     (receipt_id, po_id))
    return receipt_id, task_id


@dataclass(frozen=True, slots=True)
class Converted:
    po_ids: list[str]
    skipped: list[dict[str, Any]]  # suggestion id and why it did not become a PO line


def from_suggestions(conn: psycopg.Connection, warehouse: str | None, user: str | None,
                     expected_on: date | None = None) -> Converted:
    """Accepted purchase suggestions not ordered yet → one draft PO per supplier and
    warehouse; each suggestion remembers its PO. A suggestion without a known supplier stays
    accepted and is reported."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT s.id, s.warehouse, s.sku, s.quantity, s.source, (p.code IS NOT NULL) "
            "FROM planning_suggestions s LEFT JOIN suppliers p ON p.code = s.source "
            "WHERE s.state = 'accepted' AND s.kind = 'purchase' AND s.ordered_as IS NULL "
            "AND (%s::text IS NULL OR s.warehouse = %s) ORDER BY s.id FOR UPDATE OF s",
            (warehouse, warehouse)).fetchall()
        groups: dict[tuple[str, str], list[NewLine]] = defaultdict(list)
        skipped = []
        for sid, wh, sku, qty, source, known in rows:
            if not known:
                why = ("no supplier: set the SKU's preferred supplier" if not source
                       else f"supplier {source!r} is not known")
                skipped.append({"suggestion_id": str(sid), "sku": sku, "reason": why})
                continue
            groups[(source, wh)].append(NewLine(sku, qty, suggestion_id=sid))
        pos = [NewPo(new_po_id(), supplier, wh, lines, expected_on)
               for (supplier, wh), lines in sorted(groups.items())]
        create_pos(conn, pos, user)
        conn.execute("UPDATE planning_suggestions s SET ordered_as = o.po_id FROM unnest("
                     "%s::bigint[], %s::text[]) AS o(id, po_id) WHERE s.id = o.id",
                     ([ln.suggestion_id for po in pos for ln in po.lines],
                      [po.po_id for po in pos for _ in po.lines]))
        made = [po.po_id for po in pos]
    return Converted(made, skipped)
