"""A lot's or a unit's trace, assembled from the moves trace/pg read: a timeline of steps.

Rules kept here:

- **Through units**: a unit that held a traced lot carried it; every move of the unit while it
  held some of the lot is a step of the lot (`via_unit`, the quantity the unit held). What a unit
  holds is folded from its moves as the ledger decided them (ledger/decide.py): a unit move
  brings declared contents when the unit held nothing; an item move with a unit takes out of the
  unit when the unit stood at its `from_location`, puts into it when at its `to_location`.
- **Directions**: for a lot, backward is the steps that brought it in (receive, arrival) — with
  their receipts, ASN lines and suppliers; forward is every step after (putaway, transfer, pick,
  pack, unpack, ship, adjust, count). For a unit, backward is its lots' steps up to the last time
  stock went into the unit, forward the unit's own steps (its moves, what went in and out).
- Steps come in event time order (occurred_at, then the ledger's seq); a page is `limit` steps
  from `offset` of the bounded whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import Final

from cloud_hub.trace.model import (
    ContentLine,
    Direction,
    LotKey,
    MoveRow,
    Step,
    Trace,
    instant,
)

INBOUND = frozenset({"receive", "portal_pass"})
ZERO = Decimal(0)


def declared(text: str | None) -> tuple[ContentLine, ...]:
    """The contents a unit move declared (its payload's `contents`, JSON text); lines without a
    SKU (a GTIN only) or quantity are not traced."""
    if not text:
        return ()
    return _declared(text)


@lru_cache(maxsize=4096)
def _declared(text: str) -> tuple[ContentLine, ...]:
    """Parsed once per distinct text: a hot lot's pallets mostly declare the same contents.
    The answer is immutable (a tuple of frozen lines), so sharing it is safe."""
    lines = json.loads(text, parse_float=Decimal, parse_int=Decimal)
    if not isinstance(lines, list):
        return ()
    return tuple(ContentLine(str(ln["sku"]), str(ln.get("lot") or ""), Decimal(ln["quantity"]))
                 for ln in lines if isinstance(ln, dict) and ln.get("sku") and "quantity" in ln)


@lru_cache(maxsize=4096)
def _declared_held(text: str) -> tuple[tuple[LotKey, Decimal], ...]:
    """What a unit holds once it declared `text`: quantities summed by lot (shared, immutable;
    a hot lot's pallets mostly declare the same contents)."""
    held: dict[LotKey, Decimal] = {}
    for line in declared(text):
        k = LotKey(line.sku, line.lot)
        held[k] = held.get(k, ZERO) + line.quantity
    return tuple(held.items())


def _step(row: MoveRow, kind: str, sku: str, lot: str, quantity: Decimal | str | None,
          via_unit: bool) -> Step:
    """A Step of the answered page, the tuple built directly. The task
    names the receipt (`receipt:<id>`) or the order shipped (`ship:<order>`)."""
    task = receipt = order = row.task_id
    if task:
        receipt = (task[8:] or None) if task.startswith("receipt:") else None
        order = (task[5:] or None) if task.startswith("ship:") else None
    if isinstance(quantity, str):
        quantity = Decimal(quantity)
    return _new_step(Step, (row.seq, row.event_id, instant(row.occurred_at), kind, sku, lot,
                            quantity,
                            row.unit_key, via_unit, row.from_location, row.to_location,
                            row.status, row.to_status, row.user_id, receipt, order))


_new_step = tuple.__new__


@dataclass(frozen=True, slots=True)
class Carried:
    """What folding one unit's moves found: the steps it carried traced lots on, and the kind
    (pack / unpack) of each item move into or out of it, by seq."""

    steps: tuple[Step, ...]
    kinds: Mapping[int, str]


# A step before it is answered: (occurred_at, seq, row, kind, sku, lot, quantity, via_unit).
# A hot lot has tens of thousands; only the page answered is made into Steps.
Entry = tuple[int, int, MoveRow, str, str, str, Decimal | str | None, bool]
_TIME: Final = 0
_SEQ: Final = 1
_ROW: Final = 2
_KIND: Final = 3
_VIA: Final = 7


def fold_unit(moves: Sequence[MoveRow], traced: frozenset[LotKey]) -> Carried:
    """Fold a unit's moves, given in the ledger's seq order (the order it applied them), into
    the steps it carried traced lots on."""
    entries: list[Entry] = []
    kinds: dict[int, str] = {}
    _fold_into(moves, traced, entries, kinds)
    return Carried(tuple(_step(*e[2:]) for e in entries), kinds)


def _fold_into(moves: Sequence[MoveRow], traced: frozenset[LotKey], entries: list[Entry],
               kinds: dict[int, str]) -> None:
    place: str | None = None
    held: dict[LotKey, Decimal] = {}
    carried: list[LotKey] = []  # the traced lots `held` has some of: kept until `held` changes
    for row in moves:
        sku = row.sku
        if sku is None:  # the unit itself moved
            if row.contents and not any(q > ZERO for q in held.values()):
                held = dict(_declared_held(row.contents))
                carried = _carried(held, traced)
            if carried:
                when, seq, reason = row.occurred_at, row.seq, row.reason
                for k in carried:
                    entries.append((when, seq, row, reason, k[0], k[1], held[k], True))
            place = row.to_location
            continue
        if place is None:
            continue
        key = LotKey(sku, row.lot or "")
        if place == row.from_location:
            held[key] = held.get(key, ZERO) - _amount(row.quantity)
            kinds[row.seq] = "unpack"
        elif place == row.to_location:
            held[key] = held.get(key, ZERO) + _amount(row.quantity)
            kinds[row.seq] = "pack"
        else:
            continue
        carried = _carried(held, traced)


def _amount(text: str | None) -> Decimal:
    return Decimal(text) if text is not None else ZERO


def _carried(held: Mapping[LotKey, Decimal], traced: frozenset[LotKey]) -> list[LotKey]:
    found = [k for k, q in held.items() if q > ZERO and k in traced]
    if len(found) > 1:
        found.sort()
    return found


def _in_direction(steps: list[Entry], direction: Direction, unit: str | None) -> list[Entry]:
    if direction is Direction.BOTH:
        return steps
    if unit is None:
        inbound = direction is Direction.BACKWARD
        return [s for s in steps if (s[_KIND] in INBOUND) is inbound]
    own = [s for s in steps if s[_ROW].unit_key == unit]
    if direction is Direction.FORWARD:
        return own
    into = [s[_TIME] for s in own if s[_KIND] == "pack" or (s[_VIA] and s[_KIND] in INBOUND)]
    if not into:
        return [s for s in steps if s[_KIND] in INBOUND]
    last_in = max(into)
    return [s for s in steps if s[_TIME] <= last_in]


def _named(tasks: Iterable[str | None], prefix: str) -> tuple[str, ...]:
    """The ids the tasks `<prefix><id>` name (receipt:…, ship:…), sorted."""
    n = len(prefix)
    return tuple(sorted({t[n:] for t in tasks if t and t.startswith(prefix) and t[n:]}))


def assemble(lots: Iterable[LotKey], lot_moves: Sequence[MoveRow],
             carriers: Mapping[str, Sequence[MoveRow]], direction: Direction, *,
             unit: str | None = None, offset: int = 0, limit: int = 1_000,
             cut: bool = False) -> Trace:
    """The trace of `lots` (or of the unit `unit` that held them) from the rows read: the lots'
    own item moves and every move of each unit that ever held one of them. `cut`: a read hit its
    bound, so the trace may miss steps."""
    traced = frozenset(lots)
    steps: list[Entry] = []
    kinds: dict[int, str] = {}
    for moves in carriers.values():
        _fold_into(moves, traced, steps, kinds)
    seen: set[int] = set()
    item_rows = [r for moves in carriers.values() for r in moves if r.sku is not None]
    for row in [*lot_moves, *item_rows]:
        sku = row.sku
        if sku is None:
            continue
        lot = row.lot or ""
        seq = row.seq
        if (sku, lot) not in traced or seq in seen:  # a plain tuple equals its LotKey
            continue
        seen.add(seq)
        steps.append((row.occurred_at, seq, row, kinds.get(seq, row.reason), sku, lot,
                       row.quantity, False))
    # event time, then seq; a unit move's steps stay in lot order (stable sorts, cheap keys)
    steps.sort(key=itemgetter(_SEQ))
    steps.sort(key=itemgetter(_TIME))
    chosen = _in_direction(steps, direction, unit)
    page = chosen[offset:offset + limit]
    more = offset + limit < len(chosen)
    held_by = sorted({u for s in steps if (u := s[_ROW].unit_key) is not None})
    tasks = {s[_ROW].task_id for s in chosen}
    return Trace(lots=tuple(sorted(traced)), steps=tuple(_step(*s[2:]) for s in page),
                 units=tuple(held_by), truncated=cut, total_steps=len(chosen),
                 next_offset=offset + limit if more else None,
                 receipts=_named(tasks, "receipt:"), orders=_named(tasks, "ship:"))
