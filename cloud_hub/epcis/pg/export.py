"""Reading a slice of `moves` as a streamed EPCIS 2.0 document, one bounded page at a time.

Rule kept here: memory does not grow with the slice. Rows are read in keyset pages of PAGE
moves ordered by (occurred_at, seq), each page its own short statement on a connection taken
for that page only (a slow reader holds no connection and no snapshot between pages), and each
page leaves as one piece of the document; at most two pages are held: the one being encoded
and the next, read meanwhile on one worker thread (PostgreSQL's time hides behind the
encoding's, on another core). A move arriving late with an earlier time than the page being
read is in the next export, not this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

import psycopg

from cloud_hub.epcis.events import (
    DOCUMENT_TAIL,
    MoveRow,
    Places,
    document_head,
    encode_events,
    events_of,
)
from cloud_hub.epcis.query import EpcisQuery

PAGE = 500  # moves a page: ~3 MB of Python objects at most
Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]

# Where a unit was when an item went into or out of it: the place of its latest observed unit
# move among those applied before (the ledger's unit location at that moment, ledger/decide.py).
# A scalar subquery under CASE runs only for those moves; a LATERAL join set up its subplan for
# every row, two thirds of the page's time in PostgreSQL.
_UNIT_PLACE = """CASE WHEN m.unit_key IS NOT NULL AND m.sku IS NOT NULL THEN (
        SELECT u.to_location FROM moves u
         WHERE u.unit_key = m.unit_key AND u.sku IS NULL AND u.seq < m.seq
         ORDER BY u.occurred_at DESC, u.seq DESC LIMIT 1) END"""
# ISO 8601 in UTC: the timestamp's own text form ('2026-01-01 08:00:00.25') with a T and a Z —
# two thirds of to_char's time (which parses its format string for every row). That text form
# is ISO only under DateStyle ISO (PostgreSQL's default); under any other, to_char.
_UTC = "replace((m.{0} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"
_UTC_ANY_STYLE = "to_char(m.{0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
# MoveRow's fields in order, then the row's occurred_at for the next page's key.
EXPORT_COLUMNS = """
    m.seq, m.event_id::text, {occurred}, {received}, m.warehouse, m.source_kind, m.device_id,
    m.read_point, m.unit_key, m.sku, coalesce(m.payload->'item'->>'gtin', s.gtin), m.lot,
    m.quantity::float8, m.payload->'item'->>'uom', m.stock_status, m.payload->>'to_status',
    m.payload->'item'->>'serial', (m.payload->'contents')::text, m.from_location,
    m.to_location, m.reason, m.task_id, {place}, {orders}, m.occurred_at"""
# The orders a pick was for: its task's step at the move's bin, SKU and lot names the order
# (work's step links; a wave's task picks for several orders). A task is read by its key, and
# only for pick moves.
_PICK_ORDERS = """CASE WHEN m.reason = 'pick' AND m.task_id IS NOT NULL THEN ARRAY(
        SELECT DISTINCT t.links->(st->>'step_id')->>'order_id'
          FROM work_tasks t CROSS JOIN LATERAL jsonb_array_elements(t.doc->'steps') st
         WHERE t.task_id = m.task_id AND st->>'location' = m.from_location
           AND st->>'sku' = m.sku AND coalesce(st->>'lot', '') = coalesce(m.lot, '')
           AND t.links->(st->>'step_id')->>'order_id' IS NOT NULL ORDER BY 1) END"""


def load_glns(conn: psycopg.Connection[Any], warehouse: str) -> dict[str, tuple[str, str]]:
    """The warehouse's locations the catalog gives a GLN (attributes `gln`, 13 digits, and
    optionally `gln_extension`): code -> (GLN, extension)."""
    rows = conn.execute(
        "SELECT code, attributes->>'gln', coalesce(attributes->>'gln_extension', '') "
        "FROM locations WHERE warehouse = %s AND attributes->>'gln' ~ '^[0-9]{13}$'",
        (warehouse,)).fetchall()
    return {code: (gln, ext) for code, gln, ext in rows}


def _page_sql(where: list[str], keyed: bool, iso: bool = True) -> str:
    conditions = [*where, "(m.occurred_at > %s OR m.seq > %s) AND m.occurred_at >= %s"] \
        if keyed else where
    time = _UTC if iso else _UTC_ANY_STYLE
    columns = EXPORT_COLUMNS.format(occurred=time.format("occurred_at"),
                                    received=time.format("received_at"), place=_UNIT_PLACE,
                                    orders=_PICK_ORDERS)
    return (f"SELECT {columns} FROM moves m LEFT JOIN skus s ON s.sku = m.sku"
            f" WHERE {' AND '.join(conditions)} "
            f"ORDER BY m.occurred_at, m.seq LIMIT %s")


def export(connect: Connect, query: EpcisQuery, creation_date: str,
           page: int = PAGE) -> Iterator[bytes]:
    """The EPCIS document of `query`'s slice, piece by piece. The first piece is made only
    once the first page has been read, so an error of the read surfaces before any byte."""
    with connect() as conn:
        glns = load_glns(conn, query.warehouse)
    places = Places(glns)
    query = replace(query, glns={places.uri(query.warehouse, code): code for code in glns})
    where, values = query.prefilter()
    keeps = query.keeps if query.filters_events else None

    def fetch(key: tuple[Any, ...] | None) -> list[tuple[Any, ...]]:
        with connect() as conn:
            iso = (conn.info.parameter_status("DateStyle") or "").startswith("ISO")
            return conn.execute(_page_sql(where, key is not None, iso),
                                [*values, *(key or ()), page]).fetchall()

    rows = fetch(None)  # before the head: a refused read fails the request, not its body
    yield document_head(creation_date)
    first = True
    with ThreadPoolExecutor(1, thread_name_prefix="epcis-read") as reader:
        while True:
            last = rows[-1] if len(rows) == page else None
            upcoming = reader.submit(fetch, (last[-1], last[0], last[-1])) if last else None
            chunk = encode_events(_events(rows, places, keeps), first)
            if chunk:
                first = False
                yield chunk
            if upcoming is None:
                break
            rows = upcoming.result()
    yield DOCUMENT_TAIL


def _events(rows: list[tuple[Any, ...]], places: Places,
            keeps: Callable[[Mapping[str, Any]], bool] | None) -> list[dict[str, Any]]:
    events = [event for row in rows for event in events_of(MoveRow._make(row[:-1]), places)]
    return events if keeps is None else [event for event in events if keeps(event)]
