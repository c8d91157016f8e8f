"""The task API wire schema between the hub and the PDA app (REST JSON under /api/v1/tasks).

Rule kept here: what the hub sends (Task, ConfirmationResult, ...) tolerates unknown fields so
an older PDA keeps working against a newer hub; what the PDA sends is strict. Changes are
additive only (new optional fields); a new enum member comes with a TASK_SCHEMA_VERSION bump.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from protocol.events import Code, Gtin, UnitRef, _decimal_to_json

TASK_SCHEMA_VERSION = 1


Amount = Annotated[
    Decimal,
    Field(ge=0, max_digits=18, decimal_places=6),
    PlainSerializer(_decimal_to_json, when_used="json"),
]
"""A quantity that may be zero (a count of an empty bin, a pick of nothing)."""

Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class TaskKind(StrEnum):
    RECEIVE = "receive"
    PUTAWAY = "putaway"
    PICK = "pick"
    COUNT = "count"
    REPLENISH = "replenish"


class TaskState(StrEnum):
    """open → claimed → in_progress → done; open/claimed/in_progress → cancelled or skipped."""

    OPEN = "open"
    CLAIMED = "claimed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class StepState(StrEnum):
    PENDING = "pending"
    PARTIAL = "partial"
    DONE = "done"
    SHORT = "short"
    SKIPPED = "skipped"


class Instruction(StrEnum):
    """One prompt of a step, shown in the order given by TaskStep.instructions."""

    GO_TO_LOCATION = "go_to_location"  # walk to TaskStep.location
    SCAN_LOCATION = "scan_location"  # scan the label of TaskStep.location
    SCAN_UNIT = "scan_unit"  # scan the pallet/case (SSCC barcode or RFID EPC)
    SCAN_ITEM = "scan_item"  # scan the item's GTIN (or key its SKU)
    ENTER_LOT = "enter_lot"  # scan or key the lot
    ENTER_QUANTITY = "enter_quantity"  # key the quantity picked / put / counted
    SCAN_BIN = "scan_bin"  # scan the destination bin, TaskStep.to_location


class ResultCode(StrEnum):
    """Why a confirmation was accepted or refused; the PDA shows ConfirmationResult.message."""

    OK = "ok"
    PARTIAL = "partial"  # accepted, step still has quantity remaining
    SHORT_PICK = "short_pick"  # accepted, less than expected: backorder + count task made
    OVERRIDDEN = "overridden"  # accepted at another bin than suggested, with a reason
    VARIANCE_REVIEW = "variance_review"  # count accepted, variance awaits a supervisor
    WRONG_LOCATION = "wrong_location"
    WRONG_ITEM = "wrong_item"
    WRONG_LOT = "wrong_lot"
    WRONG_UNIT = "wrong_unit"
    QUANTITY_OVER = "quantity_over"
    EXPIRED_LOT = "expired_lot"
    RECALLED = "recalled"  # the lot or serial is held by a recall: never picked
    BIN_FULL = "bin_full"
    OVERRIDE_NOT_ALLOWED = "override_not_allowed"
    TASK_CANCELLED = "task_cancelled"
    TASK_REASSIGNED = "task_reassigned"
    TASK_NOT_CLAIMED = "task_not_claimed"
    ALREADY_APPLIED = "already_applied"  # the step was already confirmed (other key)
    UNKNOWN_STEP = "unknown_step"
    INVALID = "invalid"


class SkipReason(StrEnum):
    LOCATION_BLOCKED = "location_blocked"
    ITEM_NOT_FOUND = "item_not_found"
    DAMAGED = "damaged"
    EQUIPMENT = "equipment"
    BREAK = "break"
    OTHER = "other"


class ExceptionKind(StrEnum):
    DAMAGED_GOODS = "damaged_goods"
    LOCATION_BLOCKED = "location_blocked"
    ITEM_MISSING = "item_missing"
    UNEXPECTED_ITEM = "unexpected_item"  # e.g. found during a count: gives its sku/lot/qty
    LABEL_UNREADABLE = "label_unreadable"
    WRONG_QUANTITY_IN_UNIT = "wrong_quantity_in_unit"
    OTHER = "other"


class _FromHub(BaseModel):
    """Sent by the hub: tolerant of fields this PDA build does not know yet."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class _FromPda(BaseModel):
    """Sent by the PDA: strict, the hub refuses anything it does not understand."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class TaskStep(_FromHub):
    """One thing to do at one place: what the screen shows and what it expects scanned.

    `expected_quantity` is None on a blind count (the counter must not see it); `remaining`
    is what still has to be confirmed on this step (None when blind).
    """

    step_id: Code
    sequence: Annotated[int, Field(ge=1)]
    instructions: tuple[Instruction, ...] = Field(min_length=1)
    state: StepState = StepState.PENDING
    location: Code | None = None  # where to go / what to scan first
    to_location: Code | None = None  # destination bin (putaway) or staging (pick)
    sku: Code | None = None
    gtin: Gtin | None = None
    description: Note | None = None
    lot: Code | None = None
    expiry: date | None = None
    expected_quantity: Amount | None = None
    uom: Code = "EA"
    unit: UnitRef | None = None  # the pallet/case expected (SSCC and/or EPC)
    blind: bool = False
    done_quantity: Amount = Decimal(0)
    remaining_quantity: Amount | None = None
    override_allowed: bool = False  # this user may confirm at another bin, with a reason

    @model_validator(mode="after")
    def _blind_hides_quantity(self) -> TaskStep:
        shown = (self.expected_quantity, self.remaining_quantity)
        if self.blind and shown != (None, None):
            raise ValueError("a blind step must not carry the expected quantity")
        return self


class Task(_FromHub):
    """A unit of warehouse work for one person: receive, put away, pick, count, replenish."""

    schema_version: int = TASK_SCHEMA_VERSION
    task_id: Code
    kind: TaskKind
    state: TaskState
    assigned_to: Code | None = None
    warehouse: Code
    priority: int = 0  # higher first
    created_at: AwareDatetime
    due_at: AwareDatetime | None = None
    reference: Code | None = None  # receipt / order / wave / count plan it belongs to
    note: Note | None = None
    steps: tuple[TaskStep, ...] = ()

    @property
    def current_step(self) -> TaskStep | None:
        """The first step still to be done, in sequence order."""
        pending = (StepState.PENDING, StepState.PARTIAL)
        todo = [s for s in self.steps if s.state in pending]
        return min(todo, key=lambda s: s.sequence) if todo else None


class TaskPage(_FromHub):
    """GET /api/v1/tasks answer."""

    tasks: tuple[Task, ...]


class ClaimRequest(_FromPda):
    """Optional body of POST /{id}/claim."""

    device_id: Code | None = None


class StepConfirmation(_FromPda):
    """What the PDA scanned/keyed for one step. Replaying the same idempotency_key returns the
    first result and applies nothing twice (safe to resend from the offline queue).

    A quantity below what remains keeps the step open (partial) unless `short` is set: then the
    picker declares there is no more, the step closes short, a backorder and a count follow.
    """

    idempotency_key: UUID
    task_id: Code
    step_id: Code
    scanned_location: Code | None = None
    scanned_unit: UnitRef | None = None
    scanned_gtin: Gtin | None = None
    scanned_sku: Code | None = None
    lot: Code | None = None
    expiry: date | None = None  # read from the item's label (GS1 AI 17) when it carries one
    serial: Code | None = None  # GS1 AI 21: a serialised item's serial (one item per scan)
    quantity: Amount | None = None
    # The unit `quantity` counts (BOX, PAL, ... of the SKU's units of measure); None: the
    # step's unit, or the packaging level whose GTIN was scanned (then no quantity is one).
    uom: Code | None = None
    short: bool = False
    occurred_at: AwareDatetime
    device_id: Code
    override_reason: Note | None = None  # set to confirm at a bin other than suggested


class ConfirmationResult(_FromHub):
    """The hub's answer to a StepConfirmation; `replayed` is true when it is a stored answer."""

    idempotency_key: UUID
    task_id: Code
    step_id: Code
    status: Literal["accepted", "rejected"]
    code: ResultCode
    message: str
    task_state: TaskState | None = None
    step_state: StepState | None = None
    remaining_quantity: Amount | None = None
    next_step_id: Code | None = None
    move_ids: tuple[UUID, ...] = ()  # event_ids of the StockMoved events applied
    follow_up_task_ids: tuple[Code, ...] = ()  # e.g. the count task after a short pick
    replayed: bool = False

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"


class SkipRequest(_FromPda):
    """POST /{id}/skip: put the task (or one step) aside with a reason; it goes back to the pool."""

    idempotency_key: UUID
    reason: SkipReason
    step_id: Code | None = None
    note: Note | None = None
    occurred_at: AwareDatetime
    device_id: Code


class ExceptionReport(_FromPda):
    """POST /{id}/exception: something is wrong on the floor; supervisors see it."""

    idempotency_key: UUID
    kind: ExceptionKind
    step_id: Code | None = None
    location: Code | None = None
    unit: UnitRef | None = None
    sku: Code | None = None
    gtin: Gtin | None = None
    lot: Code | None = None
    quantity: Amount | None = None
    note: Note | None = None
    occurred_at: AwareDatetime
    device_id: Code


class ExceptionRecorded(_FromHub):
    """Answer to an ExceptionReport."""

    exception_id: Code
    task_id: Code
    follow_up_task_ids: tuple[Code, ...] = ()
    replayed: bool = False


__all__ = [
    "TASK_SCHEMA_VERSION",
    "Amount",
    "ClaimRequest",
    "ConfirmationResult",
    "ExceptionKind",
    "ExceptionRecorded",
    "ExceptionReport",
    "Instruction",
    "ResultCode",
    "SkipReason",
    "SkipRequest",
    "StepConfirmation",
    "StepState",
    "Task",
    "TaskKind",
    "TaskPage",
    "TaskState",
    "TaskStep",
]
