"""Dependencies of the work routes: the WorkService on the app, the caller as an Actor, and
work's errors as HTTP statuses. Who may call which route: cloud_hub.api.access."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from cloud_hub.api.access import Access
from cloud_hub.work.pg_apply import LedgerRefused
from cloud_hub.work.pg_receiving import ReceiptRefused
from cloud_hub.work.pg_tasks import TaskConflict, TaskNotFound
from cloud_hub.work.service import Actor, WorkService
from protocol.events import StockMoved


def _publisher(request: Request) -> Callable[[Sequence[StockMoved]], None]:
    """Moves applied by work go to the live feed like every other applied move."""
    app = request.app

    def publish(moves: Sequence[StockMoved]) -> None:
        service = getattr(app.state, "apply_service", None)
        if service is not None:
            service.announce(moves)  # live feed (moves and balances) and the rules runner
    return publish


def get_service(request: Request) -> WorkService:
    service = getattr(request.app.state, "work_service", None)
    if service is None:
        service = WorkService(request.app.state.pool, publish=_publisher(request))
        request.app.state.work_service = service
    return service


ServiceDep = Annotated[WorkService, Depends(get_service)]


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
