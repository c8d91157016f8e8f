"""The lots projection on real PostgreSQL: fed by item and pallet-content expiries of every
applied move, a conflicting expiry kept beside the first (the first reported holds, and an
exception is opened), and a read before any refresh equal to one after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.work.pg import lots
from protocol import ItemLine
from tests.ledger.factories import SITE, at, item_move, unit_move

pytestmark = pytest.mark.integration


@pytest.fixture
def conn(fresh_db_url: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        upsert_locations(c, [Location(code, "WH1", "bin") for code in SITE])
        yield c


def _applied(conn: psycopg.Connection, *moves: object) -> None:
    result = apply_batch(conn, moves, "test")  # type: ignore[arg-type]
    assert result.rejected == 0


def test_expiries_from_items_and_pallets_first_holds_conflicts_kept(
        conn: psycopg.Connection) -> None:
    first = item_move("S1", 5, None, "BIN-A", lot="A", t=0)
    first = first.model_copy(update={"item": first.item.model_copy(  # type: ignore[union-attr]
        update={"expiry": date(2027, 3, 1)})})
    pallet = unit_move("106141411234567897", None, "DOCK-1", t=1, contents=(
        ItemLine(sku="S1", lot="B", quantity=Decimal(4), expiry=date(2026, 12, 20)),
        ItemLine(sku="S1", lot="A", quantity=Decimal(1), expiry=date(2026, 12, 24))))
    no_lot = item_move("S2", 1, None, "BIN-B", t=2)
    no_lot = no_lot.model_copy(update={"item": ItemLine(sku="S2", quantity=Decimal(1),
                                                        expiry=date(2026, 1, 1))})
    _applied(conn, first, pallet, no_lot)
    keys = [("S1", "A"), ("S1", "B"), ("S2", "")]
    before = lots.lot_infos(conn, keys)  # nothing refreshed yet: all from the tail
    assert lots.refresh(conn).through_seq > 0
    after = lots.lot_infos(conn, keys)
    assert before == after
    assert {k: v.expiry for k, v in after.items()} == {
        ("S1", "A"): date(2027, 3, 1), ("S1", "B"): date(2026, 12, 20)}
    assert after[("S1", "A")].received_at == at(0)
    conflicts = conn.execute("SELECT sku, lot, expiries FROM lot_expiry_conflicts").fetchall()
    assert conflicts == [("S1", "A", [date(2026, 12, 24), date(2027, 3, 1)])]
    opened = conn.execute("SELECT kind, sku, lot, detail->>'reported' FROM lot_exceptions "
                          "WHERE resolved_at IS NULL").fetchall()
    assert opened == [("expiry_conflict", "S1", "A", "2026-12-24")]


def test_refresh_is_incremental_and_a_reader_adds_what_is_above_the_watermark(
        conn: psycopg.Connection) -> None:
    def received(lot: str, expiry: date, t: float) -> object:
        move = item_move("S9", 1, None, "BIN-C", lot=lot, t=t, event_id=uuid.uuid4())
        return move.model_copy(update={"item": move.item.model_copy(  # type: ignore[union-attr]
            update={"expiry": expiry})})

    _applied(conn, received("X", date(2027, 1, 1), 0))
    lots.refresh(conn)
    _applied(conn, received("X", date(2026, 6, 1), 5), received("Y", date(2028, 1, 1), 6))
    mid = lots.expiries(conn, [("S9", "X"), ("S9", "Y")])
    assert mid == {("S9", "X"): date(2027, 1, 1), ("S9", "Y"): date(2028, 1, 1)}
    assert lots.refresh(conn).cells == 2 and lots.refresh(conn).cells == 0
    assert lots.expiries(conn, [("S9", "X"), ("S9", "Y")]) == mid
    rows = conn.execute("SELECT count(*) FROM lot_expiry_reports WHERE sku = 'S9'").fetchone()
    assert rows == (3,)


def test_production_and_best_before_dates_from_events_fill_the_master(
        conn: psycopg.Connection) -> None:
    scanned = item_move("S5", 2, None, "BIN-A", lot="P", t=0)
    scanned = scanned.model_copy(update={"item": scanned.item.model_copy(  # type: ignore[union-attr]
        update={"production_date": date(2026, 1, 15), "best_before": date(2027, 1, 15)})})
    later = item_move("S5", 1, None, "BIN-A", lot="P", t=1, event_id=uuid.uuid4())
    later = later.model_copy(update={"item": later.item.model_copy(  # type: ignore[union-attr]
        update={"production_date": date(2026, 2, 1)})})
    _applied(conn, scanned, later)
    lots.refresh(conn)
    row = conn.execute("SELECT production_date, best_before, expiry FROM lots "
                       "WHERE sku = 'S5' AND lot = 'P'").fetchone()
    assert row == (date(2026, 1, 15), date(2027, 1, 15), None)  # the first dates hold
