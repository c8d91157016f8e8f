"""What each kind of import reads: its columns (name, how a cell is read, required or not,
other names a header may use), the columns that key a row, and whether its rows belong to a
warehouse. One table: the checker, the templates, the docs and the REST enum all read it.

Extension point: a new kind adds a Kind here and a writer in cloud_hub/imports/pg/kinds.py's
WRITERS; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cloud_hub.imports import cells
from cloud_hub.imports.cells import Raw, Value


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    read: Callable[[Raw], Value]
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    warehouse_bound: bool = False  # REST admits each row's warehouse for the caller

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> dict[str, str]:
        """Every header a column answers to (its name and aliases) -> its name."""
        return {n: c.name for c in self.columns for n in (c.name, *c.aliases)}


def _status(raw: Raw) -> Value:
    value = cells.text(raw)
    if value is not None and value.lower() not in ("available", "quarantine", "damaged"):
        raise cells.CellError(f"{value!r} is not available, quarantine or damaged")
    return value.lower() if value else None


def _abc(raw: Raw) -> Value:
    value = cells.text(raw)
    if value is not None and value.upper() not in ("A", "B", "C"):
        raise cells.CellError(f"{value!r} is not A, B or C")
    return value.upper() if value else None


def _short(limit: int) -> Callable[[Raw], Value]:
    def read(raw: Raw) -> Value:
        value = cells.text(raw)
        if value is not None and len(value) > limit:
            raise cells.CellError(f"at most {limit} characters")
        return value
    return read


def _location_kind(raw: Raw) -> Value:
    from cloud_hub.catalog.model import LOCATION_KINDS
    value = cells.text(raw)
    if value is not None and value.lower() not in LOCATION_KINDS:
        raise cells.CellError(f"{value!r} is not one of {', '.join(LOCATION_KINDS)}")
    return value.lower() if value else None


UOM = _short(16)

SKUS = Kind("skus", (
    Column("sku", cells.code, True, ("item", "sku_code", "item_code"), "SKU-1001"),
    Column("name", _short(500), False, ("description",), "Blue widget"),
    Column("gtin", cells.gtin, False, ("ean", "upc", "barcode"), "04006381333931"),
    Column("base_uom", UOM, False, ("uom", "unit"), "EA"),
    Column("lot_tracked", cells.boolean, False, (), "no"),
    Column("serial_tracked", cells.boolean, False, (), "no"),
    Column("expiry_tracked", cells.boolean, False, (), "no"),
    Column("category", _short(64), False, (), "widgets"),
    Column("unit_value", cells.non_negative, False, ("value",), "2.50"),
    Column("storage_class", _short(32), False, (), "ambient"),
    Column("abc_class", _abc, False, ("abc", "abc_override"), ""),
    Column("length_cm", cells.non_negative, False, ("length",), "20"),
    Column("width_cm", cells.non_negative, False, ("width",), "10"),
    Column("height_cm", cells.non_negative, False, ("height",), "5"),
    Column("weight_kg", cells.non_negative, False, ("weight",), "0.4"),
), key=("sku",))

UOMS = Kind("uoms", (
    Column("sku", cells.code, True, ("item",), "SKU-1001"),
    Column("uom", UOM, True, ("unit",), "BOX"),
    Column("factor", cells.positive, True, ("quantity", "contains"), "12"),
    Column("per", UOM, False, ("of", "per_uom"), "EA"),
    Column("gtin", cells.gtin, False, ("ean", "barcode"), "14006381333938"),
), key=("sku", "uom"))

LOCATIONS = Kind("locations", (
    Column("code", cells.code, True, ("location",), "A-01-01"),
    Column("warehouse", _short(64), True, (), "WH1"),
    Column("kind", _location_kind, True, ("type",), "bin"),
    Column("parent", cells.code, False, (), "A-01"),
    Column("name", _short(200), False, (), "Aisle A, bay 1, level 1"),
    Column("x", cells.number, False, (), "1.5"),
    Column("y", cells.number, False, (), "3"),
    Column("width", cells.non_negative, False, (), "1"),
    Column("depth", cells.non_negative, False, (), "1"),
    Column("capacity", cells.non_negative, False, (), "100"),
    Column("active", cells.boolean, False, (), "yes"),
), key=("code",), warehouse_bound=True)

OPENING_STOCK = Kind("opening_stock", (
    Column("sku", cells.code, True, ("item",), "SKU-1001"),
    Column("location", cells.code, True, ("bin",), "A-01-01"),
    Column("quantity", cells.positive, True, ("qty",), "24"),
    Column("uom", UOM, False, ("unit",), "EA"),
    Column("lot", cells.code, False, ("batch",), "L2026-11"),
    Column("expiry", cells.day, False, ("expiry_date", "best_before"), "2027-06-30"),
    Column("serial", cells.code, False, ("serial_number",), ""),
    Column("sscc", cells.sscc, False, ("unit", "pallet", "handling_unit"), ""),
    Column("status", _status, False, (), "available"),
    Column("cost", cells.non_negative, False, ("unit_cost",), "2.10"),
    Column("warehouse", _short(64), False, (), "WH1"),
), key=("location", "sku", "lot", "serial", "sscc", "status"), warehouse_bound=True)

def _country(raw: Raw) -> Value:
    value = cells.text(raw)
    if value is not None and not (len(value) == 2 and value.isascii() and value.isalpha()):
        raise cells.CellError(f"{value!r} is not a country code (ISO 3166-1 alpha-2, e.g. NL)")
    return value.upper() if value else None


# Customers as migration 107 holds them (work/pg/customers.py): an id, a name and an address
# of up to four lines; ship-to addresses are not imported (POST /api/v1/customers has them).
CUSTOMERS = Kind("customers", (
    Column("customer_id", cells.code, True, ("code", "customer", "customer_code"), "C-100"),
    Column("name", _short(200), True, (), "Corner Shop Ltd"),
    Column("address_1", _short(200), True, ("address", "street", "address_line_1"),
           "1 High Street"),
    Column("address_2", _short(200), False, ("address_line_2",), ""),
    Column("address_3", _short(200), False, ("address_line_3",), ""),
    Column("address_4", _short(200), False, ("address_line_4",), ""),
    Column("city", _short(100), True, ("town",), "London"),
    Column("postcode", _short(20), False, ("postal_code", "zip"), "N1 1AA"),
    Column("country", _country, True, (), "GB"),
), key=("customer_id",))



def _currency(raw: Raw) -> Value:
    value = cells.text(raw)
    if value is not None and not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise cells.CellError(f"{value!r} is not a currency code (ISO 4217, e.g. EUR)")
    return value.upper() if value else None


# Purchasing's tables (migration 204, cloud_hub/supply): suppliers, and what each offers for a
# SKU on what terms. A preferred row makes that supplier the SKU's one preferred supplier.
SUPPLIERS = Kind("suppliers", (
    Column("supplier", cells.code, True, ("code", "supplier_code", "supplier_id"), "SUP-1"),
    Column("name", _short(200), False, ("supplier_name",), "Acme Components"),
    Column("currency", _currency, False, (), "EUR"),
    Column("active", cells.boolean, False, (), "yes"),
), key=("supplier",))

SUPPLIER_SKUS = Kind("supplier_skus", (
    Column("supplier", cells.code, True, ("supplier_code", "supplier_id"), "SUP-1"),
    Column("sku", cells.code, True, ("item", "item_code"), "SKU-1001"),
    Column("lead_time_days", cells.non_negative, True, ("lead_time",), "14"),
    Column("lead_time_sd_days", cells.non_negative, False, ("lead_time_sd",), "2"),
    Column("moq", cells.non_negative, False, ("minimum_order_quantity",), "100"),
    Column("pack_multiple", cells.positive, False, ("pack", "pack_size"), "10"),
    Column("price", cells.non_negative, False, ("unit_price",), "2.35"),
    Column("currency", _currency, False, (), "EUR"),
    Column("preferred", cells.boolean, False, (), "yes"),
), key=("supplier", "sku"))

KINDS: dict[str, Kind] = {k.name: k for k in (SKUS, UOMS, LOCATIONS, OPENING_STOCK, CUSTOMERS,
                                              SUPPLIERS, SUPPLIER_SKUS)}
