"""/api/v1/suppliers and /api/v1/planning/parameters: suppliers, their terms per SKU, and a
planner's parameters per SKU × warehouse.

Rule kept here: suppliers and terms are shared master data (read: `read`; change:
`manage_master_data`); planning parameters belong to a warehouse (`plan` within the caller's
warehouses, named in the path).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException

from cloud_hub.auth.api.access import SHARED, Access, guard, in_path
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import numbers
from cloud_hub.http.deps import PoolDep
from cloud_hub.supply.api.deps import supply_errors
from cloud_hub.supply.api.models import NewSupplierIn, ParametersIn, SupplierIn, TermsIn
from cloud_hub.supply.api.schemas import ParametersOut, SupplierOut, TermsOut
from cloud_hub.supply.pg import suppliers as store
from cloud_hub.supply.terms import Supplier, SupplierTerms

router = APIRouter(prefix="/api/v1", tags=["supply"])
Reads = Annotated[Access, guard(Permission.READ, SHARED)]
Edits = Annotated[Access, guard(Permission.MANAGE_MASTER_DATA, SHARED)]


@router.get("/suppliers", response_model=list[SupplierOut])
def list_suppliers(pool: PoolDep, _: Reads) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return store.list_suppliers(conn)


@router.post("/suppliers", status_code=201, response_model=SupplierOut)
def create_supplier(body: NewSupplierIn, pool: PoolDep, _: Edits) -> dict[str, Any]:
    with pool.connection() as conn:
        if not store.create_supplier(conn, Supplier(body.code, body.name, body.currency,
                                                    body.active)):
            raise HTTPException(409, f"supplier {body.code!r} exists: PUT "
                                     f"/api/v1/suppliers/{body.code} changes it")
        return store.get_supplier(conn, body.code)


@router.get("/suppliers/{supplier}", response_model=SupplierOut)
def get_supplier(supplier: str, pool: PoolDep, _: Reads) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        return store.get_supplier(conn, supplier)


@router.put("/suppliers/{supplier}", response_model=SupplierOut)
def put_supplier(supplier: str, body: SupplierIn, pool: PoolDep, _: Edits) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        store.put_supplier(conn, Supplier(supplier, body.name, body.currency, body.active))
        return store.get_supplier(conn, supplier)


@router.get("/suppliers/{supplier}/skus", response_model=list[TermsOut])
def list_terms(supplier: str, pool: PoolDep, _: Reads) -> list[dict[str, Any]]:
    with supply_errors(), pool.connection() as conn:
        store.get_supplier(conn, supplier)
        return numbers(store.list_terms(conn, supplier))  # type: ignore[no-any-return]


@router.get("/suppliers/{supplier}/skus/{sku}", response_model=TermsOut)
def get_terms(supplier: str, sku: str, pool: PoolDep, _: Reads) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        store.get_supplier(conn, supplier)
        found = store.list_terms(conn, supplier, sku)
    if not found:
        raise HTTPException(404, f"supplier {supplier!r} has no terms for SKU {sku!r}")
    return numbers(found[0])  # type: ignore[no-any-return]


@router.put("/suppliers/{supplier}/skus/{sku}", response_model=TermsOut)
def put_terms(supplier: str, sku: str, body: TermsIn, pool: PoolDep, _: Edits
              ) -> dict[str, Any]:
    terms = SupplierTerms(supplier, sku, body.lead_time_days, body.lead_time_sd_days, body.moq,
                          body.pack_multiple, body.price, body.currency, body.preferred)
    with supply_errors(), pool.connection() as conn:
        return numbers(store.put_terms(conn, terms))  # type: ignore[no-any-return]


@router.get("/skus/{sku}/suppliers", response_model=list[TermsOut])
def sku_suppliers(sku: str, pool: PoolDep, _: Reads) -> list[dict[str, Any]]:
    with pool.connection() as conn:
        return numbers(store.list_terms(conn, sku=sku))  # type: ignore[no-any-return]


@router.get("/planning/parameters/{warehouse}/{sku}", response_model=ParametersOut)
def get_parameters(warehouse: str, sku: str, pool: PoolDep,
                   _: Annotated[Access, guard(Permission.READ, in_path("warehouse"))]
                   ) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        return numbers(store.parameters(conn, warehouse, sku))  # type: ignore[no-any-return]


@router.put("/planning/parameters/{warehouse}/{sku}", response_model=ParametersOut)
def put_parameters(warehouse: str, sku: str, body: ParametersIn, pool: PoolDep,
                   _: Annotated[Access, guard(Permission.PLAN, in_path("warehouse"))]
                   ) -> dict[str, Any]:
    values = body.model_dump(exclude_unset=True)
    with supply_errors(), pool.connection() as conn:
        return numbers(  # type: ignore[no-any-return]
            store.put_parameters(conn, warehouse, sku, values))
