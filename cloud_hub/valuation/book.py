"""The fold: movements applied one by one to every warehouse/SKU, answering entries.

Rules kept here (docs/valuation.md says them for users):
- a receipt's value is quantity × unit cost × rate, in base-currency cents;
- FIFO issues take the oldest layers; a transfer's layers keep their receipt date and cost;
  moving average takes the pool's average and the destination's pool takes it in;
- goods that leave beyond the valued quantity are valued at the last unit cost and listed for
  review; when goods arrive they settle that first and the difference is posted;
- a landed cost is spread over its receipt's lines by quantity. Under FIFO each line's share is
  spread over the line's quantity: what is still in stock (wherever it was transferred) raises
  those layers' value, what was issued goes to COGS and what was adjusted out to adjustments.
  Under moving average the share joins the value of the line's warehouse/SKU pool (to COGS if
  that pool is empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from cloud_hub.valuation.model import (
    ZERO,
    Bucket,
    Entry,
    Kind,
    Method,
    Movement,
    Position,
    Review,
    ValuationError,
    an,
    cents,
)
from cloud_hub.valuation.stock import AvcoStock, Holding, Layer, Settled, Shortfall

_OUT_BUCKET = {Kind.ISSUE: Bucket.COGS, Kind.ADJUST_OUT: Bucket.ADJUSTMENTS,
               Kind.TRANSFER: Bucket.COGS}


@dataclass(slots=True)
class ReceiptLine:
    warehouse: str
    sku: str
    quantity: Decimal
    consumed: dict[Bucket, Decimal] = field(default_factory=dict)
    layers: list[Layer] = field(default_factory=list)  # FIFO: every layer it is still in


class Book:
    """All positions under one method. `apply` folds one movement (already in date order) and
    returns what it did; `positions`, `cogs`, `adjustments` and `reviews` are the totals."""

    def __init__(self, method: Method, base_currency: str, *, inflows: int = 0) -> None:
        """`inflows`: how many inflows came before (a book continued from storage numbers
        its new layers after them)."""
        self.method = method
        self.base_currency = base_currency.upper()
        self.cogs = ZERO
        self.adjustments = ZERO
        self.reviews: list[Review] = []
        self._holdings: dict[tuple[str, str], Holding] = {}
        self._lines: list[ReceiptLine] = []
        self._receipts: dict[str, list[int]] = {}
        self._sku_cost: dict[str, Decimal] = {}
        self._seq = inflows

    # -- reading ------------------------------------------------------------------------------

    def positions(self, *, include_zero: bool = False) -> list[Position]:
        """Every warehouse/SKU sorted by (warehouse, sku); empty ones only when asked."""
        return [Position(h.warehouse, h.sku, h.quantity, h.value)
                for _, h in sorted(self._holdings.items())
                if include_zero or h.quantity != 0 or h.value != 0]

    @property
    def inflows(self) -> int:
        return self._seq

    def holding(self, warehouse: str, sku: str) -> Holding:
        """A warehouse/SKU's holding, made empty when new (storage seeds it through this)."""
        return self._holding(warehouse, sku)

    def reset(self, warehouse: str, sku: str) -> Holding:
        """Forget a holding's state, and the SKU's last cost seen (it is learnt again as the
        holding's moves are folded again from the first)."""
        self._sku_cost.pop(sku, None)
        h = self._holdings[(warehouse, sku)] = Holding(warehouse, sku, self.method)
        return h

    def touched(self) -> list[Holding]:
        return list(self._holdings.values())

    def seed_sku_cost(self, sku: str, unit_cost: Decimal) -> None:
        self._sku_cost.setdefault(sku, unit_cost)

    def estimate(self, warehouse: str, sku: str) -> Decimal | None:
        """The last unit cost seen for this warehouse/SKU, else for the SKU anywhere."""
        h = self._holdings.get((warehouse, sku))
        if h is not None and h.last_unit_cost is not None:
            return h.last_unit_cost
        return self._sku_cost.get(sku)

    def flag(self, review: Review) -> None:
        self.reviews.append(review)

    def outstanding_estimates(self) -> Decimal:
        """Value posted for goods that left beyond valued stock and not yet settled."""
        return sum((s.value for h in self._holdings.values() for s in h.short), ZERO)

    # -- folding ------------------------------------------------------------------------------

    def apply_all(self, movements: Iterable[Movement]) -> list[Entry]:
        return [entry for movement in movements for entry in self.apply(movement)]

    def apply(self, m: Movement) -> list[Entry]:
        """Fold one movement; a refused one (ValuationError) changes nothing."""
        if m.kind is Kind.LANDED_COST:
            return self._landed_cost(m)
        if m.quantity <= 0:
            raise ValuationError(m.key, f"quantity must be positive, got {m.quantity}")
        if m.kind in (Kind.RECEIPT, Kind.ADJUST_IN):
            return [self._inflow(m)]
        return self._outflow(m)

    def base_value(self, m: Movement) -> Decimal:
        """quantity × unit cost × rate in base-currency cents (the rate checked here too)."""
        if m.unit_cost is None:
            raise ValuationError(m.key, f"{an(m.kind)} needs a unit_cost")
        if m.unit_cost < 0:
            raise ValuationError(m.key, "unit_cost must not be negative")
        currency = (m.currency or self.base_currency).upper()
        if currency == self.base_currency:
            if m.rate is not None and m.rate != 1:
                raise ValuationError(m.key, f"a {currency} (base currency) cost takes no rate "
                                            f"other than 1, got {m.rate}")
            return cents(m.quantity * m.unit_cost)
        if m.rate is None:
            raise ValuationError(m.key, f"currency {currency} needs a rate (base "
                                        f"{self.base_currency} per one {currency})")
        if m.rate <= 0:
            raise ValuationError(m.key, f"rate must be positive, got {m.rate}")
        return cents(m.quantity * m.unit_cost * m.rate)

    def _holding(self, warehouse: str, sku: str) -> Holding:
        key = (warehouse, sku)
        if (h := self._holdings.get(key)) is None:
            h = self._holdings[key] = Holding(warehouse, sku, self.method)
        return h

    def _inflow(self, m: Movement) -> Entry:
        value = self.base_value(m)
        origin = None
        if m.kind is Kind.RECEIPT and m.ref:
            origin = len(self._lines)
            self._lines.append(ReceiptLine(m.warehouse, m.sku, m.quantity))
            self._receipts.setdefault(m.ref, []).append(origin)
        self._seq += 1
        layer = Layer(m.at, self._seq, m.quantity, value, origin)
        settled = self._receive(self._holding(m.warehouse, m.sku), layer, m.sku)
        return self._entry(m, m.warehouse, m.quantity, value - settled.value,
                           settled.corrections)

    def _receive(self, h: Holding, layer: Layer, sku: str) -> Settled:
        settled = h.receive(layer)
        for origin, quantity, bucket in settled.consumed:
            self._consume(origin, quantity, bucket)
        if self.method is Method.FIFO and layer.quantity > 0 and layer.origin is not None:
            self._lines[layer.origin].layers.append(layer)
        if h.last_unit_cost is not None:
            self._sku_cost[sku] = h.last_unit_cost
        return settled

    def _consume(self, origin: int, quantity: Decimal, bucket: Bucket) -> None:
        consumed = self._lines[origin].consumed
        consumed[bucket] = consumed.get(bucket, ZERO) + quantity

    def _outflow(self, m: Movement) -> list[Entry]:
        if m.kind is Kind.TRANSFER and not m.to_warehouse:
            raise ValuationError(m.key, "a transfer needs a to_warehouse")
        if m.kind is Kind.TRANSFER and m.to_warehouse == m.warehouse:
            raise ValuationError(m.key, "a transfer's to_warehouse is its own warehouse")
        bucket = _OUT_BUCKET[m.kind]
        source = self._holding(m.warehouse, m.sku)
        pieces = source.take(m.quantity)
        left = sum((p.value for p in pieces), ZERO)  # what left stock; an estimate did not
        rest = m.quantity - sum((p.quantity for p in pieces), ZERO)
        if rest > 0:
            pieces.append(self._shortfall(m, source, rest, bucket))
        value = sum((p.value for p in pieces), ZERO)
        if m.kind is Kind.TRANSFER:
            out = self._entry(m, m.warehouse, -m.quantity, -left, {})
            return [out, self._transfer_in(m, pieces, value)]
        for piece in pieces:
            if piece.origin is not None:
                self._consume(piece.origin, piece.quantity, bucket)
        return [self._entry(m, m.warehouse, -m.quantity, -left, {bucket: value})]

    def _transfer_in(self, m: Movement, pieces: list[Layer], value: Decimal) -> Entry:
        """The goods arrive with their cost: under FIFO the very layers (receipt date and unit
        cost kept), under moving average the source's average joins the destination's pool."""
        assert m.to_warehouse is not None
        target = self._holding(m.to_warehouse, m.sku)
        corrections: dict[Bucket, Decimal] = {}
        settling = ZERO
        for piece in pieces:
            got = self._receive(target, piece, m.sku)
            settling += got.value
            for bucket, amount in got.corrections.items():
                corrections[bucket] = corrections.get(bucket, ZERO) + amount
        return self._entry(m, m.to_warehouse, m.quantity, value - settling, corrections,
                           inbound=True)

    def _shortfall(self, m: Movement, h: Holding, quantity: Decimal, bucket: Bucket) -> Layer:
        """Goods beyond the valued quantity: valued at the last unit cost, listed for review."""
        cost = self.estimate(m.warehouse, m.sku)
        reason = (f"{m.kind} exceeds the valued quantity: valued at the last unit cost"
                  if cost is not None else
                  f"{m.kind} exceeds the valued quantity and no cost is known: valued at 0")
        cost = cost if cost is not None else ZERO
        value = cents(quantity * cost)
        h.short.append(Shortfall(quantity, value, bucket))
        self.reviews.append(Review(m.key, m.warehouse, m.sku, quantity, cost, reason))
        self._seq += 1
        return Layer(m.at, self._seq, quantity, value)

    def _entry(self, m: Movement, warehouse: str, quantity: Decimal, value: Decimal,
               posted: dict[Bucket, Decimal], *, inbound: bool = False) -> Entry:
        cogs = posted.get(Bucket.COGS, ZERO)
        adjustments = posted.get(Bucket.ADJUSTMENTS, ZERO)
        self.cogs += cogs
        self.adjustments += adjustments
        return Entry(m.key, m.at, warehouse, m.sku, m.kind, quantity, value, cogs, adjustments,
                     inbound, m.lot)

    # -- landed costs -------------------------------------------------------------------------

    def _landed_cost(self, m: Movement) -> list[Entry]:
        if m.amount is None or m.amount <= 0:
            raise ValuationError(m.key, "a landed_cost needs a positive amount")
        if m.currency and m.currency.upper() != self.base_currency:
            raise ValuationError(m.key, f"a landed_cost amount is in the base currency "
                                        f"{self.base_currency}, not {m.currency.upper()}")
        if not m.ref:
            raise ValuationError(m.key, "a landed_cost names its receipt in ref")
        if m.ref not in self._receipts:
            raise ValuationError(m.key, f"a landed_cost names receipt {m.ref!r}, which no "
                                        f"receipt before it has")
        lines = [self._lines[i] for i in self._receipts[m.ref]
                 if m.warehouse in ("", self._lines[i].warehouse)
                 and m.sku in ("", self._lines[i].sku)]
        if not lines:
            raise ValuationError(m.key, f"receipt {m.ref!r} has no line for "
                                        f"{m.warehouse or 'any warehouse'}/{m.sku or 'any SKU'}")
        totals: dict[tuple[str, str], list[Decimal]] = {}  # value, cogs, adjustments
        amounts = allocate(cents(m.amount), [line.quantity for line in lines])
        for line, amount in zip(lines, amounts, strict=True):
            for (warehouse, sku), (value, cogs, adj) in self._land(line, amount):
                total = totals.setdefault((warehouse, sku), [ZERO, ZERO, ZERO])
                total[0] += value
                total[1] += cogs
                total[2] += adj
        entries = []
        for (warehouse, sku), (value, cogs, adj) in sorted(totals.items()):
            moved = Movement(m.key, m.at, warehouse, sku, m.kind, ref=m.ref)
            entries.append(self._entry(moved, warehouse, ZERO, value,
                                       {Bucket.COGS: cogs, Bucket.ADJUSTMENTS: adj}))
        return entries

    def _land(self, line: ReceiptLine, amount: Decimal
              ) -> list[tuple[tuple[str, str], tuple[Decimal, Decimal, Decimal]]]:
        """One receipt line's share: ((warehouse, sku), (stock value, cogs, adjustments))."""
        here = (line.warehouse, line.sku)
        if self.method is Method.AVCO:
            h = self._holding(*here)
            if h.stock.quantity > 0:
                assert isinstance(h.stock, AvcoStock)
                h.stock.add_value(amount)
                return [(here, (amount, ZERO, ZERO))]
            return [(here, (ZERO, amount, ZERO))]
        line.layers = [layer for layer in line.layers if layer.quantity > 0]
        issued = line.consumed.get(Bucket.COGS, ZERO)
        adjusted = line.consumed.get(Bucket.ADJUSTMENTS, ZERO)
        weights = [layer.quantity for layer in line.layers] + [issued, adjusted]
        assert sum(weights, ZERO) == line.quantity, "a receipt line's quantity is conserved"
        *to_layers, to_cogs, to_adjustments = allocate(amount, weights)
        out = [(here, (ZERO, to_cogs, to_adjustments))]
        for layer, part in zip(line.layers, to_layers, strict=True):
            layer.value += part
            out.append(((layer.warehouse, line.sku), (part, ZERO, ZERO)))
        return out


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` in cents spread by weight; cumulative rounding, so the parts add up to it."""
    whole = sum(weights, ZERO)
    parts, done, running = [], ZERO, ZERO
    for weight in weights:
        running += weight
        upto = total if running == whole else cents(total * running / whole)
        parts.append(upto - done)
        done = upto
    return parts
