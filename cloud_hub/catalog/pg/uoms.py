"""SKUs' units of measure as stored (skus.uom is the base, sku_uoms the other levels, migration
301): every unit of some SKUs resolved to base units, and the packaging level a GTIN names.

Rule kept here: GTINs are compared as GTIN-14 (left-padded with zeros), so a GTIN-13 on the
item master and the 14 digits a GS1-128 label carries in AI 01 name the same level.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import Decimal

import psycopg

from cloud_hub.catalog.uom import Conversion, UnitOfMeasure, resolve


def units_of(conn: psycopg.Connection, skus: Collection[str]
             ) -> dict[str, dict[str, UnitOfMeasure]]:
    """Every unit of each known SKU, the base unit (factor 1, the SKU's GTIN) included."""
    given: dict[str, list[Conversion]] = {}
    for sku, uom, factor, per, gtin in conn.execute(
            "SELECT sku, uom, factor, per, gtin FROM sku_uoms WHERE sku = ANY(%s)",
            (sorted(skus),)):
        given.setdefault(sku, []).append(Conversion(sku, uom, factor, per, gtin))
    out: dict[str, dict[str, UnitOfMeasure]] = {}
    for sku, base, gtin in conn.execute("SELECT sku, uom, gtin FROM skus WHERE sku = ANY(%s)",
                                        (sorted(skus),)):
        units = resolve(base, given.get(sku, []))
        units[base] = UnitOfMeasure(sku, base, Decimal(1), gtin)
        out[sku] = units
    return out


def gtin_levels(conn: psycopg.Connection, gtins: Iterable[str]) -> dict[str, UnitOfMeasure]:
    """The packaging level (SKU, unit, base units) each of `gtins` names, keyed as given."""
    wanted = {g.zfill(14): g for g in gtins}
    out: dict[str, UnitOfMeasure] = {}
    for gtin14, sku, uom, factor in conn.execute(
            "SELECT lpad(gtin, 14, '0'), sku, uom, 1 FROM skus "
            "WHERE lpad(gtin, 14, '0') = ANY(%s) "
            "UNION ALL SELECT lpad(gtin, 14, '0'), sku, uom, base_factor FROM sku_uoms "
            "WHERE lpad(gtin, 14, '0') = ANY(%s)", (sorted(wanted), sorted(wanted))):
        out[wanted[gtin14]] = UnitOfMeasure(sku, uom, Decimal(factor), wanted[gtin14])
    return out
