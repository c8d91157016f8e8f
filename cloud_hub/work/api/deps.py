"""Dependencies of the work routes: the WorkService main built, the caller as an Actor, the
tasks, receipts and orders the access guard looks up, and work's errors as HTTP statuses.
Who may call which route: cloud_hub.auth.api.access."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException

from cloud_hub.auth.api.access import Access, Resource, by_sql
from cloud_hub.http.services import Slot
from cloud_hub.work.pg.apply import LedgerRefused
from cloud_hub.work.pg.customers import CustomerRefused
from cloud_hub.work.pg.receiving import ReceiptRefused
from cloud_hub.work.pg.service import Actor, WorkService
from cloud_hub.work.pg.tasks import TaskConflict, TaskNotFound

TASK = Resource("task", "task_id", by_sql("SELECT warehouse FROM work_tasks WHERE task_id = %s"))
RECEIPT = Resource("receipt", "receipt_id",
                   by_sql("SELECT warehouse FROM work_receipts WHERE receipt_id = %s"))
ORDER = Resource("order", "order_id",
                 by_sql("SELECT warehouse FROM work_orders WHERE order_id = %s"))

# Built at start-up by cloud_hub.main, which hands it the ledger's announce for the live feed.
WORK: Slot[WorkService] = Slot("work service")
ServiceDep = Annotated[WorkService, Depends(WORK.dependency)]


def actor(access: Access) -> Actor:
    return Actor(access.name, frozenset(access.principal.roles))


@contextmanager
def http_errors() -> Iterator[None]:
    """Work's own errors as HTTP statuses."""
    try:
        yield
    except TaskNotFound as exc:
        raise HTTPException(404, f"not found: {exc}") from None
    except TaskConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except LedgerRefused as exc:
        raise HTTPException(409, f"the stock ledger refused this: {exc}") from None
    except ReceiptRefused as exc:
        raise HTTPException(409, exc.reason) from None
    except CustomerRefused as exc:
        raise HTTPException(422, str(exc)) from None
