"""Each kind's reads, plan and writes against PostgreSQL, in one table (WRITERS).

Extension point: a kind added to cloud_hub/imports/kinds.py (purchasing's suppliers and
supplier-SKU terms, say) adds its KindIO here: `plan` reads what it needs and decides fates
(and the warehouses its rows touch), `write` writes the plan in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import TREE_LOCK, upsert_locations
from cloud_hub.catalog.pg.tree import stored_places
from cloud_hub.catalog.tree import Place, check_parents
from cloud_hub.imports.check import Checked, key_of
from cloud_hub.imports.opening import SkuRules, Stored, event_id, plan_opening
from cloud_hub.imports.pg import master, supply
from cloud_hub.imports.plan import Plan, Record, check_gtins, check_uoms, diff
from protocol.events import StockMoved


@dataclass(slots=True)
class Planned:
    plan: Plan
    warehouses: set[str]
    moves: list[StockMoved]


@dataclass(frozen=True, slots=True)
class KindIO:
    plan: Callable[[psycopg.Connection, Checked, datetime, str | None], Planned]
    write: Callable[[psycopg.Connection, Planned], None]


def _keys(checked: Checked) -> list[tuple[str, ...]]:
    return [key_of(checked.kind, r) for r in checked.rows]


def _records(planned: Planned) -> list[Record]:
    return [rec for _, rec in planned.plan.writes]


def plan_skus(conn: psycopg.Connection, checked: Checked, _: datetime, __: str | None
              ) -> Planned:
    stored = master.stored_skus(conn, _keys(checked))
    plan = diff(checked, stored)
    gtins = {r.text("gtin") for r in checked.rows} - {None}
    check_gtins(plan, checked.rows, None, master.gtin_owners(conn, gtins))  # type: ignore[arg-type]
    rebased = {str(rec["sku"]): (row, stored[(str(rec["sku"]),)]["base_uom"])
               for row, rec in plan.writes if (str(rec["sku"]),) in stored
               and stored[(str(rec["sku"]),)]["base_uom"] != rec["base_uom"]}
    for sku in master.skus_in_use(conn, rebased):
        row, was = rebased[sku]
        plan.refuse(row, "base_uom", f"SKU {sku} counts in {was}: its stock and units are kept "
                                     "in that base unit, which an import cannot change")
    plan.settle()
    return Planned(plan, set(), [])


def plan_uoms(conn: psycopg.Connection, checked: Checked, _: datetime, __: str | None
              ) -> Planned:
    stored = master.stored_uoms(conn, _keys(checked))
    plan = diff(checked, stored)
    gtins = {r.text("gtin") for r in checked.rows} - {None}
    check_gtins(plan, checked.rows, "uom", master.gtin_owners(conn, gtins))  # type: ignore[arg-type]
    check_uoms(plan, checked, master.base_uoms(conn, {k[0] for k in _keys(checked)}), stored)
    return Planned(plan, set(), [])


def plan_suppliers(conn: psycopg.Connection, checked: Checked, _: datetime, __: str | None
                   ) -> Planned:
    stored = supply.stored_suppliers(conn, [k[0] for k in _keys(checked)])
    return Planned(diff(checked, stored), set(), [])


def plan_supplier_skus(conn: psycopg.Connection, checked: Checked, _: datetime,
                       __: str | None) -> Planned:
    return Planned(supply.plan_supplier_skus(conn, checked), set(), [])


def plan_customers(conn: psycopg.Connection, checked: Checked, _: datetime, __: str | None
                   ) -> Planned:
    return Planned(diff(checked, master.stored_customers(conn, _keys(checked))), set(), [])


LOCATION_COLUMNS = ("code", "warehouse", "kind", "parent", "name", "x", "y", "width", "depth",
                    "capacity", "active")


def _decimal(value: object) -> object:
    return Decimal(repr(value)) if isinstance(value, float) else value


def plan_locations(conn: psycopg.Connection, checked: Checked, _: datetime, __: str | None
                   ) -> Planned:
    codes = [str(r.get("code")) for r in checked.rows]
    stored = {(row[0],): {c: _decimal(v) for c, v in zip(LOCATION_COLUMNS, row, strict=True)}
              for row in conn.execute(f"SELECT {', '.join(LOCATION_COLUMNS)} FROM locations "
                                      "WHERE code = ANY(%s)", (codes,))}
    plan = diff(checked, stored)  # type: ignore[arg-type]
    incoming = {str(r.get("code")): Place(str(r.get("warehouse")), r.text("parent"))
                for r in checked.rows}
    problems = check_parents(incoming, stored_places(conn, {p.parent for p in incoming.values()
                                                            if p.parent}), ())
    for row in checked.rows:
        if str(row.get("code")) in problems:
            plan.refuse(row, "parent", problems[str(row.get("code"))])
    plan.settle()
    return Planned(plan, {p.warehouse for p in incoming.values()}, [])


def write_locations(conn: psycopg.Connection, planned: Planned) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (TREE_LOCK,))
    locations: list[Location] = []
    for rec in _records(planned):
        values: dict[str, object] = {c: rec.get(c) for c in LOCATION_COLUMNS}
        for c in ("x", "y", "width", "depth"):
            v = values[c]
            values[c] = None if v is None else float(v)  # type: ignore[arg-type]
        locations.append(Location(**values))  # type: ignore[arg-type]
    if locations:
        upsert_locations(conn, locations)


def plan_opening_stock(conn: psycopg.Connection, checked: Checked, now: datetime,
                       user: str | None) -> Planned:
    skus = {str(r.get("sku")) for r in checked.rows}
    codes = sorted({str(r.get("location")) for r in checked.rows})
    rules = {s: SkuRules(u, lot, serial, expiry) for s, u, lot, serial, expiry in conn.execute(
        "SELECT sku, uom, lot_tracked, serial_tracked, expiry_tracked FROM skus "
        "WHERE sku = ANY(%s)", (sorted(skus),))}
    locations: dict[str, str] = dict(conn.execute(
        "SELECT code, warehouse FROM locations WHERE code = ANY(%s) AND active",
        (codes,)).fetchall())
    ids = {r.number: event_id(r) for r in checked.rows}
    booked = {eid: q for eid, q in conn.execute(
        "SELECT e.event_id, m.quantity FROM event_ids e LEFT JOIN moves m USING (event_id) "
        "WHERE e.event_id = ANY(%s)", (sorted(set(ids.values())),))}
    stored = Stored(rules, master.units_of(conn, skus), locations, booked, ids)
    plan, moves = plan_opening(checked, stored, now, user)
    touched = {locations[str(r.get("location"))] for r in checked.rows
               if str(r.get("location")) in locations}
    return Planned(plan, touched, moves)


def _writer(write: Callable[[psycopg.Connection, list[Record]], None]
            ) -> Callable[[psycopg.Connection, Planned], None]:
    def run(conn: psycopg.Connection, planned: Planned) -> None:
        write(conn, _records(planned))
    return run


def _no_write(_: psycopg.Connection, __: Planned) -> None:
    """Opening stock is written as moves, through the ledger's apply entry point."""


WRITERS: dict[str, KindIO] = {
    "skus": KindIO(plan_skus, _writer(master.write_skus)),
    "uoms": KindIO(plan_uoms, _writer(master.write_uoms)),
    "locations": KindIO(plan_locations, write_locations),
    "opening_stock": KindIO(plan_opening_stock, _no_write),
    "customers": KindIO(plan_customers, _writer(master.write_customers)),
    "suppliers": KindIO(plan_suppliers, _writer(supply.write_suppliers)),
    "supplier_skus": KindIO(plan_supplier_skus, _writer(supply.write_supplier_skus)),
}
