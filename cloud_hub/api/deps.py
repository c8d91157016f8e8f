"""Request dependencies as named aliases: the pool, settings, the caller and its roles.

Rule kept here: every route names who may call it; a missing, unknown or expired token is
401, a known caller without the role is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from psycopg_pool import ConnectionPool

from cloud_hub.apply_service import ApplyService
from cloud_hub.auth.roles import Permission, permissions
from cloud_hub.auth.store import AuthError, Principal, authenticate
from cloud_hub.settings import HubSettings

__all__ = ["ApplyDep", "CurrentPrincipal", "PoolDep", "Principal", "SettingsDep",
           "require_permission", "require_roles"]


def get_pool(request: Request) -> ConnectionPool:
    return request.app.state.pool  # type: ignore[no-any-return]


def get_settings(request: Request) -> HubSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_apply_service(request: Request) -> ApplyService:
    return request.app.state.apply_service  # type: ignore[no-any-return]


PoolDep = Annotated[ConnectionPool, Depends(get_pool)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
ApplyDep = Annotated[ApplyService, Depends(get_apply_service)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def principal_for(pool: ConnectionPool, settings: HubSettings, token: str | None) -> Principal:
    if token is None:
        raise HTTPException(401, "no bearer token: sign in at POST /api/v1/auth/token",
                            headers={"WWW-Authenticate": "Bearer"})
    try:
        with pool.connection() as conn:
            return authenticate(conn, token, now=datetime.now(UTC),
                                secret_key=settings.secret_key)
    except AuthError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from None


def current_principal(request: Request, pool: PoolDep, settings: SettingsDep) -> Principal:
    return principal_for(pool, settings, bearer_token(request))


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_permission(permission: Permission) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if permission not in permissions(principal.roles):
            raise HTTPException(403, f"{principal.name} ({', '.join(principal.roles)}) may not "
                                     f"{permission.value.replace('_', ' ')}")
        return principal
    return check


def require_roles(*roles: str) -> Callable[[Principal], Principal]:
    """The caller must hold one of `roles` (admin always may)."""
    allowed = set(roles) | {"admin"}

    def check(principal: CurrentPrincipal) -> Principal:
        if not allowed & set(principal.roles):
            raise HTTPException(403, f"{principal.name} needs one of the roles "
                                     f"{', '.join(sorted(allowed))}")
        return principal
    return check


Reader = Annotated[Principal, Depends(require_permission(Permission.READ))]
Poster = Annotated[Principal, Depends(require_permission(Permission.POST_MOVES))]
Resolver = Annotated[Principal, Depends(require_permission(Permission.RESOLVE))]
MasterData = Annotated[Principal, Depends(require_permission(Permission.MANAGE_MASTER_DATA))]
