"""Suppliers and supplier-SKU terms from a file: read what is stored, decide each row's fate
(an unknown supplier or SKU, or two preferred suppliers for one SKU, is that row's error), and
write in the import's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import psycopg

from cloud_hub.imports.cells import Value
from cloud_hub.imports.check import Checked, key_of
from cloud_hub.imports.plan import Plan, Record, diff


def stored_suppliers(conn: psycopg.Connection, codes: list[str]) -> dict[tuple[str, ...], Record]:
    return {(code,): {"supplier": code, "name": name, "currency": currency, "active": active}
            for code, name, currency, active in conn.execute(
                "SELECT code, name, currency, active FROM suppliers WHERE code = ANY(%s)",
                (codes,))}


def write_suppliers(conn: psycopg.Connection, records: Sequence[Record]) -> None:
    conn.cursor().executemany(
        "INSERT INTO suppliers (code, name, currency, active) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, "
        "active = EXCLUDED.active, updated_at = now()",
        [(r["supplier"], r["name"], r["currency"], r["active"]) for r in records])


_TERMS = ("lead_time_days", "lead_time_sd_days", "moq", "pack_multiple", "price", "currency",
          "preferred")


def _value(v: object) -> Value:
    """Days are stored as double precision; the file's cells are decimals."""
    return Decimal(str(v)) if isinstance(v, float) else v  # type: ignore[return-value]


def plan_supplier_skus(conn: psycopg.Connection, checked: Checked) -> Plan:
    keys = [key_of(checked.kind, r) for r in checked.rows]
    stored: dict[tuple[str, ...], Record] = {
        (s, k): {"supplier": s, "sku": k, **{t: _value(v) for t, v in zip(_TERMS, rest,
                                                                           strict=True)}}
        for s, k, *rest in conn.execute(
                  f"SELECT supplier, sku, {', '.join(_TERMS)} FROM supplier_skus "
                  "WHERE (supplier, sku) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                  ([k[0] for k in keys], [k[1] for k in keys]))}
    plan = diff(checked, stored)
    suppliers = {r[0] for r in conn.execute("SELECT code FROM suppliers WHERE code = ANY(%s)",
                                            (list({k[0] for k in keys}),))}
    skus = {r[0] for r in conn.execute("SELECT sku FROM skus WHERE sku = ANY(%s)",
                                       (list({k[1] for k in keys}),))}
    preferred: dict[str, int] = {}
    for row in checked.rows:
        supplier, sku = key_of(checked.kind, row)
        if supplier not in suppliers:
            plan.refuse(row, "supplier", f"no supplier {supplier!r}: import or add it first")
        if sku not in skus:
            plan.refuse(row, "sku", f"no SKU {sku!r}: import it first")
        if row.get("preferred") is True:
            if sku in preferred:
                plan.refuse(row, "preferred", f"row {preferred[sku]} already makes another "
                                              f"supplier the preferred one of {sku}")
            preferred.setdefault(sku, row.number)
    plan.settle()
    return plan


def write_supplier_skus(conn: psycopg.Connection, records: Sequence[Record]) -> None:
    now_preferred = [(r["sku"], r["supplier"]) for r in records if r["preferred"]]
    if now_preferred:  # one preferred supplier a SKU: the file's choice replaces the old one
        conn.execute("UPDATE supplier_skus SET preferred = false, updated_at = now() "
                     "WHERE preferred AND sku = ANY(%s)", ([s for s, _ in now_preferred],))
    conn.cursor().executemany(
        f"INSERT INTO supplier_skus (supplier, sku, {', '.join(_TERMS)}) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (supplier, sku) DO UPDATE SET "
        + ", ".join(f"{t} = EXCLUDED.{t}" for t in _TERMS) + ", updated_at = now()",
        [(r["supplier"], r["sku"], *(r[t] for t in _TERMS)) for r in records])
