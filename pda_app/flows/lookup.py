"""Look-up: scan anything, learn what it is and where it is. Plans hub queries, reads answers.

Rule kept here: a pallet label asks for the unit, a GTIN asks search, any other text asks
search and the stock of a location of that name; a lot (AI 10, or text) also asks its trace
and a serial (AI 21, or text) the serial, for a summary: where it is now, how much, on hold or
not, where it came from and went. Whatever the hub answers (or does not) becomes lines a picker
can read, never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from pda_app.flows.feedback import Feedback, Local
from pda_app.flows.scan import read_scan

MAX_LINES = 16
PLACES_SHOWN = 4  # a lot in many bins: the first few, then how many more
TRACE_PAGE = "50"  # the trace answers as many holdings as its page: enough to sum them


@dataclass(frozen=True, slots=True)
class Query:
    path: str
    params: tuple[tuple[str, str], ...] = ()
    role: str = "search"  # unit | search | stock | trace | serial


@dataclass(frozen=True, slots=True)
class LookupView:
    title: str
    lines: tuple[str, ...]
    feedback: Feedback


def plan(raw: str, warehouse: str | None, today: date) -> tuple[Query, ...] | Feedback:
    """The hub queries that answer a scan, or the feedback when the scan cannot be read."""
    seen = read_scan(raw, today)
    if not seen.readable:
        return Feedback.error(Local.UNREADABLE, f"Could not read that ({seen.error})")
    where = (("warehouse", warehouse),) if warehouse else ()
    if seen.sscc or seen.epc:
        key = seen.sscc or seen.epc or ""
        return (Query(f"/api/v1/units/{quote(key, safe='')}", (), "unit"),)
    term = seen.gtin or seen.lot or seen.text
    queries = [Query("/api/v1/search", (("q", term), *where), "search")]
    if seen.gtin is not None and seen.gtin.startswith("0"):
        # A GTIN-13 master record is stored without the GTIN-14 padding zero.
        queries.append(Query("/api/v1/search", (("q", seen.gtin[1:]), *where), "search"))
    if seen.gtin is None:
        queries.append(Query("/api/v1/stock", (("location", seen.text), *where), "stock"))
    plain = seen.text if seen.gtin is None else None
    lot, serial = seen.lot or plain, seen.serial or plain
    if lot and warehouse:
        asked = (("lot", lot), *where, ("limit", TRACE_PAGE))
        queries.append(Query("/api/v1/trace", asked, "trace"))
    if serial:
        queries.append(Query("/api/v1/serials", (("serial", serial),), "serial"))
    return tuple(queries)


Answer = tuple[Query, int, object]  # (query, HTTP status, decoded JSON body)


def describe(scanned: str, answers: Sequence[Answer]) -> LookupView:
    """Turn the hub's answers into what the look-up screen shows."""
    lines: list[str] = []
    title = scanned.strip()
    for query, status, body in answers:
        if status != 200:
            continue
        if query.role == "unit" and isinstance(body, Mapping):
            title, found = _unit(body)
            lines.extend(found)
        elif query.role == "search" and isinstance(body, list):
            lines.extend(_search(body))
        elif query.role == "stock" and isinstance(body, list) and body:
            lines.append(f"Location {title} holds:")
            lines.extend(_stock(body))
        elif query.role == "trace" and isinstance(body, Mapping):
            lines[:0] = _trace(body)  # the lot's summary first: it is what was asked
        elif query.role == "serial" and isinstance(body, Mapping):
            lines[:0] = _serials(body.get("serials"))
    if not lines:
        return LookupView(title, (), Feedback.error("not_found", f"Nothing known as {title}"))
    shown = tuple(dict.fromkeys(lines))[:MAX_LINES]
    if any(line.startswith("ON HOLD") for line in shown):  # amber: some of it must not move
        return LookupView(title, shown, Feedback.warn("held", f"{title}: some of it is on hold"))
    return LookupView(title, shown, Feedback.ok("found", f"{len(shown)} line(s) for {title}"))


def _unit(body: Mapping[str, object]) -> tuple[str, list[str]]:
    key = str(body.get("unit_key") or body.get("sscc") or body.get("epc") or "?")
    lines = [f"Pallet {key}", f"At {body.get('location') or 'nowhere (left the site)'}"]
    contents = body.get("contents")
    if isinstance(contents, list):
        lines.extend(_stock(contents))
    return key, lines


def _trace(body: Mapping[str, object]) -> list[str]:
    """A lot's trace summary: how much where now (held flagged), from whom, for which orders."""
    found = body.get("now")
    now: Mapping[str, object] = found if isinstance(found, Mapping) else {}
    lots = _rows(body.get("lots"))
    name = ", ".join(f"{k.get('lot')} ({k.get('sku')})" for k in lots) or "?"
    places = _rows(now.get("at_locations"))
    held = sum(_float(h.get("quantity")) for h in places if h.get("status") != "available")
    lines = [f"Lot {name}: {_number(now.get('on_hand', 0))} on hand in "
             f"{len({h.get('location') for h in places})} location(s)"]
    if held:
        lines.append(f"ON HOLD: {_number(held)} - do not pick")
    for h in places[:PLACES_SHOWN]:
        status = h.get("status")
        flag = f" ({status})" if status and status != "available" else ""
        lines.append(f"  {h.get('location')}: {_number(h.get('quantity'))}{flag}")
    if len(places) > PLACES_SHOWN:
        lines.append(f"  ... and {len(places) - PLACES_SHOWN} more location(s)")
    receipts = _rows(body.get("receipts"))
    if receipts:
        lines.append("From " + ", ".join(f"{r.get('supplier') or 'unknown supplier'} "
                                         f"({r.get('receipt_id')})" for r in receipts[:3]))
    orders = _rows(body.get("orders"))
    if orders:
        lines.append("Orders " + ", ".join(f"{o.get('order_id')} ({o.get('state')})"
                                           for o in orders[:3]))
    return lines


def _serials(rows: object) -> list[str]:
    lines = []
    for s in _rows(rows)[:3]:
        lot = f" lot {s['lot']}" if s.get("lot") else ""
        where = f"at {s.get('location')}" if s.get("in_stock") else "gone out"
        unit = f" in {s['unit_key']}" if s.get("unit_key") else ""
        lines.append(f"Serial {s.get('serial')} ({s.get('sku')}{lot}): {where}{unit}")
    return lines


def _rows(value: object) -> list[Mapping[str, object]]:
    return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []


def _float(value: object) -> float:
    try:
        return float(str(value))
    except ValueError:
        return 0.0


def _search(rows: list[object]) -> list[str]:
    out = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        kind, where = row.get("kind", "?"), row.get("location")
        if kind == "location":
            out.append(f"Location {where}")
            continue
        if kind in ("sscc", "epc"):
            out.append(f"Pallet {row.get('unit_key') or row.get('match')} at {where}")
            continue
        lot = f" lot {row['lot']}" if row.get("lot") else ""
        quantity = row.get("quantity")
        amount = f": {_number(quantity)}" if quantity is not None else ""
        what = row.get("sku") or row.get("match") or "?"
        out.append(f"{what}{lot} at {where}{amount}")
    return out


def _stock(rows: list[object]) -> list[str]:
    out = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        lot = f" lot {row['lot']}" if row.get("lot") else ""
        status = row.get("status")
        flag = f" ({status})" if status and status != "available" else ""
        out.append(f"  {row.get('sku', '?')}{lot}: {_number(row.get('quantity'))}{flag}")
    return out


def _number(value: object) -> str:
    text = str(value)
    return text[:-2] if text.endswith(".0") else text
