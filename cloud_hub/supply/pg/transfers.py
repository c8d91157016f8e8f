"""Transfer orders in PostgreSQL and their two ledger steps, applied through the ledger's one
entry point (ApplyService.transaction) together with the order's own rows.

Rule kept here: shipping and receiving each run in one transaction under the order's row lock:
the order's state, its lines and the moves commit together or not at all, and the moves' event
ids derive from the order, line and step, so a retried call applies nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import psycopg
from psycopg.rows import dict_row

from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.supply.terms import UnknownReference, UnknownSupply
from cloud_hub.supply.transfer import (
    ZERO,
    Arrival,
    TransferLine,
    TransferRefused,
    TransferState,
    check_route,
    split_arrival,
    transit_location,
)
from cloud_hub.work.pg.apply import apply_moves
from protocol.events import ItemLine, Reason, Source, SourceKind, StockMoved, StockStatus

_LINE_COLS = "line_no, sku, quantity, from_location, lot, shipped, received, damaged, short"


@dataclass(frozen=True, slots=True)
class NewTransferLine:
    sku: str
    quantity: Decimal
    from_location: str
    lot: str = ""
    suggestion_id: int | None = None


def ensure_transit(conn: psycopg.Connection, warehouse: str) -> str:
    """The warehouse's transit location, created on first use."""
    code = transit_location(warehouse)
    conn.execute("INSERT INTO locations (code, warehouse, kind, name) VALUES (%s, %s, 'transit', "
                 "'in transit to this warehouse') ON CONFLICT (code) DO NOTHING",
                 (code, warehouse))
    row = conn.execute("SELECT warehouse, kind FROM locations WHERE code = %s", (code,)).fetchone()
    if row != (warehouse, "transit"):
        raise TransferRefused(f"location {code} exists but is not {warehouse}'s transit "
                              f"location ({row}): rename it")
    return code


def create_transfer(conn: psycopg.Connection, *, transfer_id: str | None, from_warehouse: str,
                    to_warehouse: str, lines: Sequence[NewTransferLine], user: str | None) -> str:
    check_route(from_warehouse, to_warehouse)
    if not lines:
        raise TransferRefused("a transfer needs at least one line")
    transfer_id = transfer_id or f"TO-{uuid.uuid4().hex[:10].upper()}"
    with conn.transaction():
        known = {r[0] for r in conn.execute("SELECT code FROM warehouses WHERE code = ANY(%s)",
                                            ([from_warehouse, to_warehouse],))}
        if missing := [w for w in (from_warehouse, to_warehouse) if w not in known]:
            raise UnknownReference(f"no warehouse {', '.join(missing)}")
        skus = sorted({ln.sku for ln in lines})
        found = {r[0] for r in conn.execute("SELECT sku FROM skus WHERE sku = ANY(%s)", (skus,))}
        if bad := [s for s in skus if s not in found]:
            raise UnknownReference(f"unknown SKU(s): {', '.join(bad)}")
        locs: dict[str, str] = dict(conn.execute(
            "SELECT code, warehouse FROM locations WHERE code = ANY(%s)",
            ([ln.from_location for ln in lines],)).fetchall())
        for ln in lines:
            if locs.get(ln.from_location) != from_warehouse:
                raise UnknownReference(f"location {ln.from_location!r} is not a location of "
                                       f"warehouse {from_warehouse}")
        ensure_transit(conn, to_warehouse)
        made = conn.execute(
            "INSERT INTO transfer_orders (transfer_id, from_warehouse, to_warehouse, created_by) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (transfer_id, from_warehouse, to_warehouse, user))
        if made.rowcount != 1:
            raise TransferRefused(f"transfer {transfer_id} exists already")
        conn.cursor().executemany(
            "INSERT INTO transfer_order_lines (transfer_id, line_no, sku, lot, quantity, "
            "from_location, suggestion_id) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [(transfer_id, n, ln.sku, ln.lot, ln.quantity, ln.from_location, ln.suggestion_id)
             for n, ln in enumerate(lines, start=1)])
    return transfer_id


def _head(conn: psycopg.Connection, transfer_id: str, lock: bool = False) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT * FROM transfer_orders WHERE transfer_id = %s"
                          + (" FOR UPDATE" if lock else ""), (transfer_id,)).fetchone()
    if row is None:
        raise UnknownSupply(f"no transfer {transfer_id!r}")
    return row


def _lines(conn: psycopg.Connection, transfer_id: str) -> list[TransferLine]:
    return [TransferLine(*r) for r in conn.execute(
        f"SELECT {_LINE_COLS} FROM transfer_order_lines WHERE transfer_id = %s ORDER BY line_no",
        (transfer_id,))]


def load_transfer(conn: psycopg.Connection, transfer_id: str) -> dict[str, Any]:
    head = _head(conn, transfer_id)
    overs: dict[int, Decimal] = dict(conn.execute(
        "SELECT line_no, over FROM transfer_order_lines WHERE "
        "transfer_id = %s", (transfer_id,)).fetchall())
    return {**{k: head[k] for k in ("transfer_id", "from_warehouse", "to_warehouse", "state",
                                    "note", "created_at", "shipped_at", "ended_at")},
            "transit_location": transit_location(head["to_warehouse"]),
            "lines": [{"line_no": ln.line_no, "sku": ln.sku, "lot": ln.lot,
                       "quantity": ln.quantity, "from_location": ln.from_location,
                       "shipped": ln.shipped, "in_transit": ln.in_transit,
                       "received": ln.received, "damaged": ln.damaged,
                       "over": overs[ln.line_no], "short": ln.short}
                      for ln in _lines(conn, transfer_id)]}


def list_transfers(conn: psycopg.Connection, warehouse: str | None, limit: int = 200
                   ) -> list[dict[str, Any]]:
    ids = [r[0] for r in conn.execute(
        "SELECT transfer_id FROM transfer_orders WHERE %s::text IS NULL OR from_warehouse = %s "
        "OR to_warehouse = %s ORDER BY created_at DESC, transfer_id LIMIT %s",
        (warehouse, warehouse, warehouse, limit))]
    return [load_transfer(conn, i) for i in ids]


@dataclass(frozen=True, slots=True)
class Scan:
    """Who and what observed a step: the moves' source."""

    occurred_at: datetime
    device_id: str
    user: str
    source_kind: SourceKind = SourceKind.SYSTEM


def _move(transfer_id: str, step: str, line: TransferLine, warehouse: str, qty: Decimal,
          frm: str | None, to: str | None, scan: Scan, reason: Reason = Reason.TRANSFER,
          to_status: StockStatus | None = None, status: StockStatus | None = None) -> StockMoved:
    return StockMoved(
        event_id=uuid5(NAMESPACE_URL, f"stockpulse:transfer:{transfer_id}:{line.line_no}:{step}"),
        occurred_at=scan.occurred_at, warehouse=warehouse,
        source=Source(kind=scan.source_kind, device_id=scan.device_id),
        item=ItemLine(sku=line.sku, lot=line.lot or None, quantity=qty,
                      **({"status": status} if status else {})),
        from_location=frm, to_location=to, to_status=to_status, reason=reason,
        task_id=f"transfer:{transfer_id}", user=scan.user)


def ship(ledger: ApplyService, conn: psycopg.Connection, transfer_id: str, scan: Scan
         ) -> list[str]:
    """Step one: every line leaves its source location and lands in the destination's transit
    location, in one ledger transaction (the ledger refuses it whole if stock is short)."""
    with ledger.transaction(conn) as posting:
        head = _head(conn, transfer_id, lock=True)
        if head["state"] != TransferState.DRAFT:
            raise TransferRefused(f"transfer {transfer_id} is {head['state']}: only a draft "
                                  "is shipped")
        transit = ensure_transit(conn, head["to_warehouse"])
        moves = []
        for ln in _lines(conn, transfer_id):
            moves.append(_move(transfer_id, "out", ln, head["from_warehouse"], ln.quantity,
                               ln.from_location, None, scan))
            moves.append(_move(transfer_id, "in-transit", ln, head["to_warehouse"], ln.quantity,
                               None, transit, scan))
        apply_moves(posting, moves, f"transfer:{scan.user}")
        conn.execute("UPDATE transfer_order_lines SET shipped = quantity WHERE transfer_id = %s",
                     (transfer_id,))
        conn.execute("UPDATE transfer_orders SET state = 'shipped', shipped_at = %s "
                     "WHERE transfer_id = %s", (scan.occurred_at, transfer_id))
    return [str(m.event_id) for m in moves]


def receive(ledger: ApplyService, conn: psycopg.Connection, transfer_id: str,
            arrivals: Sequence[Arrival], location: str, scan: Scan, close: bool,
            key: uuid.UUID) -> list[str]:
    """Step two: good and damaged quantities move from transit into `location` (damaged with
    status damaged); beyond what was shipped they arrive from outside (over, reported). With
    `close`, what is still in transit is written off as short and the transfer is received.
    `key` is the caller's idempotency key: the same key again applies no move twice."""
    with ledger.transaction(conn) as posting:
        head = _head(conn, transfer_id, lock=True)
        if conn.execute("INSERT INTO transfer_receipts (key, transfer_id) VALUES (%s, %s) "
                        "ON CONFLICT DO NOTHING", (key, transfer_id)).rowcount != 1:
            return []  # this very receipt was booked already: a retry
        if head["state"] != TransferState.SHIPPED:
            raise TransferRefused(f"transfer {transfer_id} is {head['state']}: only a shipped "
                                  "transfer is received")
        wh, transit = head["to_warehouse"], transit_location(head["to_warehouse"])
        where = conn.execute("SELECT warehouse FROM locations WHERE code = %s",
                             (location,)).fetchone()
        if where is None or where[0] != wh or location == transit:
            raise UnknownReference(f"location {location!r} is not a receiving location of "
                                   f"warehouse {wh}")
        lines = {ln.line_no: ln for ln in _lines(conn, transfer_id)}
        moves: list[StockMoved] = []
        for a in arrivals:
            line = lines.get(a.line_no)
            if line is None:
                raise UnknownReference(f"transfer {transfer_id} has no line {a.line_no}")
            got = split_arrival(line, a)
            tag = f"{key}"
            if got.from_transit_good > 0:
                moves.append(_move(transfer_id, f"{tag}-good", line, wh, got.from_transit_good,
                                   transit, location, scan))
            if got.from_transit_damaged > 0:
                moves.append(_move(transfer_id, f"{tag}-damaged", line, wh,
                                   got.from_transit_damaged, transit, location, scan,
                                   to_status=StockStatus.DAMAGED))
            if got.over > 0:
                moves.append(_move(transfer_id, f"{tag}-over", line, wh, got.over, None,
                                   location, scan, reason=Reason.RECEIVE))
            conn.execute("UPDATE transfer_order_lines SET received = received + %s, damaged = "
                         "damaged + %s, over = over + %s WHERE transfer_id = %s AND line_no = %s",
                         (got.from_transit_good, got.from_transit_damaged, got.over,
                          transfer_id, a.line_no))
            lines[a.line_no] = TransferLine(
                line.line_no, line.sku, line.quantity, line.from_location, line.lot,
                line.shipped, line.received + got.from_transit_good,
                line.damaged + got.from_transit_damaged)
        if close:
            for line in lines.values():
                if line.in_transit > ZERO:
                    moves.append(_move(transfer_id, f"{key}-short", line, wh, line.in_transit,
                                       transit, None, scan, reason=Reason.ADJUST))
                    conn.execute("UPDATE transfer_order_lines SET short = %s WHERE "
                                 "transfer_id = %s AND line_no = %s",
                                 (line.in_transit, transfer_id, line.line_no))
            conn.execute("UPDATE transfer_orders SET state = 'received', ended_at = %s "
                         "WHERE transfer_id = %s", (scan.occurred_at, transfer_id))
        apply_moves(posting, moves, f"transfer:{scan.user}")
    return [str(m.event_id) for m in moves]


def cancel(conn: psycopg.Connection, transfer_id: str, now: datetime) -> None:
    with conn.transaction():
        head = _head(conn, transfer_id, lock=True)
        if head["state"] != TransferState.DRAFT:
            raise TransferRefused(f"transfer {transfer_id} is {head['state']}: only a draft is "
                                  "cancelled (a shipped one is received, short if need be)")
        conn.execute("UPDATE transfer_orders SET state = 'cancelled', ended_at = %s "
                     "WHERE transfer_id = %s", (now, transfer_id))



_DONOR_STOCK = """
SELECT b.location, b.lot, b.quantity FROM balances b JOIN locations l ON l.code = b.location
 WHERE b.warehouse = %s AND b.sku = %s AND b.status = 'available' AND b.quantity > 0
   AND l.kind <> 'transit' ORDER BY b.quantity DESC, b.location, b.lot"""


def from_suggestions(conn: psycopg.Connection, warehouse: str | None, user: str | None
                     ) -> tuple[list[str], list[dict[str, Any]]]:
    """Accepted transfer suggestions not ordered yet → one draft transfer per donor and
    receiving warehouse, its lines taken from the donor's largest available balances. A
    suggestion the donor can no longer cover stays accepted and is reported."""
    with conn.transaction():
        rows = conn.execute(
            "SELECT id, warehouse, sku, quantity, source FROM planning_suggestions "
            "WHERE state = 'accepted' AND kind = 'transfer' AND ordered_as IS NULL "
            "AND (%s::text IS NULL OR warehouse = %s) ORDER BY id FOR UPDATE",
            (warehouse, warehouse)).fetchall()
        groups: dict[tuple[str, str], list[NewTransferLine]] = {}
        skipped = []
        for sid, wh, sku, qty, donor in rows:
            lines, left = [], Decimal(qty)
            for location, lot, have in conn.execute(_DONOR_STOCK, (donor, sku)).fetchall():
                take = min(left, have)
                lines.append(NewTransferLine(sku, take, location, lot, sid))
                left -= take
                if left <= 0:
                    break
            if left > 0:
                skipped.append({"suggestion_id": str(sid), "sku": sku, "reason":
                                f"warehouse {donor!r} holds {Decimal(qty) - left} available, "
                                f"not {qty}"})
                continue
            groups.setdefault((donor, wh), []).extend(lines)
        made = []
        for (donor, wh), lines in sorted(groups.items()):
            tid = create_transfer(conn, transfer_id=None, from_warehouse=donor,
                                  to_warehouse=wh, lines=lines, user=user)
            conn.execute("UPDATE planning_suggestions SET ordered_as = %s WHERE id = ANY(%s)",
                         (tid, sorted({ln.suggestion_id for ln in lines
                                      if ln.suggestion_id is not None})))
            made.append(tid)
    return made, skipped


def donors_of_accepted(conn: psycopg.Connection, warehouse: str | None) -> set[str]:
    """The warehouses that would ship the accepted, unordered transfer suggestions."""
    return {r[0] for r in conn.execute(
        "SELECT DISTINCT source FROM planning_suggestions WHERE state = 'accepted' AND "
        "kind = 'transfer' AND ordered_as IS NULL AND (%s::text IS NULL OR warehouse = %s)",
        (warehouse, warehouse))}
