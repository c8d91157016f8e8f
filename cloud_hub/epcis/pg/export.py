"""Reading a slice of `moves` as a streamed EPCIS 2.0 document, one bounded page at a time.

Rule kept here: memory does not grow with the slice. Rows are read in keyset pages of PAGE
moves ordered by (occurred_at, seq), each page its own short statement on a connection taken
for that page only (a slow reader holds no connection and no snapshot between pages), and each
page leaves as one piece of the document before the next is read. A move arriving late with an
earlier time than the page being read is in the next export, not this one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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

_TIME = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'"
# MoveRow's fields in order, then the row's occurred_at for the next page's key.
EXPORT_COLUMNS = f"""
    m.seq, m.event_id::text, to_char(m.occurred_at AT TIME ZONE 'UTC', {_TIME}),
    to_char(m.received_at AT TIME ZONE 'UTC', {_TIME}), m.warehouse, m.source_kind, m.device_id,
    m.read_point, m.unit_key, m.sku, coalesce(m.payload->'item'->>'gtin', s.gtin), m.lot,
    m.quantity::float8, m.payload->'item'->>'uom', m.stock_status, m.payload->>'to_status',
    m.payload->'item'->>'serial', (m.payload->'contents')::text, m.from_location,
    m.to_location, m.reason, m.task_id, p.place, m.occurred_at"""
# Where a unit was when an item went into or out of it: the place of its latest observed unit
# move among those applied before (the ledger's unit location at that moment, ledger/decide.py).
_UNIT_PLACE = """
    LEFT JOIN LATERAL (
        SELECT u.to_location AS place FROM moves u
         WHERE m.unit_key IS NOT NULL AND m.sku IS NOT NULL
           AND u.unit_key = m.unit_key AND u.sku IS NULL AND u.seq < m.seq
         ORDER BY u.occurred_at DESC, u.seq DESC LIMIT 1) p ON true"""


def load_glns(conn: psycopg.Connection[Any], warehouse: str) -> dict[str, tuple[str, str]]:
    """The warehouse's locations the catalog gives a GLN (attributes `gln`, 13 digits, and
    optionally `gln_extension`): code -> (GLN, extension)."""
    rows = conn.execute(
        "SELECT code, attributes->>'gln', coalesce(attributes->>'gln_extension', '') "
        "FROM locations WHERE warehouse = %s AND attributes->>'gln' ~ '^[0-9]{13}$'",
        (warehouse,)).fetchall()
    return {code: (gln, ext) for code, gln, ext in rows}


def _page_sql(where: list[str], keyed: bool) -> str:
    conditions = [*where, "(m.occurred_at > %s OR m.seq > %s) AND m.occurred_at >= %s"] \
        if keyed else where
    return (f"SELECT {EXPORT_COLUMNS} FROM moves m LEFT JOIN skus s ON s.sku = m.sku"
            f"{_UNIT_PLACE} WHERE {' AND '.join(conditions)} "
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
            return conn.execute(_page_sql(where, key is not None),
                                [*values, *(key or ()), page]).fetchall()

    rows = fetch(None)  # before the head: a refused read fails the request, not its body
    yield document_head(creation_date)
    first = True
    while True:
        events = [event for row in rows for event in events_of(MoveRow._make(row[:-1]), places)]
        if keeps is not None:
            events = [event for event in events if keeps(event)]
        chunk = encode_events(events, first)
        if chunk:
            first = False
            yield chunk
        if len(rows) < page:
            break
        last = rows[-1]
        rows = fetch((last[-1], last[0], last[-1]))
    yield DOCUMENT_TAIL
