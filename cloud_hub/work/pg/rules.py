"""Putaway rules and SKU work profiles in PostgreSQL (configuration, not warehouse state).

Rule kept here: a SKU's profile lives in skus.attributes (needs, home_bin, unit_volume) so
the ledger's master data stays the one list of SKUs; rules live in work_putaway_rules.
"""

from __future__ import annotations

from decimal import Decimal

import psycopg
from psycopg.types.json import Jsonb

from cloud_hub.work.pg.tasks import TaskNotFound
from cloud_hub.work.putaway import PutawayPolicy, PutawayRule, Strategy


def save_rule(conn: psycopg.Connection, scope: str, key: str, rule: PutawayRule) -> None:
    conn.execute(
        "INSERT INTO work_putaway_rules (scope, key, strategies, zones) VALUES (%s,%s,%s,%s) "
        "ON CONFLICT (scope, key) DO UPDATE SET strategies = EXCLUDED.strategies, "
        "zones = EXCLUDED.zones, updated_at = now()",
        (scope, key, [str(s) for s in rule.strategies],
         sorted(rule.zones) if rule.zones is not None else None))


def load_policy(conn: psycopg.Connection) -> PutawayPolicy:
    found: dict[str, dict[str, PutawayRule]] = {"sku": {}, "category": {}, "zone": {}}
    default = PutawayRule()
    for scope, key, strategies, zones in conn.execute(
            "SELECT scope, key, strategies, zones FROM work_putaway_rules"):
        rule = PutawayRule(tuple(Strategy(s) for s in strategies),
                           frozenset(zones) if zones is not None else None)
        if scope == "default":
            default = rule
        else:
            found[scope][key] = rule
    return PutawayPolicy(found["sku"], found["category"], found["zone"], default)


def save_profile(conn: psycopg.Connection, sku: str, *, needs: list[str] | None,
                 home_bin: str | None, unit_volume: Decimal | None) -> None:
    patch: dict[str, object] = {}
    if needs is not None:
        patch["needs"] = sorted(set(needs))
    if home_bin is not None:
        patch["home_bin"] = home_bin
    if unit_volume is not None:
        patch["unit_volume"] = str(unit_volume)
    row = conn.execute("UPDATE skus SET attributes = attributes || %s WHERE sku = %s "
                       "RETURNING sku", (Jsonb(patch), sku)).fetchone()
    if row is None:
        raise TaskNotFound(f"sku {sku}")
