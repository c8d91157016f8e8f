"""SKUs, their units and customers as the imports read and write them (one statement per kind
and direction: a file's keys are read with = ANY, its new and changed rows written with one
executemany of an upsert).

Rule kept here: file columns map to table columns in one table per kind (COLUMNS); nothing
here decides a row's fate (cloud_hub/imports/plan.py does), it reads and writes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.catalog.pg.uoms import units_of
from cloud_hub.imports.plan import Key, Record

# file column -> table column, per table
SKU_COLUMNS = {"sku": "sku", "name": "description", "gtin": "gtin", "base_uom": "uom",
               "lot_tracked": "lot_tracked", "serial_tracked": "serial_tracked",
               "expiry_tracked": "expiry_tracked", "category": "category",
               "unit_value": "unit_value", "storage_class": "storage_class",
               "abc_class": "abc_override", "length_cm": "length_cm", "width_cm": "width_cm",
               "height_cm": "height_cm", "weight_kg": "weight_kg"}
UOM_COLUMNS = {"sku": "sku", "uom": "uom", "factor": "factor", "per": "per", "gtin": "gtin"}
ADDRESS_LINES = ("address_1", "address_2", "address_3", "address_4")


def _read(conn: psycopg.Connection, table: str, columns: Mapping[str, str],
          key: Sequence[str], keys: Collection[Key]) -> dict[Key, Record]:
    names = list(columns)
    select = ", ".join(columns[n] for n in names)
    if len(key) == 1:
        rows = conn.execute(f"SELECT {select} FROM {table} WHERE {columns[key[0]]} = ANY(%s)",
                            ([k[0] for k in keys],))
    else:
        skus = sorted({k[0] for k in keys})
        rows = conn.execute(f"SELECT {select} FROM {table} WHERE sku = ANY(%s)", (skus,))
    out: dict[Key, Record] = {}
    for row in rows:
        record = dict(zip(names, row, strict=True))
        out[tuple(str(record[k]) for k in key)] = record
    return out


def _upsert(conn: psycopg.Connection, table: str, columns: Mapping[str, str],
            key: Sequence[str], records: Sequence[Record], extra: str = "") -> None:
    if not records:
        return
    names = list(columns)
    cols = ", ".join(columns[n] for n in names)
    conflict = ", ".join(columns[k] for k in key)
    updates = ", ".join(f"{columns[n]} = EXCLUDED.{columns[n]}" for n in names if n not in key)
    conn.cursor().executemany(
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(names))}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}{extra}",
        [tuple(r.get(n) for n in names) for r in records])


def stored_skus(conn: psycopg.Connection, keys: Collection[Key]) -> dict[Key, Record]:
    return _read(conn, "skus", SKU_COLUMNS, ("sku",), keys)


def write_skus(conn: psycopg.Connection, records: Sequence[Record]) -> None:
    _upsert(conn, "skus", SKU_COLUMNS, ("sku",), records)


def skus_in_use(conn: psycopg.Connection, skus: Collection[str]) -> set[str]:
    """The SKUs among `skus` with stock, a move or units of measure stored."""
    if not skus:
        return set()
    wanted = sorted(skus)
    return {s for (s,) in conn.execute(
        "SELECT sku FROM sku_uoms WHERE sku = ANY(%s) UNION SELECT sku FROM balances "
        "WHERE sku = ANY(%s) UNION SELECT sku FROM unit_contents WHERE sku = ANY(%s) "
        "UNION SELECT DISTINCT sku FROM moves WHERE sku = ANY(%s)",
        (wanted, wanted, wanted, wanted))}


def stored_uoms(conn: psycopg.Connection, keys: Collection[Key]) -> dict[Key, Record]:
    return _read(conn, "sku_uoms", UOM_COLUMNS, ("sku", "uom"), keys)


def base_uoms(conn: psycopg.Connection, skus: Collection[str]) -> dict[str, str]:
    return dict(conn.execute("SELECT sku, uom FROM skus WHERE sku = ANY(%s)", (sorted(skus),))
                .fetchall())


def write_uoms(conn: psycopg.Connection, records: Sequence[Record]) -> None:
    """Upsert the units, then store every touched SKU's resolved base factors."""
    if not records:
        return
    conn.cursor().executemany(
        "INSERT INTO sku_uoms (sku, uom, factor, per, gtin, base_factor) "
        "VALUES (%s, %s, %s, %s, %s, 1) ON CONFLICT (sku, uom) DO UPDATE SET "
        "factor = EXCLUDED.factor, per = EXCLUDED.per, gtin = EXCLUDED.gtin",
        [(r["sku"], r["uom"], r["factor"], r.get("per"), r.get("gtin")) for r in records])
    skus = sorted({str(r["sku"]) for r in records})
    factors = [(u.factor, u.sku, u.uom) for sku, units in units_of(conn, skus).items()
               for u in units.values()]
    conn.cursor().executemany(
        "UPDATE sku_uoms SET base_factor = %s WHERE sku = %s AND uom = %s", factors)


def gtin_owners(conn: psycopg.Connection, gtins: Collection[str]
                ) -> dict[str, tuple[str, str | None]]:
    """gtin -> (sku, unit; None for the base unit) of the stored GTINs among `gtins`."""
    wanted = sorted(gtins)
    out: dict[str, tuple[str, str | None]] = {
        g: (s, None) for g, s in conn.execute("SELECT gtin, sku FROM skus WHERE gtin = ANY(%s)",
                                              (wanted,))}
    for g, s, u in conn.execute("SELECT gtin, sku, uom FROM sku_uoms WHERE gtin = ANY(%s)",
                                (wanted,)):
        out[g] = (s, u)
    return out


def stored_customers(conn: psycopg.Connection, keys: Collection[Key]) -> dict[Key, Record]:
    """Customers as import records: the address's lines, city, postcode and country spread
    into the file's columns."""
    out: dict[Key, Record] = {}
    for customer_id, name, address in conn.execute(
            "SELECT customer_id, name, address FROM customers WHERE customer_id = ANY(%s)",
            ([k[0] for k in keys],)):
        lines = list(address.get("lines") or [])
        record: Record = {"customer_id": customer_id, "name": name,
                          "city": address.get("city"), "postcode": address.get("postcode", ""),
                          "country": address.get("country")}
        for i, column in enumerate(ADDRESS_LINES):
            record[column] = lines[i] if i < len(lines) else None
        out[(customer_id,)] = record
    return out


def write_customers(conn: psycopg.Connection, records: Sequence[Record]) -> None:
    conn.cursor().executemany(
        "INSERT INTO customers (customer_id, name, address) VALUES (%s, %s, %s) "
        "ON CONFLICT (customer_id) DO UPDATE SET name = EXCLUDED.name, "
        "address = EXCLUDED.address, updated_at = now()",
        [(r["customer_id"], r["name"], Jsonb({
            "lines": [r[c] for c in ADDRESS_LINES if r.get(c)], "city": r["city"],
            "postcode": r.get("postcode") or "", "country": r["country"]})) for r in records])
