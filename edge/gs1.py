"""What a scanned GS1 label names in the contract's terms: a handling unit or an item quantity.

Rule kept here: reading the label is protocol.labels' job (the one reader the PDA and the
hub use too); this module only maps a reading onto UnitRef / ItemLine, and refuses — with
a LabelError naming why — a plain label or one that names nothing the ledger can move.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from protocol import ItemLine, UnitRef
from protocol.codec import describe
from protocol.labels import Label, LabelError


def label_subject(label: Label) -> UnitRef | ItemLine:
    """An SSCC label names a handling unit; a GTIN label names an item quantity: its count
    (AI 37 or 30) or its net weight in kg (AI 310n), else 1 each."""
    if not label.is_gs1:
        why = f" ({label.note})" if label.note else ""
        raise LabelError(f"{label.text[:64]!r} is a plain label, not GS1{why}")
    if label.sscc is not None:
        return UnitRef(sscc=label.sscc)
    if label.gtin is None:
        raise LabelError("label has neither an SSCC (00) nor a GTIN (01)")
    quantity = label.quantity if label.quantity is not None else Decimal(1)
    uom = "EA"
    if label.net_weight_kg is not None:
        quantity, uom = label.net_weight_kg, "KGM"
    try:
        return ItemLine(gtin=label.gtin, lot=label.lot, serial=label.serial,
                        expiry=label.expiry, production_date=label.production_date,
                        best_before=label.best_before, quantity=quantity, uom=uom)
    except ValidationError as exc:
        raise LabelError(f"label is not a valid item: {describe(exc)}") from None
