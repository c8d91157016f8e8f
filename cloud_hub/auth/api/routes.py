"""Sign-in: username and password for a bearer token, with limits; who am I.

Rule kept here: sign-in is throttled per user name and per address (429 with Retry-After once
locked out), does the same password work for unknown users as for known ones, and hashes on
a few threads only (HashGate: beyond its queue, 503 with Retry-After), so a burst of sign-ins
cannot starve the hub's other requests.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from cloud_hub.auth.api.access import SHARED, Access, guard, public
from cloud_hub.auth.api.hash_gate import GateFull, HashGate
from cloud_hub.auth.api.schemas import MeOut, TokenOut
from cloud_hub.auth.pg.signin import LockedOut, SignInLimits, sign_in
from cloud_hub.auth.pg.store import AuthError, IssuedToken
from cloud_hub.auth.policy import ALL_WAREHOUSES, Scope
from cloud_hub.auth.throttle import Limits
from cloud_hub.http.deps import PoolDep, SettingsDep
from cloud_hub.http.services import Slot
from cloud_hub.settings import HubSettings

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Built at start-up on the serving event loop: password hashes run a few at a time.
HASH_GATE: Slot[HashGate] = Slot("sign-in hash gate")
HashGateDep = Annotated[HashGate, Depends(HASH_GATE.dependency)]


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


def limits(settings: HubSettings) -> SignInLimits:
    window, lockout = (timedelta(seconds=settings.login_window_s),
                       timedelta(seconds=settings.login_lockout_s))
    return SignInLimits(Limits(settings.login_max_failures, window, lockout),
                        Limits(settings.login_max_failures_per_address, window, lockout))




def scope_list(scope: Scope) -> list[str]:
    return [ALL_WAREHOUSES] if scope.everything else sorted(scope.warehouses)


@router.post("/token", response_model=TokenOut,
             responses={429: {"description": "locked out for a while (Retry-After)"},
                        503: {"description": "too many sign-ins at once (Retry-After)"}})
async def sign_in_route(body: Credentials, request: Request, pool: PoolDep,
                        settings: SettingsDep, gate: HashGateDep,
                        _: Annotated[None, public("signing in is how a token is got")]
                        ) -> TokenOut:
    address = request.client.host if request.client else "unknown"

    def attempt() -> IssuedToken:
        return sign_in(pool, body.username, body.password, address, now=datetime.now(UTC),
                       ttl=timedelta(seconds=settings.token_ttl_s),
                       secret_key=settings.secret_key, limits=limits(settings))
    try:
        issued = await gate.run(attempt)
    except AuthError as exc:
        raise HTTPException(401, str(exc)) from None
    except LockedOut as exc:
        wait = max(1, math.ceil(exc.retry_after.total_seconds()))
        raise HTTPException(429, f"too many failed sign-ins; try again in {wait} s",
                            headers={"Retry-After": str(wait)}) from None
    except GateFull as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": "1"}) from None
    who = issued.principal
    return TokenOut(access_token=issued.token, expires_at=issued.expires_at,
                    roles=list(who.roles), username=who.name, warehouses=scope_list(who.scope))


@router.get("/me", response_model=MeOut)
def me(access: Annotated[Access, guard(None, SHARED)]) -> MeOut:
    who = access.principal
    return MeOut(name=who.name, roles=list(who.roles), kind=who.kind, warehouse=who.warehouse,
                 gateway=who.gateway, warehouses=scope_list(who.scope))
