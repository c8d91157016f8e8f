"""One warehouse/SKU's stock under each method: FIFO cost layers or one moving-average pool.

Rule kept here: a layer's quantity and value never go below zero; taking a whole layer (or the
whole pool) takes exactly its value, taking part takes its share in cents.
"""

from __future__ import annotations

from bisect import insort
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cloud_hub.valuation.model import ZERO, Bucket, Method, share


@dataclass(slots=True)
class Layer:
    """Goods at one unit cost: a FIFO layer, or a piece taken from stock on its way elsewhere.
    `origin` is the receipt line it came from (for landed costs), None for other inflows."""

    received_at: datetime
    seq: int  # inflow order: breaks ties between layers received at the same time
    quantity: Decimal
    value: Decimal
    origin: int | None = None
    warehouse: str = ""

    def sort_key(self) -> tuple[datetime, int]:
        return self.received_at, self.seq

    def split(self, quantity: Decimal) -> Layer:
        """Take `quantity` (<= this layer's) off this layer; the taken part is returned."""
        value = share(self.value, quantity, self.quantity)
        self.quantity -= quantity
        self.value -= value
        return Layer(self.received_at, self.seq, quantity, value, self.origin, self.warehouse)


class FifoStock:
    """Cost layers in receipt order (date, then inflow order); issues take the oldest first."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []

    @property
    def quantity(self) -> Decimal:
        return sum((layer.quantity for layer in self.layers), ZERO)

    @property
    def value(self) -> Decimal:
        return sum((layer.value for layer in self.layers), ZERO)

    def put(self, layer: Layer) -> None:
        insort(self.layers, layer, key=Layer.sort_key)

    def take(self, quantity: Decimal) -> list[Layer]:
        """Up to `quantity`, oldest layers first; fewer when the layers run out."""
        taken: list[Layer] = []
        while quantity > 0 and self.layers:
            oldest = self.layers[0]
            piece = oldest.split(min(quantity, oldest.quantity))
            quantity -= piece.quantity
            taken.append(piece)
            if oldest.quantity == 0:
                self.layers.pop(0)
        return taken


class AvcoStock:
    """One pool: quantity and value; its average is value / quantity, changed by receipts."""

    def __init__(self) -> None:
        self.quantity = ZERO
        self.value = ZERO

    def put(self, layer: Layer) -> None:
        self.quantity += layer.quantity
        self.value += layer.value

    def take(self, quantity: Decimal) -> list[Layer]:
        """Up to `quantity` at the average cost; fewer when the pool runs out."""
        if self.quantity <= 0:
            return []
        quantity = min(quantity, self.quantity)
        value = share(self.value, quantity, self.quantity)
        self.quantity -= quantity
        self.value -= value
        return [Layer(datetime.min, 0, quantity, value)]

    def add_value(self, amount: Decimal) -> None:
        self.value += amount


@dataclass(slots=True)
class Shortfall:
    """Goods that left beyond the valued quantity, valued at an estimate already posted to
    `bucket`; settled (actual minus estimate) when goods arrive."""

    quantity: Decimal
    value: Decimal
    bucket: Bucket


@dataclass(slots=True)
class Settled:
    """What covering shortfalls took from an inflow: per bucket the correction, and per
    receipt line the quantity consumed into each bucket."""

    corrections: dict[Bucket, Decimal] = field(default_factory=dict)
    consumed: list[tuple[int, Decimal, Bucket]] = field(default_factory=list)
    value: Decimal = ZERO  # the inflow's value that settled shortfalls (it never reached stock)


class Holding:
    """A warehouse/SKU: its stock, its open shortfalls, and the last unit cost it saw."""

    def __init__(self, warehouse: str, sku: str, method: Method) -> None:
        self.warehouse = warehouse
        self.sku = sku
        self.stock: FifoStock | AvcoStock = FifoStock() if method is Method.FIFO else AvcoStock()
        self.short: list[Shortfall] = []
        self.last_unit_cost: Decimal | None = None

    @property
    def quantity(self) -> Decimal:
        return self.stock.quantity - sum((s.quantity for s in self.short), ZERO)

    @property
    def value(self) -> Decimal:
        return self.stock.value

    def receive(self, layer: Layer) -> Settled:
        """Goods arrive: they settle open shortfalls first (oldest first), the rest is stock."""
        self.last_unit_cost = layer.value / layer.quantity
        settled = Settled()
        while self.short and layer.quantity > 0:
            owed = self.short[0]
            part = min(owed.quantity, layer.quantity)
            actual = layer.split(part)
            estimate = share(owed.value, part, owed.quantity)
            owed.quantity -= part
            owed.value -= estimate
            settled.corrections[owed.bucket] = (settled.corrections.get(owed.bucket, ZERO)
                                                + actual.value - estimate)
            settled.value += actual.value
            if layer.origin is not None:
                settled.consumed.append((layer.origin, part, owed.bucket))
            if owed.quantity == 0:
                self.short.pop(0)
        if layer.quantity > 0:
            layer.warehouse = self.warehouse
            self.stock.put(layer)
        return settled

    def take(self, quantity: Decimal) -> list[Layer]:
        """Up to `quantity` from stock; the caller books any rest as a shortfall."""
        pieces = self.stock.take(quantity)
        if pieces:
            last = pieces[-1]
            self.last_unit_cost = last.value / last.quantity
        return pieces
