"""To whom a trace's orders went: each order's customer and ship-to (work/pg/customers.py),
added to the trace's JSON the same way for REST and the CLI."""

from __future__ import annotations

from typing import Any

import psycopg

from cloud_hub.work.pg.customers import customers_of_orders

NO_CUSTOMER = {"customer_id": None, "customer": None, "ship_to": None}


def add_customers(conn: psycopg.Connection, shape: dict[str, Any]) -> dict[str, Any]:
    """`shape` (trace/shape.py's report_json) with each order's customer and ship-to."""
    who = customers_of_orders(conn, [o["order_id"] for o in shape["orders"]])
    for order in shape["orders"]:
        order.update(who.get(order["order_id"], NO_CUSTOMER))
    return shape
