"""The names a rule may use: every fact the hub supplies, what it is about and who computes it.

Rule kept here: a name is in FACTS only if `fact_reads` supplies it (a test checks both
ways), so a rule can never wait for a fact that never comes; a rule uses names of one subject
only, because the facts of different subjects never meet in one evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class Subject(StrEnum):
    SKU = "sku"  # one SKU in one warehouse ("sku:<sku>")
    LOT = "lot"  # one lot of a SKU on hand in a warehouse ("lot:<sku>/<lot>")
    COUNT = "count"  # one counted line of a recent cycle count ("count:<task>/<step>")
    ZONE = "zone"  # the located devices of one zone, or of one location ("zone:<zone>")


@dataclass(frozen=True, slots=True)
class FactInfo:
    subject: Subject
    meaning: str
    when: str = "always"  # when the fact is present (a rule is skipped where it is not)


_POLICY = "after a planning run computed the SKU's policy"
_TEMP = "when a located device read temperature (celsius) there in the last 15 minutes"
_HUMID = "when a located device read humidity (percent) there in the last 15 minutes"
_COST = "when the SKU has a unit cost (planning settings or the SKU's unit value)"
FACTS: Mapping[str, FactInfo] = MappingProxyType({
    "on_hand": FactInfo(Subject.SKU, "quantity in the warehouse, any status"),
    "available": FactInfo(Subject.SKU, "quantity in the warehouse with status available"),
    "allocated": FactInfo(Subject.SKU, "reserved for open order lines and not yet shipped"),
    "idle_days": FactInfo(Subject.SKU, "days since the SKU last left the warehouse (pick or "
                                       "ship), or since its first move there if it never left",
                          "when the SKU has item moves in the warehouse"),
    "unit_cost": FactInfo(Subject.SKU, "cost of one unit", _COST),
    "stock_value": FactInfo(Subject.SKU, "on_hand × unit_cost", _COST),
    "safety_stock": FactInfo(Subject.SKU, "computed safety stock", _POLICY),
    "reorder_point": FactInfo(Subject.SKU, "computed reorder point", _POLICY),
    "max_level": FactInfo(Subject.SKU, "computed order-up-to level", _POLICY),
    "demand_daily": FactInfo(Subject.SKU, "forecast demand per day", _POLICY),
    "days_of_supply": FactInfo(Subject.SKU, "available / demand_daily", _POLICY),
    "abc_class": FactInfo(Subject.SKU, "'A', 'B' or 'C' by value of demand", _POLICY),
    "xyz_class": FactInfo(Subject.SKU, "'X', 'Y' or 'Z' by variability of demand", _POLICY),
    "days_to_expiry": FactInfo(Subject.LOT, "days from today to the lot's expiry (negative: "
                                            "expired)", "when the lot's expiry is known"),
    "lot_quantity": FactInfo(Subject.LOT, "quantity of the lot in the warehouse",
                             "when the lot's expiry is known"),
    "count_variance": FactInfo(Subject.COUNT, "counted − expected, in units (counts of the "
                                              "last 7 days, the latest per place)"),
    "count_variance_pct": FactInfo(Subject.COUNT, "count_variance as a percentage of the "
                                                  "expected quantity (±100 when 0 was expected)"),
    "counted": FactInfo(Subject.COUNT, "the quantity the counter found"),
    "expected": FactInfo(Subject.COUNT, "what the ledger expected at the moment of counting"),
    "temperature_now": FactInfo(Subject.ZONE, "°C: the warmest of each probe's latest reading",
                                _TEMP),
    "temperature_min_15m": FactInfo(Subject.ZONE, "°C: lowest reading of the last 15 minutes",
                                    _TEMP),
    "temperature_max_15m": FactInfo(Subject.ZONE, "°C: highest reading of the last 15 minutes",
                                    _TEMP),
    "temperature_minutes": FactInfo(Subject.ZONE, "how many of the last 15 minutes hold a "
                                                  "temperature reading (15: no gap)", _TEMP),
    "humidity_now": FactInfo(Subject.ZONE, "%: the highest of each probe's latest reading",
                             _HUMID),
    "humidity_max_15m": FactInfo(Subject.ZONE, "%: highest reading of the last 15 minutes",
                                 _HUMID),
})
FACT_NAMES: frozenset[str] = frozenset(FACTS)


def names_of(subject: Subject) -> frozenset[str]:
    return frozenset(n for n, info in FACTS.items() if info.subject is subject)


def subjects_of(names: Iterable[str]) -> set[Subject]:
    """The subjects the (known) names belong to: a rule needs exactly one."""
    return {FACTS[n].subject for n in names if n in FACTS}
