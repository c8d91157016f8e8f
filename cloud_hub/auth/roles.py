"""Roles and what they may do: one table, checked on every write.

Rule kept here: a role list grants the union of its roles' permissions; admin has all. Where
a caller may use them (its warehouses) is cloud_hub.auth.policy's business.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PICKER = "picker"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    ADMIN = "admin"
    FINANCE = "finance"  # reads stock and its value: costs, COGS, valuation reports
    DEVICE = "device"  # an edge gateway's credential


class Permission(StrEnum):
    READ = "read"
    MONITOR = "monitor"  # the live map and the dashboard
    CONFIRM_TASKS = "confirm_tasks"
    POST_MOVES = "post_moves"
    RUN_WORK = "run_work"  # receipt arrivals, shipping, waves, counts, replenishment tasks
    RESOLVE = "resolve"  # rejected moves, dead letters, count approvals
    MANAGE_MASTER_DATA = "manage_master_data"  # locations, SKUs, receipts, orders
    PLAN = "plan"  # planning, rules
    ADMINISTER = "administer"  # users, gateways
    SEE_COSTS = "see_costs"  # cost fields in answers (cloud_hub/auth/costs.py hides them)


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.PICKER: frozenset({Permission.READ, Permission.CONFIRM_TASKS}),
    Role.SUPERVISOR: frozenset({Permission.READ, Permission.MONITOR, Permission.CONFIRM_TASKS,
                                Permission.POST_MOVES, Permission.RUN_WORK, Permission.RESOLVE}),
    Role.MANAGER: frozenset({Permission.READ, Permission.MONITOR, Permission.CONFIRM_TASKS,
                             Permission.POST_MOVES, Permission.RUN_WORK, Permission.RESOLVE,
                             Permission.MANAGE_MASTER_DATA, Permission.PLAN,
                             Permission.SEE_COSTS}),
    Role.FINANCE: frozenset({Permission.READ, Permission.MONITOR, Permission.SEE_COSTS}),
    Role.ADMIN: frozenset(Permission),
    # a gateway posts moves (and heartbeats, over MQTT) for its own warehouse and nothing else
    Role.DEVICE: frozenset({Permission.POST_MOVES}),
}


def permissions(roles: list[str] | tuple[str, ...]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for name in roles:
        try:
            granted |= GRANTS[Role(name)]
        except ValueError:
            continue  # an unknown role grants nothing
    return frozenset(granted)
