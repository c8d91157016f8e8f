"""/api/v1/recalls: recall a lot (or serials) — its available stock held as `recalled`, its open
picks cancelled — read the recall's report, then release it back to available or scrap it.
Recalling, releasing and scrapping are a supervisor's (`resolve`) in the warehouse's scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from cloud_hub.auth.api.access import (
    IN_BODY,
    IN_QUERY_REQUIRED,
    Access,
    Resource,
    by_sql,
    guard,
    looked_up,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.http.deps import PoolDep
from cloud_hub.ledger.api.deps import ApplyDep
from cloud_hub.trace.api.routes import Code
from cloud_hub.trace.api.schemas import RecallListed, RecallReport
from cloud_hub.trace.pg import recall as recalls
from cloud_hub.trace.pg.recall_report import list_of, read_recall, recall_json
from cloud_hub.trace.recall import Phase, Stamp
from cloud_hub.work.pg.apply import LedgerRefused

router = APIRouter(prefix="/api/v1", tags=["trace"])
RECALL = Resource("recall", "recall_id",
                  by_sql("SELECT warehouse FROM recalls WHERE recall_id = %s"))
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500,
                                          pattern=r"^[^\x00-\x1f\x7f]+$")]
MAX_SERIALS = 10_000


class RecallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recall_id: Code = Field(description="the recall's id: repeating it holds nothing twice")
    warehouse: Code
    sku: Code
    lot: Code | None = Field(None, description="the lot recalled (or give `serials`)")
    serials: list[Code] | None = Field(None, min_length=1, max_length=MAX_SERIALS,
                                       description="serials of the SKU recalled (or a `lot`)")
    reason: Reason = Field(description="why: kept on the recall and on every move it makes")
    device_id: Code = "hub"

    @model_validator(mode="after")
    def _one_subject(self) -> RecallIn:
        if (self.lot is None) == (self.serials is None):
            raise ValueError("name either a lot or a list of serials")
        return self


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason
    device_id: Code = "hub"


def _step(run: Any) -> Any:
    try:
        return run()
    except LedgerRefused as exc:
        raise HTTPException(409, f"the ledger refused a move ({exc}); nothing was changed") \
            from None
    except recalls.RecallConflict as exc:
        raise HTTPException(409, str(exc)) from None
    except recalls.RecallTooLarge as exc:
        raise HTTPException(413, str(exc)) from None


@router.post("/recalls", response_model=RecallReport)
def new_recall(body: RecallIn, pool: PoolDep, ledger: ApplyDep,
               who: Annotated[Access, guard(Permission.RESOLVE, IN_BODY)]) -> dict[str, Any]:
    """Hold every available quantity of the lot (or of each serial) in the warehouse as
    `recalled` — ledger moves with reason adjust, task `recall:<id>`, the caller as user and the
    reason — cancel the lot's open pick steps, flag its picked-but-unshipped stock, and report
    what was received, what is on hand where and what was shipped to whom on which order."""
    serials = tuple(sorted(set(body.serials or ())))
    subject = recalls.Subject(body.warehouse, body.sku, body.lot or "", serials)
    if not recalls.known(pool, subject):
        what = f"lot {body.lot}" if body.lot else "one of the serials"
        raise HTTPException(404, f"{what} of {body.sku} is not in warehouse "
                                 f"{body.warehouse}'s ledger")
    stamp = Stamp(body.recall_id, body.warehouse, datetime.now(UTC), who.name, body.device_id,
                  body.reason)
    done = _step(lambda: recalls.hold(pool, ledger, subject, stamp))
    return recall_json(pool, body.recall_id, done)


@router.get("/recalls", response_model=list[RecallListed])
def list_recalls(pool: PoolDep,
                 access: Annotated[Access, guard(Permission.READ, IN_QUERY_REQUIRED)],
                 state: Annotated[str | None, Query(pattern="^(open|released|scrapped)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                 offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    """The warehouse's recalls, newest first (`state` keeps open, released or scrapped ones)."""
    with pool.connection() as conn:
        return list_of(conn, access.warehouse or "", state, limit, offset)


@router.get("/recalls/{recall_id}", response_model=RecallReport)
def get_recall(recall_id: str, pool: PoolDep,
               _: Annotated[Access, guard(Permission.READ, looked_up(RECALL))]
               ) -> dict[str, Any]:
    """The recall as it stands: its state and its story (nothing is changed)."""
    found = read_recall(pool, recall_id)
    if found is None:
        raise HTTPException(404, f"no recall {recall_id}")
    return found


def _close(recall_id: str, phase: Phase, body: CloseIn, pool: Any, ledger: Any,
           who: Access) -> dict[str, Any]:
    stamp = Stamp(recall_id, who.warehouse or "", datetime.now(UTC), who.name, body.device_id,
                  body.reason)
    done = _step(lambda: recalls.close(pool, ledger, recall_id, phase, stamp))
    return recall_json(pool, recall_id, done)


@router.post("/recalls/{recall_id}/release", response_model=RecallReport)
def release_recall(recall_id: str, body: CloseIn, pool: PoolDep, ledger: ApplyDep,
                   who: Annotated[Access, guard(Permission.RESOLVE, looked_up(RECALL))]
                   ) -> dict[str, Any]:
    """Put what the recall holds back to available (ledger moves, the reason kept) and close
    it; the stock is pickable and promised again."""
    return _close(recall_id, Phase.RELEASE, body, pool, ledger, who)


@router.post("/recalls/{recall_id}/scrap", response_model=RecallReport)
def scrap_recall(recall_id: str, body: CloseIn, pool: PoolDep, ledger: ApplyDep,
                 who: Annotated[Access, guard(Permission.RESOLVE, looked_up(RECALL))]
                 ) -> dict[str, Any]:
    """Take what the recall holds out of stock (ledger moves to nowhere, the reason kept) and
    close it."""
    return _close(recall_id, Phase.SCRAP, body, pool, ledger, who)
