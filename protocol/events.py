"""The StockMoved v1 event: this thing went from here to there, at this time, seen by this device.

Rule kept here: an event that validates is complete and self-consistent; anything the
contract does not name is kept (extra fields) so newer producers are not cut short, as long
as it is small, finite JSON (protocol/bounds.py): an extra field must never be what the
ledger cannot store.
Field names follow GS1 EPCIS 2.0 where it has them (readPoint → read_point, bizStep → reason).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)

from protocol.bounds import Limits, check_value

SCHEMA_VERSION: Final = 1  # Final: its type is Literal[1], what `schema_` below accepts
MAX_EXTRA_FIELDS = 64
# An extra field's value: nested at most 8 levels below the event, 4,096 values in all.
EXTRA_LIMITS = Limits(depth=9)


def _decimal_to_json(value: Decimal) -> int | float:
    # Quantities travel as JSON numbers (as EPCIS does), integral ones as integers.
    return int(value) if value == value.to_integral_value() else float(value)


Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=18, decimal_places=6),
    PlainSerializer(_decimal_to_json, when_used="json"),
]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Hex = Annotated[str, StringConstraints(pattern=r"^[0-9A-Fa-f]{8,128}$")]
Sscc = Annotated[str, StringConstraints(pattern=r"^[0-9]{18}$")]
Gtin = Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$|^[0-9]{12,14}$")]


class SourceKind(StrEnum):
    RFID = "rfid"
    BARCODE = "barcode"
    VISION = "vision"
    PDA = "pda"
    SYSTEM = "system"


class Reason(StrEnum):
    """Why stock moved; each maps to an EPCIS bizStep (see BIZ_STEPS)."""

    RECEIVE = "receive"
    PUTAWAY = "putaway"
    PICK = "pick"
    TRANSFER = "transfer"
    SHIP = "ship"
    COUNT = "count"
    ADJUST = "adjust"
    PORTAL_PASS = "portal_pass"
    SIGHTING = "sighting"
    OPENING = "opening"  # stock on hand when the ledger starts: an onboarding import


BIZ_STEPS: dict[Reason, str] = {
    Reason.RECEIVE: "receiving",
    Reason.PUTAWAY: "storing",
    Reason.PICK: "picking",
    Reason.TRANSFER: "storing",  # CBV 2.0 has no "relocating": storing is moving within a site
    Reason.SHIP: "shipping",
    Reason.COUNT: "cycle_counting",
    Reason.ADJUST: "inspecting",
    Reason.PORTAL_PASS: "arriving",
    Reason.SIGHTING: "inspecting",
    Reason.OPENING: "storing",  # stock found in place when the ledger starts (CBV has no "opening")
}


class StockStatus(StrEnum):
    AVAILABLE = "available"
    QUARANTINE = "quarantine"
    DAMAGED = "damaged"
    RECALLED = "recalled"  # on hold by a recall: never picked nor promised until released


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Source(_Strict):
    """Who saw the move: the kind of sensor, the device, and its EPCIS readPoint."""

    kind: SourceKind
    device_id: Code
    read_point: Code | None = None


class UnitRef(_Strict):
    """A handling unit (pallet, case) by RFID EPC (hex) and/or SSCC (18 digits)."""

    epc: Hex | None = None
    sscc: Sscc | None = None

    @model_validator(mode="after")
    def _one_key(self) -> UnitRef:
        if self.epc is None and self.sscc is None:
            raise ValueError("a unit needs an epc or an sscc")
        return self

    @property
    def key(self) -> str:
        """The ledger's key: the SSCC when known (barcode and RFID then agree), else the EPC."""
        return f"sscc:{self.sscc}" if self.sscc else f"epc:{self.epc.upper()}"  # type: ignore[union-attr]


class ItemLine(_Strict):
    """A quantity of one SKU (or GTIN) and lot, in one stock status."""

    sku: Code | None = None
    gtin: Gtin | None = None
    lot: Code | None = None
    serial: Code | None = None
    expiry: date | None = None
    production_date: date | None = None  # GS1 AI 11
    best_before: date | None = None  # GS1 AI 15
    quantity: Quantity
    uom: Code = "EA"
    status: StockStatus = StockStatus.AVAILABLE

    @model_validator(mode="after")
    def _one_key(self) -> ItemLine:
        if self.sku is None and self.gtin is None:
            raise ValueError("an item needs a sku or a gtin")
        return self

    @property
    def sku_key(self) -> str:
        return self.sku if self.sku is not None else f"gtin:{self.gtin}"


class StockMoved(BaseModel):
    """One observed move. `unit` alone moves a handling unit with its contents; `item` alone
    moves loose stock; both: the item quantity is taken out of (or put into) that unit."""

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)

    schema_: Literal[1] = Field(default=SCHEMA_VERSION, alias="schema")
    event_id: UUID
    occurred_at: AwareDatetime
    sent_at: AwareDatetime | None = None
    warehouse: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    source: Source
    unit: UnitRef | None = None
    contents: tuple[ItemLine, ...] = ()
    item: ItemLine | None = None
    from_location: Code | None = None
    to_location: Code | None = None
    to_status: StockStatus | None = None
    reason: Reason
    task_id: Code | None = None
    user: Code | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] | None = None

    @field_validator("schema_", mode="before")
    @classmethod
    def _known_schema(cls, value: object) -> object:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema version {value!r}; this hub reads version 1")
        return value

    @model_validator(mode="after")
    def _bounded_extras(self) -> StockMoved:
        extra = self.__pydantic_extra__
        if extra:  # most events have none: this costs them one attribute read
            if len(extra) > MAX_EXTRA_FIELDS:
                raise ValueError(f"more than {MAX_EXTRA_FIELDS} fields this version does not know")
            check_value(extra, EXTRA_LIMITS, "extra fields")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> StockMoved:
        if self.unit is None and self.item is None:
            raise ValueError("an event must move a unit or an item quantity (neither given)")
        if self.from_location is None and self.to_location is None:
            raise ValueError("from_location and to_location are both empty")
        if self.contents and self.unit is None:
            raise ValueError("contents are only declared for a unit")
        if self.contents and self.item is not None:
            raise ValueError("contents and item cannot both be given")
        if self.unit is not None and self.item is not None and None in (
            self.from_location, self.to_location
        ):
            raise ValueError("packing into or picking from a unit needs both locations")
        return self

    @property
    def extras(self) -> dict[str, object]:
        """Fields this version does not know, kept as they came."""
        return dict(self.__pydantic_extra__ or {})
