"""Orders, reservations, waves and shipping in PostgreSQL.

Rule kept here: a reservation reads ATP and writes the reservation under an advisory lock per
warehouse + SKU (taken in sorted order, so two orders never deadlock), which makes
reservations exact under any concurrency: the last units go to exactly one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import psycopg

from cloud_hub.work.model import ZERO
from cloud_hub.work.orders import (
    LineReservation,
    Order,
    OrderLine,
    OrderState,
    available_to_promise,
    reserve_lines,
)
from cloud_hub.work.pg.customers import set_order_customer
from cloud_hub.work.pg.tasks import TaskConflict, TaskNotFound, drop_order_steps


def lock_skus(conn: psycopg.Connection, warehouse: str, skus: Sequence[str]) -> None:
    for sku in sorted(set(skus)):
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('stockpulse:atp:' || %s))",
                     (f"{warehouse}:{sku}",))


def atp(conn: psycopg.Connection, warehouse: str, skus: Sequence[str]) -> dict[str, Decimal]:
    """Available-to-promise per SKU: available on hand − what open order lines hold."""
    wanted = sorted(set(skus))
    on_hand = dict(conn.execute(
        "SELECT sku, sum(quantity) FROM balances WHERE warehouse = %s AND status = 'available' "
        "AND sku = ANY(%s) GROUP BY sku", (warehouse, wanted)).fetchall())
    held = dict(conn.execute(
        "SELECT sku, sum(reserved - shipped) FROM work_order_lines WHERE warehouse = %s "
        "AND open AND sku = ANY(%s) GROUP BY sku", (warehouse, wanted)).fetchall())
    return {s: available_to_promise(on_hand.get(s, ZERO), held.get(s, ZERO)) for s in wanted}


def create_order(conn: psycopg.Connection, order: Order, *,
                 allow_partial: bool = True) -> tuple[LineReservation, ...]:
    """Record the order and reserve what ATP allows, atomically."""
    with conn.transaction():
        if conn.execute("SELECT 1 FROM work_orders WHERE order_id = %s",
                        (order.order_id,)).fetchone():
            raise TaskConflict(f"order {order.order_id} exists")
        conn.execute("INSERT INTO work_orders (order_id, warehouse, kind, state, carrier, cutoff, "
                     "priority) VALUES (%s,%s,%s,'open',%s,%s,%s)",
                     (order.order_id, order.warehouse, order.kind, order.carrier, order.cutoff,
                      order.priority))
        if order.customer_id is not None:
            set_order_customer(conn, order.order_id, order.customer_id, order.ship_to_id)
        conn.cursor().executemany(
            "INSERT INTO work_order_lines (order_id, line_no, warehouse, sku, quantity) "
            "VALUES (%s,%s,%s,%s,%s)",
            [(order.order_id, ln.line_no, order.warehouse, ln.sku, ln.quantity)
             for ln in order.lines])
        return _reserve(conn, order, allow_partial)


def reserve_again(conn: psycopg.Connection, order_id: str) -> tuple[LineReservation, ...]:
    """Try to reserve what an open order still lacks (after new stock arrived)."""
    with conn.transaction():
        order = load_order(conn, order_id, lock=True)
        lines = conn.execute("SELECT line_no, sku, quantity - reserved - backordered "
                             "FROM work_order_lines WHERE order_id = %s AND open "
                             "ORDER BY line_no", (order_id,)).fetchall()
        lacking = Order(order.order_id, order.warehouse,
                        tuple(OrderLine(n, s, q) for n, s, q in lines if q > ZERO))
        return _reserve(conn, lacking, True) if lacking.lines else ()


def _reserve(conn: psycopg.Connection, order: Order,
             allow_partial: bool) -> tuple[LineReservation, ...]:
    skus = [ln.sku for ln in order.lines]
    lock_skus(conn, order.warehouse, skus)
    decided = reserve_lines(order, atp(conn, order.warehouse, skus), allow_partial=allow_partial)
    conn.cursor().executemany(
        "UPDATE work_order_lines SET reserved = reserved + %s WHERE order_id = %s AND line_no = %s",
        [(r.reserved, order.order_id, r.line_no) for r in decided if r.reserved > ZERO])
    short = conn.execute("SELECT count(*) FROM work_order_lines WHERE order_id = %s AND open "
                         "AND reserved + backordered < quantity", (order.order_id,)).fetchone()
    state = OrderState.OPEN if short and short[0] else OrderState.RESERVED
    conn.execute("UPDATE work_orders SET state = %s WHERE order_id = %s AND state IN "
                 "('open', 'reserved')", (str(state), order.order_id))
    return decided


def load_order(conn: psycopg.Connection, order_id: str, *, lock: bool = False) -> Order:
    row = conn.execute("SELECT warehouse, kind, carrier, cutoff, priority FROM work_orders "
                       "WHERE order_id = %s" + (" FOR UPDATE" if lock else ""),
                       (order_id,)).fetchone()
    if row is None:
        raise TaskNotFound(f"order {order_id}")
    lines = conn.execute("SELECT line_no, sku, quantity FROM work_order_lines WHERE order_id = %s "
                         "ORDER BY line_no", (order_id,)).fetchall()
    return Order(order_id, row[0], tuple(OrderLine(*ln) for ln in lines), row[2], row[3],
                 row[4], row[1])


def order_view(conn: psycopg.Connection, order_id: str) -> dict[str, Any]:
    order = load_order(conn, order_id)
    state = conn.execute("SELECT state, wave_id, customer_id, ship_to FROM work_orders "
                         "WHERE order_id = %s", (order_id,)).fetchone()
    lines = conn.execute("SELECT line_no, sku, quantity, reserved, picked, shipped, backordered "
                         "FROM work_order_lines WHERE order_id = %s ORDER BY line_no",
                         (order_id,)).fetchall()
    names = ("line_no", "sku", "quantity", "reserved", "picked", "shipped", "backordered")
    return {"order_id": order_id, "warehouse": order.warehouse, "state": state[0],
            "wave_id": state[1], "carrier": order.carrier, "cutoff": order.cutoff,
            "customer_id": state[2], "ship_to": state[3],
            "lines": [dict(zip(names, ln, strict=True)) for ln in lines]}


def cancel_order(conn: psycopg.Connection, order_id: str) -> None:
    """Cancel: the reservation is released at once; unpicked pick steps are dropped."""
    with conn.transaction():
        order = load_order(conn, order_id, lock=True)
        state = conn.execute("SELECT state FROM work_orders WHERE order_id = %s",
                             (order_id,)).fetchone()
        if state and state[0] in (OrderState.SHIPPED, OrderState.CANCELLED):
            raise TaskConflict(f"order {order_id} is already {state[0]}")
        lock_skus(conn, order.warehouse, [ln.sku for ln in order.lines])
        conn.execute("UPDATE work_order_lines SET reserved = 0, open = false "
                     "WHERE order_id = %s", (order_id,))
        conn.execute("UPDATE work_orders SET state = 'cancelled' WHERE order_id = %s",
                     (order_id,))
        drop_order_steps(conn, order_id)
