"""What supply's routes share: the orders the access guard looks up, supply's errors as
problem+json statuses, quantities as JSON numbers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException

from cloud_hub.auth.api.access import Resource, by_sql
from cloud_hub.http.services import Slot
from cloud_hub.supply.pg.schedules import PlanningScheduler
from cloud_hub.supply.purchase import PoRefused
from cloud_hub.supply.terms import UnknownReference, UnknownSupply
from cloud_hub.supply.transfer import TransferRefused
from cloud_hub.work.pg.apply import LedgerRefused
from cloud_hub.work.pg.receiving import ReceiptRefused

# The hub's planning scheduler (cloud_hub.main builds it): a changed schedule wakes it.
SCHEDULER: Slot[PlanningScheduler] = Slot("planning scheduler")
SchedulerDep = Annotated[PlanningScheduler, Depends(SCHEDULER.dependency)]

PURCHASE_ORDER = Resource("purchase_order", "po_id", by_sql(
    "SELECT warehouse FROM purchase_orders WHERE po_id = %s"))
# A transfer belongs to both its warehouses: the source's people read, ship and cancel it
# (TRANSFER), the destination's receive it (TRANSFER_IN).
TRANSFER = Resource("transfer_order", "transfer_id", by_sql(
    "SELECT from_warehouse FROM transfer_orders WHERE transfer_id = %s"))
# (its own path parameter name: a route is about one side of the transfer)
TRANSFER_IN = Resource("incoming_transfer", "incoming_id", by_sql(
    "SELECT to_warehouse FROM transfer_orders WHERE transfer_id = %s"))


@contextmanager
def supply_errors() -> Iterator[None]:
    """UnknownSupply → 404 (422 where the unknown thing was named in the body), a refused
    step → 409, a value the database's checks refuse → 422."""
    try:
        yield
    except UnknownReference as exc:
        raise HTTPException(422, str(exc)) from None
    except UnknownSupply as exc:
        raise HTTPException(404, str(exc)) from None
    except (PoRefused, TransferRefused) as exc:
        raise HTTPException(409, str(exc)) from None
    except ReceiptRefused as exc:
        raise HTTPException(409, exc.reason) from None
    except LedgerRefused as exc:
        raise HTTPException(409, f"the stock ledger refused this: {exc}") from None
    except psycopg.errors.CheckViolation as exc:
        raise HTTPException(422, f"value not accepted: {exc.diag.constraint_name}") from None


