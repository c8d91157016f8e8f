"""Putaway: which bin a received quantity should go to, and whether a scanned bin is acceptable.

Rule kept here: a bin is suggested only when it accepts the SKU (zone tags) and has room;
strategies are tried in the order the matching rule lists them (SKU rule, else category,
else zone/default), and the nearest bin to the dock wins ties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from cloud_hub.work.model import Bin, BinKind, BinLoad, SkuProfile, free_space
from protocol.tasks import ResultCode

_NO_LOAD = BinLoad()


class Strategy(StrEnum):
    FIXED = "fixed"  # the SKU's home bin
    CONSOLIDATE = "consolidate"  # a bin already holding the same SKU and lot
    NEAREST_EMPTY = "nearest_empty"  # the empty bin nearest the dock with enough room


@dataclass(frozen=True, slots=True)
class PutawayRule:
    strategies: tuple[Strategy, ...] = (Strategy.FIXED, Strategy.CONSOLIDATE,
                                        Strategy.NEAREST_EMPTY)
    zones: frozenset[str] | None = None  # allowed zones; None: any zone


@dataclass(frozen=True, slots=True)
class PutawayPolicy:
    """Rules per SKU, per category, per zone of the dock, and a default."""

    by_sku: Mapping[str, PutawayRule] = field(default_factory=dict)
    by_category: Mapping[str, PutawayRule] = field(default_factory=dict)
    by_dock_zone: Mapping[str, PutawayRule] = field(default_factory=dict)
    default: PutawayRule = PutawayRule()

    def rule_for(self, profile: SkuProfile, dock: Bin) -> PutawayRule:
        return (self.by_sku.get(profile.sku) or self.by_category.get(profile.category)
                or self.by_dock_zone.get(dock.zone) or self.default)


@dataclass(frozen=True, slots=True)
class Suggestion:
    bin: str
    strategy: Strategy
    distance: float


def _eligible(bin_: Bin, profile: SkuProfile, rule: PutawayRule, need: Decimal,
              load: BinLoad) -> bool:
    if bin_.kind is not BinKind.STORAGE or not bin_.accepts(profile.needs):
        return False
    if rule.zones is not None and bin_.zone not in rule.zones:
        return False
    room = free_space(bin_, load)
    return room is None or room >= need


def suggest(profile: SkuProfile, lot: str, quantity: Decimal, dock: Bin, bins: Sequence[Bin],
            loads: Mapping[str, BinLoad], policy: PutawayPolicy) -> Suggestion | None:
    """The bin to put `quantity` of `profile`/`lot` into, or None when no bin fits."""
    rule = policy.rule_for(profile, dock)
    need = quantity * profile.unit_volume
    by_code = {b.code: b for b in bins}
    for strategy in rule.strategies:
        found = _try(strategy, profile, lot, need, dock, bins, by_code, loads, rule)
        if found is not None:
            return Suggestion(found.code, strategy, round(found.distance_to(dock), 3))
    return None


def _try(strategy: Strategy, profile: SkuProfile, lot: str, need: Decimal, dock: Bin,
         bins: Sequence[Bin], by_code: Mapping[str, Bin], loads: Mapping[str, BinLoad],
         rule: PutawayRule) -> Bin | None:
    if strategy is Strategy.FIXED:
        home = by_code.get(profile.home_bin or "")
        ok = home is not None and _eligible(home, profile, rule, need,
                                            loads.get(home.code, _NO_LOAD))
        return home if ok else None
    if strategy is Strategy.CONSOLIDATE:
        candidates = [b for b in bins if (profile.sku, lot) in loads.get(b.code, _NO_LOAD).contents]
    else:
        candidates = [b for b in bins if loads.get(b.code, _NO_LOAD).empty]
    fitting = [b for b in candidates
               if _eligible(b, profile, rule, need, loads.get(b.code, _NO_LOAD))]
    return min(fitting, key=lambda b: (b.distance_to(dock), b.code), default=None)


@dataclass(frozen=True, slots=True)
class BinCheck:
    code: ResultCode
    message: str

    @property
    def accepted(self) -> bool:
        return self.code in (ResultCode.OK, ResultCode.OVERRIDDEN)


def check_scanned_bin(suggested: str, scanned: str | None, *, profile: SkuProfile,
                      quantity: Decimal, bins: Mapping[str, Bin], loads: Mapping[str, BinLoad],
                      may_override: bool, override_reason: str | None) -> BinCheck:
    """Is putting away at `scanned` acceptable? The suggested bin always is; another bin only
    for a user allowed to override, with a reason, when that bin accepts the SKU and has room."""
    if scanned is None:
        return BinCheck(ResultCode.INVALID, "scan the bin label to confirm the putaway")
    if scanned == suggested:
        return BinCheck(ResultCode.OK, f"put away at {scanned}")
    if not may_override:
        return BinCheck(ResultCode.OVERRIDE_NOT_ALLOWED,
                        f"wrong bin: put it in {suggested}, not {scanned}")
    if not override_reason:
        return BinCheck(ResultCode.WRONG_LOCATION,
                        f"{scanned} is not the suggested bin {suggested}; "
                        "give a reason to override")
    other = bins.get(scanned)
    if other is None or other.kind is not BinKind.STORAGE:
        return BinCheck(ResultCode.WRONG_LOCATION, f"{scanned} is not a storage bin")
    if not other.accepts(profile.needs):
        return BinCheck(ResultCode.WRONG_LOCATION,
                        f"{scanned} ({other.zone or 'no zone'}) may not hold {profile.sku}")
    room = free_space(other, loads.get(scanned, _NO_LOAD))
    if room is not None and room < quantity * profile.unit_volume:
        return BinCheck(ResultCode.BIN_FULL, f"{scanned} has room for {room}, not enough")
    return BinCheck(ResultCode.OVERRIDDEN, f"put away at {scanned} instead of {suggested}")
