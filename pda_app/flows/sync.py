"""The sync status: what waits in the offline queue and what the hub refused, with what to do.

Rule kept here: a refused confirmation stays visible until the picker acknowledges it; every
refusal code has a sentence telling the picker what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from protocol.tasks import ResultCode


class ItemState(StrEnum):
    PENDING = "pending"  # not delivered yet (hub unreachable, or not tried)
    DELIVERED = "delivered"  # the hub answered and accepted
    CONFLICT = "conflict"  # the hub answered no: the picker must see it
    ACKNOWLEDGED = "acknowledged"  # the picker saw the conflict


@dataclass(frozen=True, slots=True)
class QueuedItem:
    """One confirmation (or skip, or exception report) on its way to the hub."""

    seq: int
    key: str
    kind: str  # confirm | skip | exception
    task_id: str
    step_id: str | None
    created_at: datetime
    state: ItemState
    attempts: int = 0
    code: str | None = None
    message: str | None = None
    summary: str = ""


ADVICE: dict[str, str] = {
    ResultCode.TASK_CANCELLED: "The office cancelled this task while you were offline. Put "
    "back what you took for it and tell your supervisor.",
    ResultCode.TASK_REASSIGNED: "Someone else has this task now. Hand what you hold for it "
    "to your supervisor.",
    ResultCode.TASK_NOT_CLAIMED: "The task was released. Take it again from the task list "
    "and scan the step again.",
    ResultCode.ALREADY_APPLIED: "This step was already confirmed: nothing to do.",
    ResultCode.WRONG_LOCATION: "The hub says the location was wrong. Go back and scan again.",
    ResultCode.WRONG_ITEM: "The hub says the item was wrong. Check the item and scan again.",
    ResultCode.WRONG_LOT: "The hub says the lot was wrong. Check the lot and scan again.",
    ResultCode.QUANTITY_OVER: "More than the task allows. Count again and re-enter.",
    ResultCode.EXPIRED_LOT: "The lot has expired. Set it aside and tell your supervisor.",
    ResultCode.BIN_FULL: "The bin is full. Choose another bin with your supervisor.",
    "http_404": "The hub does not know this task any more. Tell your supervisor.",
    "http_409": "Someone else holds this task. Tell your supervisor.",
    "http_422": "The hub could not read this confirmation. Tell your supervisor.",
}
DEFAULT_ADVICE = "The hub refused this. Show this screen to your supervisor."


def advice(code: str | None) -> str:
    return ADVICE.get(code or "", DEFAULT_ADVICE)


@dataclass(frozen=True, slots=True)
class SyncView:
    headline: str
    waiting: tuple[str, ...]
    conflicts: tuple[str, ...]


def sync_view(items: list[QueuedItem], online: bool, last_error: str | None) -> SyncView:
    pending = [i for i in items if i.state is ItemState.PENDING]
    refused = [i for i in items if i.state is ItemState.CONFLICT]
    link = "Hub reachable" if online else f"Offline{f' ({last_error})' if last_error else ''}"
    headline = f"{link} · {len(pending)} waiting · {len(refused)} to check"
    waiting = tuple(f"#{i.seq} {i.kind} {i.task_id}/{i.step_id or '-'} {i.summary}".rstrip()
                    + (f" · tried {i.attempts}×" if i.attempts else "") for i in pending)
    conflicts = tuple(f"#{i.seq} {i.task_id}/{i.step_id or '-'}: {i.message or i.code}. "
                      f"{advice(i.code)}" for i in refused)
    return SyncView(headline, waiting, conflicts)
