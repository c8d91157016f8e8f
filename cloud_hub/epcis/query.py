"""Which slice of the ledger an export holds: the EPCIS 2.0 query parameters the hub answers.

Rule kept here: a query is hostile input. Only the parameters below are known (anything else is
refused, so a misspelt filter never silently exports everything); each value is bounded; a
list (repeated or comma-separated, as the EPCIS REST binding writes it) holds at most
MAX_VALUES; times carry a time zone. The database narrows rows with what it can index
(`prefilter`); every event is then checked against the whole query (`keeps`), so a filter the
database cannot apply exactly still answers exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cloud_hub.epcis.identifiers import location_of, unit_key_of

MAX_VALUES = 100
MAX_TEXT = 512
EPCIS_PARAMETERS = ("eventType", "GE_eventTime", "LT_eventTime", "MATCH_epc", "MATCH_anyEPC",
                    "EQ_bizStep", "EQ_bizLocation")
# StockPulse's own: the warehouse (the scope every read names) and a lot's quantities.
OWN_PARAMETERS = ("warehouse", "lot")
KNOWN = frozenset(EPCIS_PARAMETERS + OWN_PARAMETERS)
CBV_STEP_PREFIXES = ("https://ref.gs1.org/cbv/BizStep-", "https://gs1.org/voc/BizStep-",
                     "urn:epcglobal:cbv:bizstep:")
ALL_EVENT_TYPES = frozenset({"ObjectEvent", "AggregationEvent", "TransactionEvent",
                             "TransformationEvent", "AssociationEvent"})


class QueryError(ValueError):
    """A query the hub refuses, with what to fix."""


@dataclass(frozen=True, slots=True)
class EpcisQuery:
    warehouse: str
    event_types: frozenset[str] = frozenset()
    since: datetime | None = None  # GE_eventTime
    before: datetime | None = None  # LT_eventTime
    epcs: frozenset[str] = frozenset()  # MATCH_epc
    any_epcs: frozenset[str] = frozenset()  # MATCH_anyEPC
    biz_steps: frozenset[str] = frozenset()
    biz_locations: frozenset[str] = frozenset()
    lot: str | None = None
    glns: Mapping[str, str] = field(default_factory=dict)  # SGLN URI -> code (Places)

    @property
    def filters_events(self) -> bool:
        """Whether `keeps` can refuse an event (the database alone answers the others)."""
        return bool(self.event_types or self.biz_steps or self.biz_locations or self.epcs
                    or self.any_epcs)

    def keeps(self, event: Mapping[str, Any]) -> bool:
        """Whether an event answers the query (times and warehouse are the database's)."""
        if self.event_types and event["type"] not in self.event_types:
            return False
        if self.biz_steps and event.get("bizStep") not in self.biz_steps:
            return False
        if self.biz_locations and event.get("bizLocation", {}).get("id") not in self.biz_locations:
            return False
        if self.epcs and self.epcs.isdisjoint(event.get("epcList", ())):
            return False
        if self.any_epcs:
            named = {*event.get("epcList", ()), *event.get("childEPCs", ())}
            if "parentID" in event:
                named.add(event["parentID"])
            if self.any_epcs.isdisjoint(named):
                return False
        return True

    def prefilter(self) -> tuple[list[str], list[Any]]:
        """SQL conditions on `moves m` (and their values) that keep every row whose events
        the query may keep; `keeps` decides exactly."""
        where: list[str] = ["m.warehouse = %s"]
        values: list[Any] = [self.warehouse]
        if self.since is not None:
            where.append("m.occurred_at >= %s")
            values.append(self.since)
        if self.before is not None:
            where.append("m.occurred_at < %s")
            values.append(self.before)
        if self.lot is not None:
            where.append("m.lot = %s")
            values.append(self.lot)
        if self.event_types and not self.event_types & {"ObjectEvent", "AggregationEvent"}:
            where.append("false")  # the ledger makes no other kind
        elif self.event_types == {"AggregationEvent"}:
            where.append("m.unit_key IS NOT NULL AND m.sku IS NOT NULL")
        for uris in (self.epcs, self.any_epcs):
            keys = {unit_key_of(u) for u in uris}
            if uris and None not in keys:  # every value names a unit by the ledger's key
                where.append("m.unit_key = ANY(%s)")
                values.append(sorted(k for k in keys if k is not None))
        if self.biz_locations:
            codes = sorted({found[1] for u in self.biz_locations
                            if (found := location_of(u, dict(self.glns))) is not None
                            and found[0] in ("", self.warehouse)})
            where.append("(m.to_location = ANY(%s) OR m.from_location = ANY(%s))")
            values += [codes, codes]
        return where, values


def _printable(text: str, name: str) -> None:
    if any(ord(c) < 32 for c in text):
        raise QueryError(f"{name} holds a control character")


def _values(raw: Iterable[str], name: str) -> frozenset[str]:
    out: set[str] = set()
    for text in raw:
        _printable(text, name)
        if len(text) > MAX_TEXT * MAX_VALUES:
            raise QueryError(f"{name} is longer than {MAX_TEXT * MAX_VALUES} characters")
        out.update(v.strip() for v in text.split(",") if v.strip())
    if len(out) > MAX_VALUES:
        raise QueryError(f"{name} lists more than {MAX_VALUES} values")
    if long := next((v for v in out if len(v) > MAX_TEXT), None):
        raise QueryError(f"a value of {name} is longer than {MAX_TEXT} characters: "
                         f"{long[:40]!r}...")
    return frozenset(out)


def _biz_steps(values: frozenset[str]) -> frozenset[str]:
    """CBV bizSteps as the bare words events carry, from any of their CBV spellings."""
    out = set()
    for value in values:
        for prefix in CBV_STEP_PREFIXES:
            if value.startswith(prefix):
                value = value[len(prefix):]
                break
        out.add(value)
    return frozenset(out)


def _one(raw: list[str], name: str) -> str:
    if len(raw) != 1:
        raise QueryError(f"{name} is given {len(raw)} times; give it once")
    value = raw[0].strip()
    _printable(value, name)
    if not value or len(value) > MAX_TEXT:
        raise QueryError(f"{name} must be 1 to {MAX_TEXT} characters")
    return value


def _time(raw: list[str], name: str) -> datetime:
    text = _one(raw, name)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"{name} is not an ISO 8601 time: {text[:40]!r}") from None
    if value.tzinfo is None:
        raise QueryError(f"{name} needs a time zone (e.g. 2026-11-01T08:00:00Z)")
    return value


def parse_query(params: Mapping[str, list[str]], warehouse: str,
                glns: Mapping[str, str] | None = None) -> EpcisQuery:
    """An EpcisQuery from query parameters (name -> every value given), or QueryError."""
    unknown = sorted(set(params) - KNOWN)
    if unknown:
        raise QueryError(f"unknown query parameter(s) {', '.join(map(repr, unknown[:5]))}; "
                         f"this hub answers {', '.join(sorted(KNOWN))}")
    types = _values(params.get("eventType", []), "eventType")
    if bad := sorted(types - ALL_EVENT_TYPES):
        raise QueryError(f"eventType {bad[0]!r} is not an EPCIS event type; one of "
                         f"{', '.join(sorted(ALL_EVENT_TYPES))}")
    since = _time(params["GE_eventTime"], "GE_eventTime") if "GE_eventTime" in params else None
    before = _time(params["LT_eventTime"], "LT_eventTime") if "LT_eventTime" in params else None
    if since is not None and before is not None and before <= since:
        raise QueryError("LT_eventTime must be later than GE_eventTime")
    return EpcisQuery(
        warehouse=warehouse, event_types=types, since=since, before=before,
        epcs=_values(params.get("MATCH_epc", []), "MATCH_epc"),
        any_epcs=_values(params.get("MATCH_anyEPC", []), "MATCH_anyEPC"),
        biz_steps=_biz_steps(_values(params.get("EQ_bizStep", []), "EQ_bizStep")),
        biz_locations=_values(params.get("EQ_bizLocation", []), "EQ_bizLocation"),
        lot=_one(params["lot"], "lot") if "lot" in params else None,
        glns=dict(glns or {}))
