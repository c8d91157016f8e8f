"""/api/v1/transfers: transfer orders between warehouses — create, list, read, ship (source),
receive with short / over / damaged (destination), cancel.

Rule kept here: creating needs `plan` in both warehouses; shipping and receiving need
`run_work` in the warehouse that does it (the source ships, the destination receives); the
ledger moves go through the one apply entry point.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query

from cloud_hub.auth.api.access import (
    IN_BODY,
    IN_BODY_OPTIONAL,
    IN_QUERY,
    Access,
    guard,
    looked_up,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.http.bodies import numbers
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.deps import ApplyDep
from cloud_hub.supply.api.deps import TRANSFER, TRANSFER_IN, supply_errors
from cloud_hub.supply.api.models import (
    FromSuggestionsIn,
    ScanIn,
    TransferIn,
    TransferReceiveIn,
)
from cloud_hub.supply.api.schemas import TransferBooked, TransferOut, TransfersMade
from cloud_hub.supply.pg import transfers as store
from cloud_hub.supply.transfer import Arrival

router = APIRouter(prefix="/api/v1/transfers", tags=["supply"])


def _scan(body: ScanIn, user: str) -> store.Scan:
    return store.Scan(body.occurred_at or datetime.now(UTC), body.device_id, user)


@router.post("", status_code=201, response_model=TransferOut)
def create(body: TransferIn, pool: PoolDep,
           who: Annotated[Access, guard(Permission.PLAN, IN_BODY)]) -> dict[str, Any]:
    who.admit([body.to_warehouse])  # the destination's planning changes too
    lines = [store.NewTransferLine(ln.sku, ln.quantity, ln.from_location, ln.lot)
             for ln in body.lines]
    with supply_errors(), pool.connection() as conn:
        transfer_id = store.create_transfer(
            conn, transfer_id=body.transfer_id, from_warehouse=body.warehouse,
            to_warehouse=body.to_warehouse, lines=lines, user=who.name)
        return numbers(store.load_transfer(conn, transfer_id))  # type: ignore[no-any-return]


@router.post("/from-suggestions", status_code=201, response_model=TransfersMade)
def from_suggestions(pool: PoolDep,
                     who: Annotated[Access, guard(Permission.PLAN, IN_BODY_OPTIONAL)],
                     body: Annotated[FromSuggestionsIn | None, Body()] = None
                     ) -> dict[str, Any]:
    """Every accepted transfer suggestion for the warehouse (the receiving one) not ordered yet
    becomes a line of a draft transfer, one per donor warehouse."""
    with supply_errors(), pool.connection() as conn:
        who.admit(store.donors_of_accepted(conn, who.warehouse))  # they ship: plan there too
        made, skipped = store.from_suggestions(conn, who.warehouse, who.name)
        return numbers({"transfers": [store.load_transfer(conn, t)  # type: ignore[no-any-return]
                                      for t in made], "skipped": skipped})


@router.get("", response_model=list[TransferOut])
def list_transfers(pool: PoolDep, access: Annotated[Access, guard(Permission.READ, IN_QUERY)],
                   limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
    """Transfers from or to the warehouse."""
    with pool.connection() as conn:
        return numbers(  # type: ignore[no-any-return]
            store.list_transfers(conn, access.warehouse, limit))


@router.get("/{transfer_id}", response_model=TransferOut)
def get(transfer_id: str, pool: PoolDep,
        _: Annotated[Access, guard(Permission.READ, looked_up(TRANSFER))]) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        return numbers(store.load_transfer(conn, transfer_id))  # type: ignore[no-any-return]


@router.post("/{transfer_id}/ship", response_model=TransferBooked)
def ship(transfer_id: str, pool: PoolDep, ledger: ApplyDep,
         who: Annotated[Access, guard(Permission.RUN_WORK, looked_up(TRANSFER))],
         body: Annotated[ScanIn | None, Body()] = None) -> dict[str, Any]:
    """Step one: out of the source, into the destination's transit location."""
    with supply_errors(), pool.connection() as conn:
        ids = store.ship(ledger, conn, transfer_id, _scan(body or ScanIn(), who.name))
        return numbers({"transfer": store.load_transfer(conn, transfer_id),  # type: ignore[no-any-return]
                        "move_ids": ids})


@router.post("/{incoming_id}/receive", response_model=TransferBooked)
def receive(incoming_id: str, body: TransferReceiveIn, pool: PoolDep, ledger: ApplyDep,
            who: Annotated[Access, guard(Permission.RUN_WORK, looked_up(TRANSFER_IN))]
            ) -> dict[str, Any]:
    """Step two, at the destination (`incoming_id`: a transfer to the caller's warehouse):
    good and damaged quantities per line; `close` writes off what is still in transit."""
    transfer_id = incoming_id
    arrivals = [Arrival(a.line_no, a.good, a.damaged) for a in body.lines]
    with supply_errors(), pool.connection() as conn:
        ids = store.receive(ledger, conn, transfer_id, arrivals, body.location,
                            _scan(body, who.name), body.close, body.key)
        return numbers({"transfer": store.load_transfer(conn, transfer_id),  # type: ignore[no-any-return]
                        "move_ids": ids})


@router.post("/{transfer_id}/cancel", response_model=TransferOut)
def cancel(transfer_id: str, pool: PoolDep,
           _: Annotated[Access, guard(Permission.PLAN, looked_up(TRANSFER))]) -> dict[str, Any]:
    with supply_errors(), pool.connection() as conn:
        store.cancel(conn, transfer_id, datetime.now(UTC))
        return numbers(store.load_transfer(conn, transfer_id))  # type: ignore[no-any-return]


