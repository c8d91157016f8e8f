"""Cost fields and who may see them: the one place answers lose their costs.

Rule kept here: only callers whose roles grant `see_costs` (manager, finance, admin) get cost
fields; for everyone else the fields are absent from the answer — not null, not zero — in JSON
and CSV alike. A route that answers with costs passes its body (or its CSV columns) through
here, and nothing else decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cloud_hub.auth.roles import Permission, permissions

# Every field name that carries money, in any answer.
COST_FIELDS = frozenset({
    "value", "unit_cost", "cogs", "adjustments", "currency", "rate", "base_currency",
    "opening_value", "receipts_value", "issues_value", "closing_value",
})

Json = object


def sees_costs(roles: Sequence[str]) -> bool:
    return Permission.SEE_COSTS in permissions(tuple(roles))


def shown(body: Json, roles: Sequence[str]) -> Json:
    """`body` as `roles` may see it: cost fields removed (at any depth) unless they see costs."""
    if sees_costs(roles):
        return body
    return _strip(body)


def shown_columns(columns: Sequence[str], roles: Sequence[str]) -> list[str]:
    """A CSV's columns as `roles` may see them."""
    return [c for c in columns if sees_costs(roles) or c not in COST_FIELDS]


def _strip(body: Json) -> Json:
    if isinstance(body, Mapping):
        return {k: _strip(v) for k, v in body.items() if k not in COST_FIELDS}
    if isinstance(body, list):
        return [_strip(v) for v in body]
    return body
