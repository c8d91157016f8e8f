"""A move's row keeps its whole event: the columns plus `payload` (only what they lack)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger import MoveStatus, Outcome
from cloud_hub.ledger.pg.plan import _move_fields, payload_json
from cloud_hub.ledger.pg.rebuild import check_consistency
from cloud_hub.ledger.pg.rows import EVENT_COLUMNS, event_from_row, rest_json
from cloud_hub.ledger.pg.store import apply_batch
from protocol import ItemLine, Reason, Source, SourceKind, StockMoved, UnitRef
from tests.ledger.factories import SITE, item_move, line, unit_move

codes = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")),
                min_size=1, max_size=12)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**6), places=3,
                         allow_nan=False, allow_infinity=False)
zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=zones)


@st.composite
def item_lines(draw: st.DrawFn) -> ItemLine:
    sku = draw(st.none() | codes)
    gtin = draw(st.from_regex(r"\A[0-9]{13}\Z")) if sku is None else \
        draw(st.none() | st.from_regex(r"\A[0-9]{8}\Z"))
    return ItemLine(sku=sku, gtin=gtin, lot=draw(st.none() | codes),
                    serial=draw(st.none() | codes),
                    expiry=draw(st.none() | st.dates(date(2020, 1, 1), date(2040, 1, 1))),
                    production_date=draw(st.none() | st.dates(date(2020, 1, 1),
                                                              date(2040, 1, 1))),
                    best_before=draw(st.none() | st.dates(date(2020, 1, 1), date(2040, 1, 1))),
                    quantity=draw(quantities), uom=draw(st.sampled_from(["EA", "KG", "CS"])),
                    status=draw(st.sampled_from(["available", "quarantine", "damaged"])))


@st.composite
def rich_events(draw: st.DrawFn) -> StockMoved:
    epc = draw(st.none() | st.from_regex(r"\A[0-9A-Fa-f]{24}\Z"))
    sscc = draw(st.from_regex(r"\A[0-9]{18}\Z")) if epc is None else \
        draw(st.none() | st.from_regex(r"\A[0-9]{18}\Z"))
    unit = draw(st.none() | st.just(UnitRef(epc=epc, sscc=sscc)))
    item = draw(item_lines()) if unit is None else draw(st.none() | item_lines())
    contents = tuple(draw(st.lists(item_lines(), max_size=3))) if unit and not item else ()
    frm, to = draw(st.none() | codes), draw(codes)
    if unit is not None and item is not None:
        frm = frm or draw(codes)
    bigint = st.integers(-(2**63 - 1), 2**63 - 1)  # an extra number's range (protocol.bounds)
    extras = draw(st.dictionaries(st.sampled_from(["firmware", "batch_no", "tags"]),
                                  bigint | codes | st.lists(bigint, max_size=2), max_size=2))
    return StockMoved(
        event_id=draw(st.uuids()), occurred_at=draw(times), sent_at=draw(st.none() | times),
        warehouse="WH1", source=Source(kind=draw(st.sampled_from(list(SourceKind))),
                                       device_id=draw(codes), read_point=draw(st.none() | codes)),
        unit=unit, contents=contents, item=item, from_location=frm, to_location=to,
        to_status=draw(st.none() | st.sampled_from(["available", "quarantine"])),
        reason=draw(st.sampled_from(list(Reason))), task_id=draw(st.none() | codes),
        user=draw(st.none() | codes),
        confidence=draw(st.none() | st.floats(0, 1, allow_nan=False)), **extras)


def row_of(event: StockMoved) -> tuple[object, ...]:
    """The row as the apply path writes it (COPY fields) and psycopg reads payload back."""
    fields = _move_fields(event, Outcome(event.event_id, MoveStatus.APPLIED), "test")
    rest = rest_json(event)
    return (*fields[:16], None if rest is None else json.loads(rest))


@settings(max_examples=300, deadline=None)
@given(rich_events())
def test_an_event_comes_back_whole_from_its_columns_and_rest(event: StockMoved) -> None:
    back = event_from_row(row_of(event))
    assert back == event
    assert payload_json(back) == payload_json(event)


def test_a_plain_move_needs_no_payload_and_a_row_from_before_keeps_its_whole_event() -> None:
    plain = item_move("S1", 4, "BIN-A", "BIN-B")
    assert rest_json(plain) is None
    old_row = (*row_of(plain)[:16], json.loads(payload_json(plain)))
    assert event_from_row(old_row) == plain
    dated = item_move("S1", 4, None, "BIN-A", lot="L9")
    dated = dated.model_copy(update={"item": dated.item.model_copy(  # type: ignore[union-attr]
        update={"expiry": date(2027, 3, 1)})})
    assert json.loads(rest_json(dated) or "") == {"item": {"expiry": "2027-03-01"}}


@pytest.mark.integration
def test_stored_moves_read_back_as_the_events_applied(fresh_db_url: str) -> None:
    with connect(fresh_db_url) as conn:
        upsert_locations(conn, [Location(c, "WH1", "bin") for c in SITE])
        pallet = unit_move("000000000000000017", None, "DOCK-1",
                           contents=(line("S1", 5), line("S2", 2)))
        tagged = StockMoved(event_id=uuid.uuid4(), occurred_at=pallet.occurred_at,
                            warehouse="WH1", source=Source(kind="rfid", device_id="gw-1"),
                            unit=UnitRef(epc="30340242201d8840009c4b7f"),
                            contents=(line("S3", 1),), to_location="BIN-C",
                            reason="portal_pass", confidence=0.93, antenna=3)
        events = [item_move("S1", 4, None, "BIN-A"), pallet, tagged,
                  item_move("S1", 1, "BIN-A", "BIN-B", to_status="quarantine")]
        assert apply_batch(conn, events, "test").applied == 4
        rows = conn.execute(f"SELECT {EVENT_COLUMNS} FROM moves ORDER BY seq").fetchall()
        assert [event_from_row(r) for r in rows] == events
        payloads = [r[0] for r in conn.execute("SELECT payload::text FROM moves ORDER BY seq")]
        assert payloads[0] is None  # a plain receipt: the columns hold all of it
        assert conn.execute(  # planning's SQL reads declared contents where it always did
            "SELECT sum((c->>'quantity')::numeric) FROM moves m, "
            "jsonb_array_elements((m.payload->'contents')::jsonb) c").fetchone() == (8,)
        assert check_consistency(conn).ok

