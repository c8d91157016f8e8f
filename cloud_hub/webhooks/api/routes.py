"""Webhook subscriptions and their delivery log under /api/v1/webhooks (admins).

Rule kept here: a target URL is checked (cloud_hub/webhooks/model.check_url) before it is
saved; the signing secret is shown once, in the creation's answer, and never listed again.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloud_hub.auth.api.access import SHARED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import Body
from cloud_hub.http.deps import PoolDep
from cloud_hub.webhooks.model import DEFAULT_MAX_ATTEMPTS, EventType, Filter, UrlRefused, check_url
from cloud_hub.webhooks.notify.sender import resolve
from cloud_hub.webhooks.pg import store

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Admin = Annotated[Access, guard(Permission.ADMINISTER, SHARED)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Code
    url: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    event_types: list[EventType] = Field(min_length=1, max_length=len(EventType))
    warehouse: Code | None = None
    sku: Code | None = None
    location_prefix: Code | None = None
    allow_private: bool = Field(False, description="let this subscription post to loopback "
                                "or private addresses (an admin's deliberate choice)")
    max_attempts: int = Field(DEFAULT_MAX_ATTEMPTS, ge=1, le=100)


class SubscriptionChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class SubscriptionOut(Body):
    id: int
    name: str
    url: str
    event_types: list[str]
    warehouse: str | None
    sku: str | None
    location_prefix: str | None
    allow_private: bool
    max_attempts: int
    active: bool
    created_by: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="the signing secret (whsec_…): shown this once")


class DeliveryOut(Body):
    id: int
    subscription_id: int
    message_id: str
    event_type: str
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


def _out(sub: store.Subscription) -> dict[str, Any]:
    out = asdict(sub)
    out.update(out.pop("filter"))
    return out


def _found(sub: store.Subscription | None, sub_id: int) -> store.Subscription:
    if sub is None:
        raise HTTPException(404, f"no webhook subscription {sub_id}")
    return sub


@router.post("", status_code=201, response_model=SubscriptionCreated)
def create(body: SubscriptionIn, pool: PoolDep, access: Admin) -> dict[str, Any]:
    try:
        check_url(body.url, resolve, allow_private=body.allow_private)
    except UrlRefused as exc:
        raise HTTPException(422, f"url: {exc}") from None
    with pool.connection() as conn:
        sub, secret = store.create(
            conn, name=body.name, url=body.url, event_types=body.event_types,
            filter=Filter(body.warehouse, body.sku, body.location_prefix),
            allow_private=body.allow_private, created_by=access.principal.name,
            max_attempts=body.max_attempts)
    return {**_out(sub), "secret": secret}


@router.get("", response_model=list[SubscriptionOut])
def list_subscriptions(pool: PoolDep, _: Admin) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return [_out(s) for s in store.list_all(conn)]


@router.get("/{sub_id}", response_model=SubscriptionOut)
def get_subscription(sub_id: int, pool: PoolDep, _: Admin) -> dict[str, Any]:
    with pool.connection() as conn:
        return _out(_found(store.get(conn, sub_id), sub_id))


@router.patch("/{sub_id}", response_model=SubscriptionOut)
def change(sub_id: int, body: SubscriptionChange, pool: PoolDep, _: Admin) -> dict[str, Any]:
    with pool.connection() as conn:
        return _out(_found(store.set_active(conn, sub_id, body.active), sub_id))


@router.delete("/{sub_id}", status_code=204, response_class=Response)
def delete(sub_id: int, pool: PoolDep, _: Admin) -> Response:
    with pool.connection() as conn:
        if not store.delete(conn, sub_id):
            raise HTTPException(404, f"no webhook subscription {sub_id}")
    return Response(status_code=204)


@router.get("/{sub_id}/deliveries", response_model=list[DeliveryOut])
def deliveries(sub_id: int, pool: PoolDep, _: Admin,
               state: Literal["pending", "delivered", "dead"] | None = None,
               after_id: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        _found(store.get(conn, sub_id), sub_id)
        return [asdict(e) for e in store.log(conn, sub_id, state=state, after_id=after_id,
                                             limit=limit)]


@router.post("/deliveries/{delivery_id}/replay", response_model=DeliveryOut)
def replay(delivery_id: int, pool: PoolDep, _: Admin) -> dict[str, Any]:
    with pool.connection() as conn:
        entry = store.replay(conn, delivery_id)
    if entry is None:
        raise HTTPException(404, f"no webhook delivery {delivery_id}")
    return asdict(entry)
