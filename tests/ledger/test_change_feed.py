"""The change feed on the real PostgreSQL: every move once, in seq order, resumable, never
past a move an open transaction may still commit; balances and units as they are now."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger.pg.changes import ChangePage, CursorAhead, read_changes
from cloud_hub.ledger.pg.store import apply_batch
from tests.ledger.factories import SITE, item_move, line, unit_move

pytestmark = pytest.mark.integration


@pytest.fixture
def ledger_url(fresh_db_url: str) -> str:
    with connect(fresh_db_url) as conn:
        upsert_locations(conn, [Location(c, "WH1", "bin") for c in SITE]
                         + [Location("WH2-BIN", "WH2", "bin")])
    return fresh_db_url


@pytest.fixture
def conn(ledger_url: str) -> Iterator[psycopg.Connection]:
    with connect(ledger_url) as c:
        yield c


def drain(conn: psycopg.Connection, after: int = 0, limit: int = 2, **kw: object
          ) -> tuple[list[int], int]:
    """Every page from `after` on, as a consumer would: (seqs seen, final cursor)."""
    seen: list[int] = []
    while True:
        page = read_changes(conn, after, warehouse=kw.get("warehouse"), limit=limit)  # type: ignore[arg-type]
        seen += [m.seq for m in page.moves]
        after = page.next_cursor
        if not page.more:
            return seen, after


def test_pages_carry_every_move_once_in_order_and_resume(conn: psycopg.Connection) -> None:
    apply_batch(conn, [item_move("S1", 10, None, "BIN-A", t=i) for i in range(5)], "t")
    seen, cursor = drain(conn)
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 5
    assert drain(conn, cursor) == ([], cursor), "nothing new: the same cursor comes back"
    apply_batch(conn, [item_move("S1", 1, "BIN-A", "BIN-B", t=9)], "t")
    more, _ = drain(conn, cursor)
    assert len(more) == 1 and more[0] > seen[-1]


def test_a_page_shows_the_balances_it_touched_as_they_are_now(conn: psycopg.Connection
                                                             ) -> None:
    apply_batch(conn, [item_move("S1", 10, None, "BIN-A"),
                       item_move("S1", 10, "BIN-A", "BIN-B", t=1)], "t")
    page = read_changes(conn, 0, warehouse=None)
    now = {(b.location, b.sku, b.lot, b.status): b.quantity for b in page.balances}
    assert now == {("BIN-A", "S1", "L1", "available"): 0,
                   ("BIN-B", "S1", "L1", "available"): Decimal(10)}
    assert [(m.reason, m.from_location, m.to_location, m.quantity) for m in page.moves] == [
        ("receive", None, "BIN-A", 10), ("transfer", "BIN-A", "BIN-B", 10)]


def test_a_unit_move_shows_the_unit_and_its_contents_balances(conn: psycopg.Connection
                                                             ) -> None:
    apply_batch(conn, [unit_move("106141411234567897", None, "DOCK-1",
                                 contents=(line("S2", 4),))], "t")
    first = read_changes(conn, 0, warehouse=None)
    apply_batch(conn, [unit_move("106141411234567897", "DOCK-1", "BIN-C", t=5)], "t")
    page = read_changes(conn, first.next_cursor, warehouse=None)
    assert [u.location for u in page.units] == ["BIN-C"]
    now = {(b.location, b.sku): b.quantity for b in page.balances}
    assert now == {("DOCK-1", "S2"): 0, ("BIN-C", "S2"): 4}


def test_a_warehouse_sees_only_its_moves(conn: psycopg.Connection) -> None:
    apply_batch(conn, [item_move("S1", 1, None, "BIN-A"),
                       item_move("S9", 2, None, "WH2-BIN", wh="WH2")], "t")
    page = read_changes(conn, 0, warehouse="WH2")
    assert [(m.warehouse, m.sku) for m in page.moves] == [("WH2", "S9")]


def _open_writer(url: str, holding: threading.Event, release: threading.Event) -> None:
    """A transaction that draws a seq and stays open until told to commit."""
    with psycopg.connect(url) as c:
        apply_batch_in_open_transaction(c)
        holding.set()
        release.wait(30)
        c.commit()


def apply_batch_in_open_transaction(c: psycopg.Connection) -> None:
    c.execute("INSERT INTO moves (event_id, occurred_at, warehouse, source_kind, device_id, "
              "reason, outcome, sku, quantity, to_location, payload) VALUES "
              "(gen_random_uuid(), now(), 'WH1', 'pda', 'pda-9', 'receive', 'applied', 'S7', "
              "1, 'BIN-C', '{}')")


def test_the_feed_never_passes_a_move_an_open_transaction_may_still_commit(
        ledger_url: str, conn: psycopg.Connection) -> None:
    apply_batch(conn, [item_move("S1", 1, None, "BIN-A")], "t")
    start = read_changes(conn, 0, warehouse=None).next_cursor
    holding, release = threading.Event(), threading.Event()
    writer = threading.Thread(target=_open_writer, args=(ledger_url, holding, release))
    writer.start()
    try:
        assert holding.wait(30)
        apply_batch(conn, [item_move("S1", 1, None, "BIN-B", t=2)], "t")  # a later seq, committed
        stuck: ChangePage = read_changes(conn, start, warehouse=None, wait_s=0.2)
        assert (stuck.moves, stuck.next_cursor, stuck.settled) == ([], start, False)
    finally:
        release.set()
        writer.join(30)
    page = read_changes(conn, start, warehouse=None)
    assert sorted(m.sku for m in page.moves) == ["S1", "S7"], "both, once the writer is done"
    assert [m.seq for m in page.moves] == sorted(m.seq for m in page.moves)


def test_a_cursor_from_elsewhere_is_refused_not_silently_skipped(conn: psycopg.Connection
                                                                ) -> None:
    apply_batch(conn, [item_move("S1", 1, None, "BIN-A")], "t")
    with pytest.raises(CursorAhead, match="restored"):
        read_changes(conn, 10_000, warehouse=None)
