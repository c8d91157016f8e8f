"""Purchase-order and transfer drafts built from accepted suggestions, exported as CSV or JSON.

Rule kept here: only ACCEPTED suggestions become drafts; one draft per supplier (or donor
warehouse) and receiving warehouse, one line per suggestion, quantities as the supervisor left them.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from cloud_hub.planning.replenish import Suggestion, SuggestionKind, SuggestionState


@dataclass(frozen=True)
class DraftLine:
    sku: str
    quantity: float
    unit_cost: float
    suggestion_id: str | None
    to_location: str | None = None

    @property
    def amount(self) -> float:
        return round(self.quantity * self.unit_cost, 4)


@dataclass(frozen=True)
class OrderDraft:
    kind: SuggestionKind
    source: str  # supplier id, donor warehouse or reserve location
    warehouse: str
    created_on: date
    lines: tuple[DraftLine, ...]

    @property
    def total(self) -> float:
        return round(sum(line.amount for line in self.lines), 4)


def build_drafts(suggestions: Iterable[Suggestion], today: date) -> tuple[OrderDraft, ...]:
    """Group accepted suggestions into drafts (purchase orders first, then transfers)."""
    groups: dict[tuple[SuggestionKind, str, str], list[DraftLine]] = defaultdict(list)
    for s in suggestions:
        if s.state is not SuggestionState.ACCEPTED:
            continue
        groups[(s.kind, s.source, s.warehouse)].append(
            DraftLine(s.sku, s.quantity, s.unit_cost, s.id, s.to_location))
    order = {SuggestionKind.PURCHASE: 0, SuggestionKind.TRANSFER: 1, SuggestionKind.PICK_FACE: 2}
    keys = sorted(groups, key=lambda k: (order[k[0]], k[1], k[2]))
    return tuple(OrderDraft(k[0], k[1], k[2], today,
                            tuple(sorted(groups[k], key=lambda line: line.sku))) for k in keys)


CSV_COLUMNS = ("kind", "source", "warehouse", "created_on", "sku", "quantity", "unit_cost",
               "amount", "to_location", "suggestion_id")


def drafts_to_csv(drafts: Iterable[OrderDraft]) -> str:
    """One row per line, header first; quantities as plain numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for d in drafts:
        for line in d.lines:
            writer.writerow([d.kind.value, d.source, d.warehouse, d.created_on.isoformat(),
                             line.sku, _num(line.quantity), _num(line.unit_cost),
                             _num(line.amount), line.to_location or "", line.suggestion_id or ""])
    return buf.getvalue()


def drafts_to_json(drafts: Iterable[OrderDraft]) -> str:
    return json.dumps({"drafts": [draft_as_dict(d) for d in drafts]}, ensure_ascii=False)


def draft_as_dict(d: OrderDraft) -> dict[str, object]:
    return {
        "kind": d.kind.value, "source": d.source, "warehouse": d.warehouse,
        "created_on": d.created_on.isoformat(), "total": d.total,
        "lines": [{"sku": line.sku, "quantity": _num(line.quantity),
                   "unit_cost": _num(line.unit_cost), "amount": _num(line.amount),
                   "to_location": line.to_location, "suggestion_id": line.suggestion_id}
                  for line in d.lines],
    }


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else round(float(x), 6)
