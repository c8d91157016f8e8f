"""Sign-in: username and password for a bearer token; who am I."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from cloud_hub.api.deps import CurrentPrincipal, PoolDep, SettingsDep
from cloud_hub.auth.store import AuthError, login

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    roles: list[str]
    username: str


@router.post("/token", response_model=TokenOut)
def sign_in(body: Credentials, pool: PoolDep, settings: SettingsDep) -> TokenOut:
    try:
        with pool.connection() as conn:
            issued = login(conn, body.username, body.password, now=datetime.now(UTC),
                           ttl=timedelta(seconds=settings.token_ttl_s),
                           secret_key=settings.secret_key)
    except AuthError as exc:
        raise HTTPException(401, str(exc)) from None
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at,
                    roles=list(issued.principal.roles), username=issued.principal.name)


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict[str, object]:
    return {"name": principal.name, "roles": list(principal.roles), "kind": principal.kind,
            "warehouse": principal.warehouse, "gateway": principal.gateway}
