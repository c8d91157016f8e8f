"""Every route's access policy, in one place: the permission it needs and where the warehouse
it touches comes from (the query, the body, the path, or the thing it looks up by id).

Rule kept here: each route declares `Annotated[Access, guard(permission, where)]` (or says it
is `public` on purpose); the guard answers 401 (no valid token), then 403 (role), then 403/404
(warehouse outside the caller's scope) before the route runs, and hands the route the warehouse
it may use. The policy is published in OpenAPI as the operation's bearer scopes
(`[permission, "warehouse:<where>"]`), and tests walk it route by route.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import psycopg
from fastapi import Depends, HTTPException, Query, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import ConnectionPool

from cloud_hub.auth.pg.store import AuthError, authenticate
from cloud_hub.auth.pg.tickets import redeem_ticket
from cloud_hub.auth.policy import (
    Principal,
    Refused,
    check_everywhere,
    check_permission,
    check_resource,
    check_warehouses,
    effective_warehouse,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.settings import HubSettings

Found = tuple[bool, str | None]  # (exists, its warehouse; None: it belongs to no warehouse)


@dataclass(frozen=True, slots=True)
class Resource:
    """A thing routes look up by id (a task, a location, ...): each feature declares its own
    beside its routes. `find` reads the id exactly as the route will; an id that cannot be
    one is simply not found."""

    name: str
    param: str  # the path parameter holding its id
    find: Callable[[psycopg.Connection, str], Found]


def by_sql(query: str, parse: Callable[[str], object] = str
           ) -> Callable[[psycopg.Connection, str], Found]:
    """A Resource's `find` from one query selecting the warehouse of the row with that id."""
    def find(conn: psycopg.Connection, key: str) -> Found:
        try:
            value = parse(key)
        except ValueError:
            return False, None
        row = conn.execute(query, (value,)).fetchone()
        return (False, None) if row is None else (True, row[0])
    return find


def bigint(key: str) -> int:
    """A path id that must fit PostgreSQL's bigint (ValueError otherwise: not found)."""
    value = int(key)
    if not -2**63 <= value < 2**63:
        raise ValueError(key)
    return value


bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="POST /api/v1/auth/token for a token. Each operation's scopes "
                                "name the permission it needs and where its warehouse comes "
                                "from (warehouse:query, body, path, resource:<kind>, all, none).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
POLICY_ATTR = "__stockpulse_policy__"
# Routes outside the warehouse policy, with the reason; the FastAPI documents and the ops
# endpoints are configured in app.py and settings.
OPS_ROUTES = {"/openapi.json": "API document", "/docs": "API document",
              "/docs/oauth2-redirect": "API document", "/redoc": "API document",
              "/api/v1/asyncapi.json": "MQTT device API document",
              "/healthz": "load balancers' health check", "/metrics": "Prometheus scrape"}


@dataclass(frozen=True, slots=True)
class Where:
    """Where a route's warehouse comes from. kind: none (shared data, e.g. SKUs), all (steers
    every warehouse), query, query_required, body, body_optional (the JSON body's
    `warehouse`), events and rows (the route admits each decoded event or parsed row with
    Access.admit: raw bodies are not parsed before the caller is known), path (a path
    parameter), resource (the thing a path parameter names)."""

    kind: str
    param: str | None = None
    resource: Resource | None = None
    missing_ok: bool = False  # resource: an upsert may name one that does not exist yet
    body: bool = False  # resource: the body names a warehouse too (it may move the thing)

    @property
    def label(self) -> str:
        if self.kind == "resource" and self.resource is not None:
            return f"resource:{self.resource.name}" + ("+body" if self.body else "")
        return self.kind


SHARED = Where("none")
EVERY = Where("all")
IN_QUERY = Where("query")
IN_QUERY_REQUIRED = Where("query_required")
IN_BODY = Where("body")
IN_BODY_OPTIONAL = Where("body_optional")
IN_EVENTS = Where("events")
IN_ROWS = Where("rows")
BY_TICKET = Where("ticket")  # the live WebSocket: the warehouse its ticket was bought for


def in_path(param: str) -> Where:
    return Where("path", param=param)


def looked_up(resource: Resource, *, missing_ok: bool = False, body: bool = False) -> Where:
    return Where("resource", resource=resource, missing_ok=missing_ok, body=body)


@dataclass(frozen=True, slots=True)
class Access:
    """Who is calling, and the warehouse the request is about (None: every warehouse, given
    only to callers who may see all)."""

    principal: Principal
    warehouse: str | None

    @property
    def name(self) -> str:
        return self.principal.name

    def admit(self, warehouses: Iterable[str]) -> None:
        """For routes whose warehouses show only once the route has parsed its input."""
        try:
            check_warehouses(self.principal, set(warehouses))
        except Refused as exc:
            raise HTTPException(exc.status, exc.detail) from None


@dataclass(frozen=True, slots=True)
class Policy:
    permission: Permission | None  # None: any signed-in caller
    where: Where | None  # None: public
    reason: str = ""


def authenticate_token(conn: psycopg.Connection, secret_key: str, token: str | None) -> Principal:
    if token is None:
        raise HTTPException(401, "no bearer token: sign in at POST /api/v1/auth/token",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        return authenticate(conn, token, now=datetime.now(UTC), secret_key=secret_key)
    except AuthError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


def body_warehouses(data: Any) -> set[str]:
    """The `warehouse` of a JSON object, of each object of an array or of {"events": [...]}.
    Values that are not strings are left to the body's own validation, which refuses them."""
    if isinstance(data, dict) and "warehouse" not in data and isinstance(data.get("events"), list):
        data = data["events"]
    items = data if isinstance(data, list) else [data]
    return {item["warehouse"] for item in items
            if isinstance(item, dict) and isinstance(item.get("warehouse"), str)}


def _one(warehouses: Collection[str]) -> str | None:
    return next(iter(warehouses)) if len(warehouses) == 1 else None


def _resolve(where: Where, conn: psycopg.Connection, principal: Principal, request: Request,
             named: str | None, body: Any) -> str | None:
    """The request's warehouse, or Refused."""
    kind = where.kind
    if kind in ("none", "rows", "events"):
        return None
    if kind == "all":
        check_everywhere(principal, "this")
        return None
    if kind in ("query", "body_optional"):
        named = named if kind == "query" else _one(body_warehouses(body))
        return effective_warehouse(principal, named)
    if kind == "query_required":
        if named is None:
            raise Refused(422, "name a warehouse (query parameter `warehouse`)")
        return effective_warehouse(principal, named)
    if kind == "body":
        found = body_warehouses(body)
        if not found:
            raise Refused(422, "the body names no warehouse")
        check_warehouses(principal, found)
        return _one(found)
    if kind == "path":
        return effective_warehouse(principal, request.path_params[where.param or ""])
    return _resolve_resource(where, conn, principal, request, body)


def _resolve_resource(where: Where, conn: psycopg.Connection, principal: Principal,
                      request: Request, body: Any) -> str | None:
    assert where.resource is not None
    resource = where.resource
    key = str(request.path_params.get(resource.param, ""))
    what = f"{resource.name.replace('_', ' ')} {key!r}"
    found, warehouse = resource.find(conn, key)
    if not found and not where.missing_ok:
        raise Refused(404, f"no {what}")
    if found:
        check_resource(principal, what, warehouse)
    if where.body:
        named = body_warehouses(body)
        if not named:
            raise Refused(422, "the body names no warehouse")
        check_warehouses(principal, named)
        return _one(named)
    return warehouse


def _checker(policy: Policy) -> Callable[..., Access]:
    def check(request: Request, credentials: HTTPAuthorizationCredentials | None,
              pool: ConnectionPool, settings: HubSettings, named: str | None = None,
              body: Any = None) -> Access:
        assert policy.where is not None
        token = credentials.credentials if credentials is not None else None
        with pool.connection() as conn:
            principal = authenticate_token(conn, settings.secret_key, token)
            try:
                check_permission(principal, policy.permission)
                warehouse = _resolve(policy.where, conn, principal, request, named, body)
            except Refused as exc:
                raise HTTPException(exc.status, exc.detail) from None
        return Access(principal, warehouse)
    return check


async def _json_body(request: Request) -> Any:
    """The JSON body of a route that declares a body model: FastAPI has parsed it already
    (before any dependency runs) and this is its cached copy, not a second parse."""
    try:
        return await request.json()
    except ValueError:
        return None


def guard(permission: Permission | None, where: Where) -> Any:
    """The dependency a route declares: `access: Annotated[Access, guard(...)]`."""
    policy = Policy(permission, where)
    check = _checker(policy)
    dependency: Callable[..., Access]
    if where.kind in ("query", "query_required"):
        def dependency(request: Request, credentials: Credentials, pool: PoolDep,
                       settings: SettingsDep, warehouse: Annotated[str | None, Query(
                           min_length=1, max_length=64, description="the warehouse; "
                           "required unless the caller may act on only one")] = None) -> Access:
            return check(request, credentials, pool, settings, named=warehouse)
    elif where.kind in ("body", "body_optional") or where.body:
        def dependency(request: Request, credentials: Credentials, pool: PoolDep,
                       settings: SettingsDep, body: Annotated[Any, Depends(_json_body)]) -> Access:
            return check(request, credentials, pool, settings, body=body)
    else:
        def dependency(request: Request, credentials: Credentials, pool: PoolDep,
                       settings: SettingsDep) -> Access:
            return check(request, credentials, pool, settings)
    setattr(dependency, POLICY_ATTR, policy)
    scope = permission.value if permission is not None else "signed_in"
    return Security(dependency, scopes=[scope, f"warehouse:{where.label}"])


def public(reason: str) -> Any:
    """A route anyone may call, on purpose (it carries no warehouse data): say why."""
    def open_to_all() -> None:
        return None
    setattr(open_to_all, POLICY_ATTR, Policy(None, None, reason))
    return Depends(open_to_all)


def ticketed(permission: Permission) -> Any:
    """The live WebSocket's declaration: it checks `permission` and the warehouse of its
    single-use ticket with live_access() (a socket cannot carry the bearer header)."""
    def by_ticket() -> None:
        return None
    setattr(by_ticket, POLICY_ATTR, Policy(permission, BY_TICKET))
    return Depends(by_ticket)


def live_access(conn: psycopg.Connection, secret_key: str, permission: Permission,
                ticket: str | None, named: str | None) -> Access:
    """Redeem a live ticket: 401 without a good one, 403 when the caller may not read or asks
    for a warehouse other than the ticket's."""
    if not ticket:
        raise HTTPException(401, "no ticket: POST /api/v1/live/tickets for one")
    try:
        principal, bound = redeem_ticket(conn, ticket, now=datetime.now(UTC),
                                         secret_key=secret_key)
    except AuthError as exc:
        raise HTTPException(401, str(exc)) from None
    try:
        check_permission(principal, permission)
        if bound is not None and named not in (None, bound):
            raise Refused(403, f"this ticket is for warehouse {bound}, not {named}")
        warehouse = effective_warehouse(principal, bound if bound is not None else named)
    except Refused as exc:
        raise HTTPException(exc.status, exc.detail) from None
    return Access(principal, warehouse)


def declared_policy(route: Any) -> Policy | None:
    """The policy a route declared through guard() or public(), if any."""
    dependant = getattr(route, "dependant", None)
    stack = list(dependant.dependencies) if dependant is not None else []
    while stack:
        dep = stack.pop()
        policy = getattr(dep.call, POLICY_ATTR, None)
        if policy is not None:
            return policy  # type: ignore[no-any-return]
        stack.extend(dep.dependencies)
    return None
