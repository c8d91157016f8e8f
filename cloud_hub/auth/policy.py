"""Who may do what where: a caller's role and warehouse scope against what a route asks for.

Rule kept here: a caller acts only with a permission its roles grant and only on warehouses its
scope holds (admins and `*` users hold all; a gateway holds its own warehouse). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from cloud_hub.auth.roles import Permission, Role, permissions

ALL_WAREHOUSES = "*"  # in users.warehouses: every warehouse, present and future


@dataclass(frozen=True, slots=True)
class Scope:
    """The warehouses a caller may see and act on."""

    warehouses: frozenset[str] = frozenset()
    everything: bool = False

    @classmethod
    def of(cls, stored: Sequence[str], roles: Sequence[str]) -> Scope:
        if Role.ADMIN.value in roles or ALL_WAREHOUSES in stored:
            return cls(frozenset(), everything=True)
        return cls(frozenset(stored))

    def allows(self, warehouse: str) -> bool:
        return self.everything or warehouse in self.warehouses

    def describe(self) -> str:
        if self.everything:
            return "every warehouse"
        return ", ".join(sorted(self.warehouses)) or "no warehouse"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    roles: tuple[str, ...]
    kind: str = "user"  # user | device
    warehouse: str | None = None  # a gateway's own warehouse
    gateway: str | None = None
    scope: Scope = field(default_factory=Scope)


class Refused(Exception):
    """The caller may not do this: `status` 403 (or 404 where saying more would tell too much,
    422 where the caller must name a warehouse)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def check_permission(principal: Principal, permission: Permission | None) -> None:
    """`None`: any signed-in caller."""
    if permission is not None and permission not in permissions(principal.roles):
        raise Refused(403, f"{principal.name} ({', '.join(principal.roles)}) may not "
                           f"{permission.value.replace('_', ' ')}")


def check_warehouses(principal: Principal, warehouses: Collection[str]) -> None:
    outside = sorted(w for w in warehouses if not principal.scope.allows(w))
    if outside:
        raise Refused(403, f"{principal.name} may not act on warehouse {', '.join(outside)} "
                           f"(allowed: {principal.scope.describe()})")


def check_everywhere(principal: Principal, what: str) -> None:
    """Changes that steer every warehouse need a caller who may act on every warehouse."""
    if not principal.scope.everything:
        raise Refused(403, f"{what} applies to every warehouse; {principal.name} may act only "
                           f"on {principal.scope.describe()}")


def effective_warehouse(principal: Principal, named: str | None) -> str | None:
    """The warehouse a request is about: the one named (if allowed), else the caller's only
    warehouse; None means every warehouse and is given only to callers who may see all."""
    if named is not None:
        check_warehouses(principal, (named,))
        return named
    if principal.scope.everything:
        return None
    if len(principal.scope.warehouses) == 1:
        return next(iter(principal.scope.warehouses))
    if not principal.scope.warehouses:
        raise Refused(403, f"{principal.name} may act on no warehouse yet; an admin grants them")
    raise Refused(422, f"name a warehouse: {principal.name} may act on "
                       f"{principal.scope.describe()}")


def check_resource(principal: Principal, what: str, warehouse: str | None) -> None:
    """A thing looked up by id: outside the caller's scope it is 'not found', as if absent, so
    ids of other warehouses cannot be probed. `None`: it belongs to no warehouse (only callers
    who may see all may act on it)."""
    allowed = principal.scope.allows(warehouse) if warehouse is not None else \
        principal.scope.everything
    if not allowed:
        raise Refused(404, f"no {what} in the warehouses of {principal.name}")
