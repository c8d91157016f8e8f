"""A book's totals as the replay prints them: one JSON object, or a small table.

Rule kept here: money is a JSON number with exactly two decimals (12.30, not 12.3 or a float's
12.299999), quantities are JSON numbers as exact as they came in; nothing goes through float.
"""

from __future__ import annotations

import json
from decimal import Decimal

from cloud_hub.valuation.book import Book
from cloud_hub.valuation.model import cents

JsonValue = str | Decimal | list["JsonValue"] | dict[str, "JsonValue"]


def money(value: Decimal) -> Decimal:
    return cents(value) + Decimal("0.00")  # -0.00 is 0.00


def quantity(value: Decimal) -> Decimal:
    """Exact, without exponent or trailing zeros: 10, 2.5, -3."""
    text = f"{value.normalize():f}"
    return Decimal(text)


def summary(book: Book) -> dict[str, JsonValue]:
    return {
        "method": book.method.value,
        "base_currency": book.base_currency,
        "positions": [{"warehouse": p.warehouse, "sku": p.sku, "quantity": quantity(p.quantity),
                       "value": money(p.value)} for p in book.positions()],
        "cogs": money(book.cogs),
        "adjustments": money(book.adjustments),
        "review": [{"line": Decimal(r.key), "warehouse": r.warehouse, "sku": r.sku,
                    "quantity": quantity(r.quantity), "unit_cost": money(r.unit_cost),
                    "reason": r.reason} for r in book.reviews],
    }


def render_json(book: Book) -> str:
    return dumps(summary(book))


def dumps(value: JsonValue) -> str:
    """JSON text; Decimals are written as numbers, digit for digit."""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)}: {dumps(v)}" for k, v in value.items()) + "}"


def render_text(book: Book) -> str:
    rows = [f"{p.warehouse:<12} {p.sku:<20} {quantity(p.quantity):>12f} {money(p.value):>14f}"
            for p in book.positions()]
    lines = [f"valuation by {book.method.value.upper()} in {book.base_currency}",
             f"{'warehouse':<12} {'sku':<20} {'quantity':>12} {'value':>14}", *rows,
             f"COGS {money(book.cogs):f}   adjustments {money(book.adjustments):f}"]
    lines += [f"review: line {r.key} {r.warehouse}/{r.sku} {quantity(r.quantity):f} "
              f"at {money(r.unit_cost):f}: {r.reason}" for r in book.reviews]
    return "\n".join(lines)
