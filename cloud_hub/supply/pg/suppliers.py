"""Suppliers, their terms per SKU and planners' parameters per SKU × warehouse in PostgreSQL
(suppliers, supplier_skus, planning_settings).

Rule kept here: a term names a supplier and a SKU that exist (UnknownSupply otherwise, nothing
written); marking a term preferred un-marks the SKU's other supplier in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import psycopg
from psycopg.rows import dict_row

from cloud_hub.planning.pg.settings import resolve_rows
from cloud_hub.supply.terms import (
    PARAMETERS,
    Supplier,
    SupplierTerms,
    UnknownReference,
    UnknownSupply,
)

_SUPPLIER_COLS = "code, name, currency, active"
# planning_settings columns that are never NULL: clearing one restores its default
_KEEPS_DEFAULT = frozenset({"service_level", "review_days", "order_cost", "holding_rate"})
_TERM_COLS = ("supplier, sku, lead_time_days, lead_time_sd_days, moq, pack_multiple, price, "
              "currency, preferred")


def list_suppliers(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT {_SUPPLIER_COLS} FROM suppliers ORDER BY code").fetchall()


def get_supplier(conn: psycopg.Connection, code: str) -> dict[str, Any]:
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_SUPPLIER_COLS} FROM suppliers WHERE code = %s",
                          (code,)).fetchone()
    if row is None:
        raise UnknownSupply(f"no supplier {code!r}")
    return row


def create_supplier(conn: psycopg.Connection, s: Supplier) -> bool:
    """Insert; False when the code exists already (nothing changed)."""
    cur = conn.execute(f"INSERT INTO suppliers ({_SUPPLIER_COLS}) VALUES (%s, %s, %s, %s) "
                       "ON CONFLICT (code) DO NOTHING", (s.code, s.name, s.currency, s.active))
    return cur.rowcount == 1


def put_supplier(conn: psycopg.Connection, s: Supplier) -> None:
    conn.execute(f"INSERT INTO suppliers ({_SUPPLIER_COLS}) VALUES (%s, %s, %s, %s) "
                 "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = "
                 "EXCLUDED.currency, active = EXCLUDED.active, updated_at = now()",
                 (s.code, s.name, s.currency, s.active))


def _sku_exists(conn: psycopg.Connection, sku: str) -> bool:
    return conn.execute("SELECT 1 FROM skus WHERE sku = %s", (sku,)).fetchone() is not None


def list_terms(conn: psycopg.Connection, supplier: str | None = None,
               sku: str | None = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {_TERM_COLS} FROM supplier_skus WHERE (%s::text IS NULL OR supplier = %s) "
            "AND (%s::text IS NULL OR sku = %s) ORDER BY sku, supplier",
            (supplier, supplier, sku, sku)).fetchall()


def put_terms(conn: psycopg.Connection, t: SupplierTerms) -> dict[str, Any]:
    """Store a supplier's terms for a SKU (UnknownSupply: no such supplier or SKU)."""
    with conn.transaction():
        get_supplier(conn, t.supplier)
        if not _sku_exists(conn, t.sku):
            raise UnknownSupply(f"no SKU {t.sku!r}")
        if t.preferred:
            conn.execute("UPDATE supplier_skus SET preferred = false WHERE sku = %s AND "
                         "preferred AND supplier <> %s", (t.sku, t.supplier))
        values = asdict(t)
        names = [c.strip() for c in _TERM_COLS.split(",")]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in names[2:])
        conn.execute(f"INSERT INTO supplier_skus ({_TERM_COLS}) VALUES "
                     f"({', '.join(['%s'] * len(names))}) ON CONFLICT (supplier, sku) "
                     f"DO UPDATE SET {updates}, updated_at = now()",
                     [values[c] for c in names])
    return list_terms(conn, t.supplier, t.sku)[0]


def parameters(conn: psycopg.Connection, warehouse: str, sku: str) -> dict[str, Any]:
    """A SKU's planning parameters in a warehouse as planning will use them, with where each
    comes from (setting, supplier, default)."""
    if not _sku_exists(conn, sku):
        raise UnknownSupply(f"no SKU {sku!r}")
    (row,) = resolve_rows(conn, [(sku, warehouse)])
    values = {name: _plain(value) for name, (value, _) in row.items()}
    return {"warehouse": warehouse, "sku": sku, **values,
            "sources": {name: source for name, (_, source) in row.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN: not set
        return None
    return value


def put_parameters(conn: psycopg.Connection, warehouse: str, sku: str,
                   values: Mapping[str, Any]) -> dict[str, Any]:
    """Set (or clear, with None) the named parameters; the others keep their value."""
    with conn.transaction():
        if not _sku_exists(conn, sku):
            raise UnknownSupply(f"no SKU {sku!r}")
        if conn.execute("SELECT 1 FROM warehouses WHERE code = %s",
                        (warehouse,)).fetchone() is None:
            raise UnknownSupply(f"no warehouse {warehouse!r}")
        supplier = values.get("supplier")
        if supplier is not None and conn.execute("SELECT 1 FROM suppliers WHERE code = %s",
                                                 (supplier,)).fetchone() is None:
            raise UnknownReference(f"no supplier {supplier!r}: create it first "
                                   "(POST /api/v1/suppliers)")
        names = [n for n in PARAMETERS if n in values]
        conn.execute("INSERT INTO planning_settings (warehouse, sku) VALUES (%s, %s) "
                     "ON CONFLICT DO NOTHING", (warehouse, sku))
        if names:
            # cleared (None): back to planning's default where the column keeps one
            sets = ", ".join(f"{n} = DEFAULT" if values[n] is None and n in _KEEPS_DEFAULT
                             else f"{n} = %s" for n in names)
            args = [values[n] for n in names if not (values[n] is None and n in _KEEPS_DEFAULT)]
            conn.execute(f"UPDATE planning_settings SET {sets}, updated_at = now() "
                         "WHERE warehouse = %s AND sku = %s", [*args, warehouse, sku])
    return parameters(conn, warehouse, sku)
