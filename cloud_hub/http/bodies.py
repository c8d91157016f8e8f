"""Building blocks of the response models every feature declares beside its routes.

Rule kept here: a response model documents a body, it never changes one. Before the routes had
models they were annotated `dict[str, Any]`, which pydantic serialized value by value (a
Decimal as a string, a datetime in ISO 8601 with `Z` for UTC); a model's fields keep those
types, so `Body` only adds names, and it refuses a key its model does not name rather than
silently dropping it. `Num` keeps a whole number whole (a float field would send 5 as 5.0).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, WithJsonSchema

__all__ = ["Body", "DecimalText", "Num"]


class Body(BaseModel):
    """A JSON object a route answers with: every key it sends is named here."""

    model_config = ConfigDict(extra="forbid")


Num = Annotated[float | int, WithJsonSchema({"type": "number"})]
"""A JSON number: an int stays an int, a float a float."""

DecimalText = Annotated[Decimal, WithJsonSchema(
    {"type": "string", "format": "decimal", "examples": ["12.5"]})]
"""An exact decimal, sent as a string so that no digit is lost."""


def numbers(value: Any) -> Any:
    """Decimals as JSON numbers (whole ones as integers), through dicts, lists and tuples —
    quantities as the event contract writes them."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [numbers(v) for v in value]
    return value
