"""Administration under /api/v1: users (roles, warehouses, active, password) and revoking the
tokens of a user or a gateway.

Rule kept here: a change to a user ends the user's tokens at their next request (the database
moves users.token_version on); revoking ends them without changing anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from cloud_hub.auth.api.access import SHARED, Access, guard, in_path
from cloud_hub.auth.api.schemas import Revoked, UserOut
from cloud_hub.auth.pg.store import (
    UserInfo,
    create_user,
    list_users,
    revoke_gateway,
    revoke_user,
    update_user,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep

router = APIRouter(prefix="/api/v1", tags=["admin"])
Admin = Annotated[Access, guard(Permission.ADMINISTER, SHARED)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=8, max_length=1024)
    roles: list[str] = Field(min_length=1, max_length=4)
    warehouses: list[str] = Field(default_factory=list, max_length=1000)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: list[str] | None = Field(None, min_length=1, max_length=4)
    warehouses: list[str] | None = Field(None, max_length=1000)
    active: bool | None = None
    password: str | None = Field(None, min_length=8, max_length=1024)


def _out(user: UserInfo) -> UserOut:
    return UserOut(name=user.name, roles=list(user.roles), warehouses=list(user.warehouses),
                   active=user.active)


def _refused_input(exc: ValueError) -> HTTPException:
    return HTTPException(422, str(exc))


@router.get("/users", response_model=list[UserOut])
def users(pool: PoolDep, _: Admin) -> list[UserOut]:
    with pool.connection() as conn:
        return [_out(u) for u in list_users(conn)]


@router.put("/users/{name}", response_model=UserOut)
def put_user(name: str, body: UserIn, pool: PoolDep, _: Admin) -> UserOut:
    """Create a user, or replace one (its tokens end)."""
    try:
        with pool.connection() as conn:
            create_user(conn, name, body.password, body.roles, body.warehouses)
    except ValueError as exc:
        raise _refused_input(exc) from None
    return UserOut(name=name, roles=body.roles, warehouses=sorted(set(body.warehouses)),
                   active=True)


@router.patch("/users/{name}", response_model=UserOut)
def change_user(name: str, body: UserChange, pool: PoolDep, _: Admin) -> UserOut:
    """Change roles, warehouses, active or the password; the user's tokens end."""
    try:
        with pool.connection() as conn:
            user = update_user(conn, name, roles=body.roles, warehouses=body.warehouses,
                               active=body.active, password=body.password)
    except ValueError as exc:
        raise _refused_input(exc) from None
    if user is None:
        raise HTTPException(404, f"no user {name!r}")
    return _out(user)


@router.post("/users/{name}/revoke", response_model=Revoked)
def revoke_user_tokens(name: str, pool: PoolDep, _: Admin) -> Revoked:
    with pool.connection() as conn:
        revoked = revoke_user(conn, name, datetime.now(UTC))
    if revoked is None:
        raise HTTPException(404, f"no user {name!r}")
    return Revoked(revoked_tokens=revoked)


@router.post("/gateways/{warehouse}/{gateway}/revoke", response_model=Revoked)
def revoke_gateway_tokens(warehouse: str, gateway: str, pool: PoolDep,
                          _: Annotated[Access, guard(Permission.ADMINISTER, in_path("warehouse"))]
                          ) -> Revoked:
    """End a gateway's tokens (issue it a new one with `python -m cloud_hub gateways add`)."""
    with pool.connection() as conn:
        return Revoked(revoked_tokens=revoke_gateway(conn, warehouse, gateway,
                                                     datetime.now(UTC)))
