"""Bills of materials: revisions with effective dates, scrap, phantoms and alternates; exploded
views, where-used and low-level codes. The rule it keeps: a set of BOMs that loops is refused,
with the path of the loop, and so is a component quantity in a unit that cannot be converted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise

ZERO = Decimal(0)
ONE = Decimal(1)

# (component item, quantity, unit) -> the quantity in the item's base unit, or None if unknown
Convert = Callable[[str, Decimal, str], Decimal | None]


class BomError(ValueError):
    """A BOM (or a plan over BOMs) that cannot be accepted; the message says which and why."""


class BomCycle(BomError):
    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path
        super().__init__("BOM cycle: " + " → ".join(path))


@dataclass(frozen=True, slots=True)
class Component:
    """One BOM line: `quantity` of `item` per one parent, in the item's base unit unless `unit`
    says otherwise. `scrap` is the fraction lost in production: the need is quantity × (1 + scrap).
    `alternates` may replace the item on the shop floor; planning uses the primary `item`."""

    item: str
    quantity: Decimal
    scrap: Decimal = ZERO
    unit: str | None = None
    alternates: tuple[str, ...] = ()

    @property
    def per_parent(self) -> Decimal:
        return self.quantity * (ONE + self.scrap)


@dataclass(frozen=True, slots=True)
class Revision:
    """A parent's component list, effective from `effective_from` (inclusive, None: always)
    to `effective_to` (exclusive, None: open-ended)."""

    parent: str
    revision: str
    components: tuple[Component, ...]
    effective_from: date | None = None
    effective_to: date | None = None

    def effective_on(self, day: date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and \
            (self.effective_to is None or day < self.effective_to)


@dataclass(frozen=True, slots=True)
class Requirement:
    """A row of an exploded view: `level` 1 is a direct component of the exploded item."""

    level: int
    parent: str
    item: str
    quantity: Decimal
    phantom: bool
    alternates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Use:
    """A row of where-used: `parent` (revision, effectivity) takes `quantity` of the component."""

    parent: str
    revision: str
    quantity: Decimal
    effective_from: date | None
    effective_to: date | None


class Boms:
    """Every BOM revision of a site, checked once: units converted, no overlapping revisions of
    one parent, no loop. `phantoms` are sub-assemblies exploded through, never planned."""

    def __init__(self, revisions: Iterable[Revision], phantoms: Iterable[str] = (),
                 convert: Convert | None = None) -> None:
        by_parent: dict[str, list[Revision]] = defaultdict(list)
        for rev in revisions:
            by_parent[rev.parent].append(_in_base_units(rev, convert))
        for parent, revs in by_parent.items():
            revs.sort(key=lambda r: r.effective_from or date.min)
            _refuse_overlaps(parent, revs)
        self._revisions: dict[str, list[Revision]] = dict(by_parent)
        self.phantoms = frozenset(phantoms)
        self.low_level_codes = _low_level_codes(self._children())
        self._phantoms_dated = any(len(self._revisions.get(p, ())) > 1 for p in self.phantoms)
        self._through: dict[tuple[str, str, date | None], tuple[tuple[str, Decimal], ...]] = {}

    @property
    def parents(self) -> frozenset[str]:
        return frozenset(self._revisions)

    def revisions(self, parent: str) -> tuple[Revision, ...]:
        return tuple(self._revisions.get(parent, ()))

    def revision(self, parent: str, on: date) -> Revision | None:
        """The revision effective on `on`, or None (a bought item, or none effective then)."""
        for rev in self._revisions.get(parent, ()):
            if rev.effective_on(on):
                return rev
        return None

    def explode(self, item: str, quantity: Decimal, on: date) -> list[Requirement]:
        """The multi-level view of `quantity` of `item` on `on`, depth first; phantom rows are
        shown (phantom=True) and exploded through like any sub-assembly."""
        rows: list[Requirement] = []
        self._explode(item, quantity, on, 1, rows)
        return rows

    def _explode(self, parent: str, quantity: Decimal, on: date, level: int,
                 rows: list[Requirement]) -> None:
        rev = self.revision(parent, on)
        for c in rev.components if rev else ():
            need = quantity * c.per_parent
            rows.append(Requirement(level, parent, c.item, need, c.item in self.phantoms,
                                    c.alternates))
            self._explode(c.item, need, on, level + 1, rows)

    def where_used(self, component: str) -> list[Use]:
        """Every revision that lists `component` (as primary), with its quantity per parent."""
        return [Use(rev.parent, rev.revision, c.per_parent, rev.effective_from, rev.effective_to)
                for revs in self._revisions.values() for rev in revs
                for c in rev.components if c.item == component]

    def planned_lines(self, parent: str, on: date) -> tuple[tuple[str, Decimal], ...]:
        """What one planned `parent` needs on `on`, phantoms exploded through: (component,
        quantity per parent) for planned components only. Cached per revision."""
        rev = self.revision(parent, on)
        if rev is None:
            return ()
        # a phantom with several revisions makes the lines depend on the day, not only on rev
        key = (parent, rev.revision, on if self._phantoms_dated else None)
        lines = self._through.get(key)
        if lines is None:
            totals: dict[str, Decimal] = {}
            for c in rev.components:
                if c.item in self.phantoms:
                    for item, per in self.planned_lines(c.item, on):
                        totals[item] = totals.get(item, ZERO) + c.per_parent * per
                else:
                    totals[c.item] = totals.get(c.item, ZERO) + c.per_parent
            lines = self._through[key] = tuple(totals.items())
        return lines

    def _children(self) -> dict[str, set[str]]:
        children: dict[str, set[str]] = defaultdict(set)
        for parent, revs in self._revisions.items():
            for rev in revs:
                children[parent].update(c.item for c in rev.components)
        return children


def _in_base_units(rev: Revision, convert: Convert | None) -> Revision:
    lines = []
    for c in rev.components:
        if c.quantity <= 0 or c.scrap < 0:
            raise BomError(f"{rev.parent} rev {rev.revision}: {c.item} needs a quantity > 0 "
                           f"and a scrap factor >= 0 (got {c.quantity}, {c.scrap})")
        if c.unit is not None:
            base = convert(c.item, c.quantity, c.unit) if convert else None
            if base is None:
                raise BomError(f"{rev.parent} rev {rev.revision}: no conversion from "
                               f"{c.unit!r} to the base unit of {c.item}")
            c = replace(c, quantity=base, unit=None)
        lines.append(c)
    return replace(rev, components=tuple(lines))


def _refuse_overlaps(parent: str, revs: list[Revision]) -> None:
    for a, b in pairwise(revs):
        if a.effective_to is None or b.effective_from is None or a.effective_to > b.effective_from:
            raise BomError(f"{parent}: revisions {a.revision} and {b.revision} are both "
                           "effective on some day")


def _low_level_codes(children: dict[str, set[str]]) -> dict[str, int]:
    """The deepest level each item appears at (0: an end item), so an item is planned only
    after every parent's planned orders exist. Kahn's order; what it cannot order loops."""
    items = set(children) | {c for cs in children.values() for c in cs}
    indegree = dict.fromkeys(items, 0)
    for cs in children.values():
        for c in cs:
            indegree[c] += 1
    code = dict.fromkeys(items, 0)
    ready = [i for i in sorted(items) if indegree[i] == 0]
    done = 0
    while ready:
        item = ready.pop()
        done += 1
        for c in children.get(item, ()):
            code[c] = max(code[c], code[item] + 1)
            indegree[c] -= 1
            if indegree[c] == 0:
                ready.append(c)
    if done < len(items):
        raise BomCycle(_cycle(children, {i for i, n in indegree.items() if n > 0}))
    return code


def _cycle(children: dict[str, set[str]], suspects: set[str]) -> tuple[str, ...]:
    """A loop among `suspects` (items Kahn could not order): first drop those that only lead
    out of loops, then every one left has a child left, so a walk must repeat an item."""
    looping = set(suspects)
    while True:
        dead = {i for i in looping if not any(c in looping for c in children.get(i, ()))}
        if not dead:
            break
        looping -= dead
    path = [min(looping)]
    seen = {path[0]: 0}
    while True:
        nxt = min(c for c in children.get(path[-1], ()) if c in looping)
        if nxt in seen:
            return (*path[seen[nxt]:], nxt)
        seen[nxt] = len(path)
        path.append(nxt)
