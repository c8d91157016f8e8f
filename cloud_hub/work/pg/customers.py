"""Customers and their ship-to addresses in PostgreSQL (migration 107), and what an order
keeps of them.

Rules kept here: a customer is master data shared by every warehouse; an order keeps its
customer's id and a copy of the ship-to it was made for (a later address change does not
rewrite where an earlier order went); a ship-to an order names must be the customer's own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb


class CustomerRefused(ValueError):
    """An order names a customer or ship-to that does not exist (or not of that customer)."""


def upsert_customer(conn: psycopg.Connection, customer_id: str, name: str,
                    address: dict[str, Any], ship_tos: list[dict[str, Any]]) -> bool:
    """Create or replace a customer and its ship-tos, atomically; True when it was new."""
    with conn.transaction():
        new = conn.execute(
            "INSERT INTO customers (customer_id, name, address) VALUES (%s, %s, %s) "
            "ON CONFLICT (customer_id) DO UPDATE SET name = excluded.name, "
            "address = excluded.address, updated_at = now() RETURNING (xmax = 0)",
            (customer_id, name, Jsonb(address))).fetchone()
        conn.execute("DELETE FROM customer_ship_tos WHERE customer_id = %s", (customer_id,))
        conn.cursor().executemany(
            "INSERT INTO customer_ship_tos (customer_id, ship_to_id, name, address) "
            "VALUES (%s, %s, %s, %s)",
            [(customer_id, s["ship_to_id"], s["name"], Jsonb(s["address"])) for s in ship_tos])
    return bool(new and new[0])


def read_customer(conn: psycopg.Connection, customer_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute("SELECT customer_id, name, address FROM customers "
                          "WHERE customer_id = %s", (customer_id,)).fetchone()
        if row is None:
            return None
        row["ship_tos"] = cur.execute(
            "SELECT ship_to_id, name, address FROM customer_ship_tos WHERE customer_id = %s "
            "ORDER BY ship_to_id", (customer_id,)).fetchall()
    return row


def list_customers(conn: psycopg.Connection, *, name: str | None, limit: int,
                   offset: int) -> list[dict[str, Any]]:
    """Customers by id, optionally those whose name contains `name` (any case)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT customer_id, name, address FROM customers WHERE %(n)s::text IS NULL "
            "OR strpos(lower(name), lower(%(n)s)) > 0 ORDER BY customer_id "
            "LIMIT %(l)s OFFSET %(o)s", {"n": name, "l": limit, "o": offset}).fetchall()


def order_ship_to(conn: psycopg.Connection, customer_id: str,
                  ship_to_id: str | None) -> dict[str, Any]:
    """The copy of a ship-to an order keeps: the customer's named one, or its own address."""
    row = conn.execute("SELECT name, address FROM customers WHERE customer_id = %s",
                       (customer_id,)).fetchone()
    if row is None:
        raise CustomerRefused(f"no customer {customer_id}")
    if ship_to_id is None:
        return {"ship_to_id": None, "name": row[0], "address": row[1]}
    named = conn.execute("SELECT name, address FROM customer_ship_tos WHERE customer_id = %s "
                         "AND ship_to_id = %s", (customer_id, ship_to_id)).fetchone()
    if named is None:
        raise CustomerRefused(f"customer {customer_id} has no ship-to {ship_to_id}")
    return {"ship_to_id": ship_to_id, "name": named[0], "address": named[1]}


def set_order_customer(conn: psycopg.Connection, order_id: str, customer_id: str,
                       ship_to_id: str | None) -> None:
    """Record who the order is for and (a copy of) where it goes, in the caller's transaction."""
    conn.execute("UPDATE work_orders SET customer_id = %s, ship_to = %s WHERE order_id = %s",
                 (customer_id, Jsonb(order_ship_to(conn, customer_id, ship_to_id)), order_id))


def customers_of_orders(conn: psycopg.Connection,
                        order_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """order id → {customer_id, customer name, ship_to} for the orders that name a customer."""
    out: dict[str, dict[str, Any]] = {}
    for oid, cid, name, ship_to in conn.execute(
            "SELECT o.order_id, o.customer_id, c.name, o.ship_to FROM work_orders o "
            "JOIN customers c USING (customer_id) WHERE o.order_id = ANY(%s)",
            (sorted(set(order_ids)),)):
        out[oid] = {"customer_id": cid, "customer": name, "ship_to": ship_to}
    return out
