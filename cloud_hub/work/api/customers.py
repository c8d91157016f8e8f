"""/api/v1/customers: who orders are for and where they go. Customers are master data shared by
every warehouse, like SKUs: any signed-in reader may read them, `manage_master_data` writes
them. An order names its customer (and one of its ship-tos) when it is made: POST /orders."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import Field, model_validator

from cloud_hub.auth.api.access import SHARED, Access, guard
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import Body
from cloud_hub.http.deps import PoolDep
from cloud_hub.work.api.models import Code, _In
from cloud_hub.work.api.schemas import Address
from cloud_hub.work.pg import customers as store

router = APIRouter(prefix="/api/v1", tags=["customers"])
Id = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f/]+$")]


class AddressIn(_In):
    lines: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=4)
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postcode: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class ShipToIn(_In):
    ship_to_id: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    address: AddressIn


class CustomerIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    address: AddressIn
    ship_tos: list[ShipToIn] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _unique_ship_tos(self) -> CustomerIn:
        ids = [s.ship_to_id for s in self.ship_tos]
        if len(ids) != len(set(ids)):
            raise ValueError("ship_to_id must be unique within a customer")
        return self


class ShipToOut(Body):
    ship_to_id: str
    name: str
    address: Address


class CustomerListed(Body):
    customer_id: str
    name: str
    address: Address


class CustomerOut(CustomerListed):
    ship_tos: list[ShipToOut]


@router.put("/customers/{customer_id}", response_model=CustomerOut)
def put_customer(customer_id: Id, body: CustomerIn, pool: PoolDep,
                 _: Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, SHARED)]
                 ) -> dict[str, Any]:
    """Create or replace a customer with its ship-to addresses (orders already made keep the
    ship-to they were made for)."""
    with pool.connection() as conn:
        store.upsert_customer(conn, customer_id, body.name, body.address.model_dump(),
                              [s.model_dump() for s in body.ship_tos])
        found = store.read_customer(conn, customer_id)
    assert found is not None
    return found


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: Id, pool: PoolDep,
                 _: Annotated[Access, guard(Permission.READ, SHARED)]) -> dict[str, Any]:
    with pool.connection() as conn:
        found = store.read_customer(conn, customer_id)
    if found is None:
        raise HTTPException(404, f"no customer {customer_id}")
    return found


@router.get("/customers", response_model=list[CustomerListed])
def list_customers(pool: PoolDep, _: Annotated[Access, guard(Permission.READ, SHARED)],
                   name: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                   offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    """Customers by id; `name` keeps those whose name contains it (any case)."""
    with pool.connection() as conn:
        return store.list_customers(conn, name=name, limit=limit, offset=offset)
