"""One trace, read and assembled: the lot's (or unit's) moves, its carriers' moves, where it is
now, its receipts, picks and orders. One connection, one REPEATABLE READ snapshot, so the parts
agree with each other; every read bounded by `Limits` (trace/model.py)."""

from __future__ import annotations

from dataclasses import replace

import psycopg

from cloud_hub.trace.model import Direction, Limits, Report
from cloud_hub.trace.pg import queries as q
from cloud_hub.trace.timeline import assemble

DEFAULT_LIMITS = Limits()


def unit_key(text: str) -> str:
    """A unit as the ledger keys it: a bare 18-digit SSCC becomes `sscc:<digits>`."""
    return f"sscc:{text}" if len(text) == 18 and text.isdigit() else text


def trace_report(conn: psycopg.Connection, warehouse: str, *, lot: str | None = None,
                 sku: str | None = None, unit: str | None = None,
                 direction: Direction = Direction.BOTH, offset: int = 0,
                 limits: Limits = DEFAULT_LIMITS) -> Report | None:
    """The trace of a lot (with `sku`: of that SKU's lot) or of a unit in `warehouse`; None when
    the warehouse's ledger never saw it."""
    notes: list[str] = []
    fresh = conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    with conn.transaction():
        if fresh:  # inside a caller's transaction, its snapshot rules
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        if unit is not None:
            unit = unit_key(unit)
            if not q.unit_known(conn, warehouse, unit):
                return None
            lots = q.lots_of_unit(conn, warehouse, unit, limits.lots)
        else:
            assert lot is not None
            lots = q.lots_named(conn, warehouse, lot, sku, limits.lots)
            if not lots:
                return None
        cut = len(lots) > limits.lots
        lots = lots[:limits.lots]
        if cut:
            notes.append(f"more than {limits.lots} lots: only the first are traced")
        moves, moves_cut = q.lot_moves(conn, warehouse, lots, limits.moves)
        units, units_cut = q.carriers(conn, warehouse, lots, moves, limits.carriers)
        if unit is not None and unit not in units:
            units = [unit, *units]
        carried, carried_cut = q.unit_moves(conn, warehouse, units, lots, moves, limits.moves)
        trace = assemble(lots, moves, carried, direction, unit=unit, offset=offset,
                         limit=limits.steps, cut=cut or moves_cut or units_cut or carried_cut)
        trace = replace(trace, steps=q.with_details(conn, trace.steps))
        on_hand, in_units, now_cut = q.holdings(conn, warehouse, lots, limits.steps)
        receipts = q.receipts(conn, warehouse, trace.receipts, lots) \
            if direction is not Direction.FORWARD or unit is not None else []
        picks, picks_cut = q.picks(conn, warehouse, lots, limits.steps) \
            if direction is not Direction.BACKWARD else ([], False)
        orders = q.orders(conn, warehouse, {*trace.orders, *(p.order_id for p in picks)})
    if any(not key.lot for key in lots):
        notes.append("unlotted stock is traced through its unit only")
    return Report(warehouse=warehouse, subject="unit" if unit is not None else "lot", unit=unit,
                  direction=direction, trace=trace, on_hand=tuple(on_hand),
                  in_units=tuple(in_units), receipts=tuple(receipts), orders=tuple(orders),
                  picks=tuple(picks), cut=now_cut or picks_cut, notes=tuple(notes))
