"""The valuation projection on real PostgreSQL: costs flow from receipt lines to COGS, the
stored layers equal a from-scratch fold of the same moves by the core, refreshing in many small
chunks gives what one refresh gives, and nothing is valued twice."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from cloud_hub.db.database import connect, open_pool
from cloud_hub.valuation.book import Book
from cloud_hub.valuation.ledger import movement_of
from cloud_hub.valuation.model import Method
from cloud_hub.valuation.pg import projection
from cloud_hub.valuation.pg.check import check
from cloud_hub.valuation.pg.follower import ValuationFollower
from cloud_hub.valuation.pg.reports import period_report
from cloud_hub.work.pg.receiving import create_receipt
from cloud_hub.work.receiving import ExpectedReceipt, ReceiptLine
from protocol import ItemLine, StockMoved
from tests.planning.ledger_site import T0, apply, at, move, pallet, site

pytestmark = pytest.mark.integration
D = Decimal


@pytest.fixture
def conn(fresh_db_url: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, "WH1", "WH2")
        create_receipt(c, ExpectedReceipt("R1", "WH1", "WH1-DOCK", (
            ReceiptLine("1", "S1", D(10), "L1", unit_cost=D(3)),
            ReceiptLine("2", "S2", D(10), "L1", unit_cost=D("1.5"), currency="USD",
                        rate=D(7)))), T0)
        create_receipt(c, ExpectedReceipt("R2", "WH1", "WH1-DOCK", (
            ReceiptLine("1", "S1", D(10), "L2", unit_cost=D(4)),)), T0)
        yield c


def received(sku: str, qty: float, receipt: str, day: float, lot: str = "L1") -> StockMoved:
    return move("WH1", sku, qty, None, "WH1-BIN-A", "receive", at(day), lot=lot).model_copy(
        update={"task_id": f"receipt:{receipt}"})


def stock(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    rows = conn.execute("SELECT warehouse, sku, sum(quantity), sum(value) FROM valuation_layers "
                        "GROUP BY 1, 2")
    return {(w, s): (q.normalize(), v) for w, s, q, v in rows}


def totals(conn: psycopg.Connection) -> tuple[Decimal, Decimal]:
    row = conn.execute("SELECT coalesce(sum(cogs), 0), coalesce(sum(adjustments), 0) "
                       "FROM valuation_entries").fetchone()
    assert row is not None
    return row[0], row[1]


def scenario() -> list[StockMoved]:
    return [
        received("S1", 10, "R1", 0),  # 10 x 3 = 30
        received("S1", 10, "R2", 1, lot="L2"),  # 10 x 4 = 40
        received("S2", 4, "R1", 1),  # 4 x 1.5 x 7 = 42 (USD at 7)
        move("WH1", "S1", 5, "WH1-BIN-A", "WH1-BIN-B", "putaway", at(2)),  # inside: no value
        move("WH1", "S1", 5, "WH1-BIN-A", None, "ship", at(3)),  # FIFO 5 x 3
        move("WH1", "S1", 7, "WH1-BIN-A", None, "ship", at(3), lot="L2"),  # 5 x 3 + 2 x 4
        move("WH1", "S1", 1, "WH1-BIN-B", None, "adjust", at(4)),  # a loss: 1 x 4
        move("WH1", "S2", 2, None, "WH1-BIN-A", "count", at(4)),  # a gain at the last cost
        move("WH1", "S2", 1, None, "WH1-BIN-A", "receive", at(5)),  # no receipt: flagged
        pallet("WH1", "000000000000000003", (ItemLine(sku="S1", lot="L3", quantity=D(2)),),
               None, "WH1-BIN-B", "receive", at(6)),  # a pallet's contents: flagged, 2 x 4
    ]


def test_costs_flow_from_receipt_lines_to_cogs(conn: psycopg.Connection) -> None:
    apply(conn, scenario())
    done = projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    assert done.open_writers == 0
    # S1: 7 x 4 left of the receipts, 2 x 4 on the pallet; S2: 7 x 10.50
    assert stock(conn) == {("WH1", "S1"): (D(9), D("36.00")), ("WH1", "S2"): (D(7), D("73.50"))}
    assert totals(conn) == (D("38.00"), D("4.00"))
    reviews = [r for r, in conn.execute("SELECT reason FROM valuation_reviews ORDER BY move_seq")]
    assert reviews == ["receipt without a cost: valued at the last unit cost"] * 2
    # refreshing again values nothing twice
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    assert totals(conn) == (D("38.00"), D("4.00"))
    assert projection.lag(conn)[0] == 0


@pytest.mark.parametrize("method", list(Method))
def test_small_chunks_equal_one_refresh_equal_a_recompute(conn: psycopg.Connection,
                                                          method: Method) -> None:
    moves = scenario()
    moves += [move("WH1", "S1", 3, None, "WH1-BIN-A", "count", T0 + timedelta(days=7 + i))
              for i in range(3)]
    moves += [move("WH1", "S1", 3, "WH1-BIN-A", None, "pick", at(11), lot="L2")]
    moves += [received("S1", 10, "R1", 12)]
    apply(conn, moves[:6])
    projection.refresh(conn, method, "CNY", wait_s=1, chunk=2)
    apply(conn, moves[6:])
    projection.refresh(conn, method, "CNY", wait_s=1, chunk=3)
    # the same moves, folded from scratch by the core in one book
    book = Book(method, "CNY")
    for m in projection.read_moves(conn, 0, 10**9):
        if (movement := movement_of(m, book)) is not None:
            book.apply(movement)
    assert stock(conn) == {(p.warehouse, p.sku): (p.quantity.normalize(), p.value)
                           for p in book.positions() if p.value or p.quantity > 0}
    assert totals(conn) == (book.cogs, book.adjustments)
    layer_value = conn.execute("SELECT coalesce(sum(value), 0) FROM valuation_layers"
                               ).fetchone()
    entry_value = conn.execute("SELECT coalesce(sum(value), 0) FROM valuation_entries"
                               ).fetchone()
    assert layer_value == entry_value  # the value is the sum of the open layers


def test_the_method_is_fixed_by_the_first_refresh(conn: psycopg.Connection) -> None:
    projection.refresh(conn, Method.AVCO, "CNY", wait_s=1)
    with pytest.raises(ValueError, match="runs by avco in CNY"):
        projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)


def test_check_proves_the_valuation_equals_the_open_layers(conn: psycopg.Connection) -> None:
    apply(conn, scenario())
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    checked, differences = check(conn)
    assert (checked, differences) == (2, [])
    conn.execute("UPDATE valuation_layers SET value = value + 1 WHERE sku = 'S2'")  # 3 layers
    _, differences = check(conn)
    assert [(d.sku, d.entries_value, d.layers_value) for d in differences] == \
        [("S2", D("73.50"), D("76.50"))]


def test_check_command(conn: psycopg.Connection, fresh_db_url: str) -> None:
    apply(conn, scenario())
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    done = subprocess.run([sys.executable, "-m", "cloud_hub", "valuation", "check"],
                          env={**env, "HUB_DATABASE_URL": fresh_db_url,
                               "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "valuation equals the open cost layers: True" in done.stdout


def test_posting_never_waits_for_valuation(conn: psycopg.Connection, fresh_db_url: str) -> None:
    """A refresh stuck behind another refresher (its advisory lock held) delays only the
    valuation: moves still commit at once, and the follower catches up when it can."""
    pool = open_pool(fresh_db_url, 1, 2)
    follower = ValuationFollower(pool, Method.FIFO, "CNY", idle_s=60, wait_s=0.2)
    follower.start()
    try:
        with connect(fresh_db_url) as blocker:
            blocker.execute("BEGIN")
            blocker.execute("SELECT pg_advisory_xact_lock(%s)", (projection.LOCK_KEY,))
            started = time.perf_counter()
            apply(conn, scenario())
            follower.moves_applied(set())
            assert time.perf_counter() - started < 5
            assert conn.execute("SELECT count(*) FROM valuation_entries").fetchone() == (0,)
            blocker.execute("ROLLBACK")
        deadline = time.monotonic() + 30
        while True:
            follower.refreshed.clear()
            follower.moves_applied(set())
            assert follower.refreshed.wait(30), "the follower did not refresh"
            if follower.behind == 0:
                break
            assert time.monotonic() < deadline
        assert totals(conn) == (D("38.00"), D("4.00"))
        assert follower.lag_seconds() == 0
    finally:
        follower.stop()
        pool.close()


def entries_of(conn: psycopg.Connection, sku: str) -> list[tuple[object, ...]]:
    return conn.execute("SELECT move_seq, kind, quantity, value, cogs, adjustments "
                        "FROM valuation_entries WHERE sku = %s ORDER BY move_seq, kind",
                        (sku,)).fetchall()


def test_a_backdated_move_revalues_its_warehouse_sku_in_date_order(
        conn: psycopg.Connection) -> None:
    apply(conn, scenario())
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    s2_before = entries_of(conn, "S2")
    # found in a count, dated half a day after the first receipt: before both shipments
    apply(conn, [move("WH1", "S1", 2, None, "WH1-BIN-A", "count", at(0.5))])
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    # in date order: 10 x 3, the gain 2 x 3 (the last cost then), 10 x 4; the shipments take
    # 12 x 3 = 36 (not 38); the loss 1 x 4; 9 x 4 and the pallet's 2 x 4 stay
    assert stock(conn)[("WH1", "S1")] == (D(11), D("44.00"))
    assert totals(conn) == (D("36.00"), D("4.00"))
    assert entries_of(conn, "S2") == s2_before  # only what the move touches is revalued
    assert conn.execute("SELECT warehouse, sku, from_at FROM valuation_revaluations"
                        ).fetchall() == [("WH1", "S1", at(0.5))]
    assert check(conn) == (2, [])
    reviews = [r for r, in conn.execute("SELECT reason FROM valuation_reviews")]
    assert len(reviews) == 2  # S1's flagged pallet receipt once, not twice
    # equals a fold of every move in date order
    book = Book(Method.FIFO, "CNY")
    ordered = sorted(projection.read_moves(conn, 0, 10**9), key=lambda m: (m.occurred_at, m.seq))
    for m in ordered:
        if (movement := movement_of(m, book)) is not None:
            book.apply(movement)
    assert {(p.warehouse, p.sku): (p.quantity.normalize(), p.value)
            for p in book.positions()} == stock(conn)
    assert totals(conn) == (book.cogs, book.adjustments)
    # the periods the move changed say so
    rows = period_report(conn, warehouse="WH1", sku=None, start=T0.date(),
                         end=T0.date() + timedelta(days=2))
    assert [(r["sku"], r["revalued"]) for r in rows] == [("S1", True), ("S2", False)]


def test_a_transfer_to_another_warehouse_carries_its_fifo_layers(
        conn: psycopg.Connection) -> None:
    """What supply's transfers post: the goods leave the source, and arrive in the destination
    warehouse (its transit location) in the same transaction, both legs of task transfer:…"""
    legs = [move("WH1", "S1", 4, "WH1-BIN-A", None, "transfer", at(2)),
            move("WH2", "S1", 4, None, "WH2-BIN-A", "transfer", at(2))]
    apply(conn, [received("S1", 10, "R1", 0), received("S1", 10, "R2", 1, lot="L2"),
                 *(leg.model_copy(update={"task_id": "transfer:T1"}) for leg in legs)])
    projection.refresh(conn, Method.FIFO, "CNY", wait_s=1)
    # the oldest layer's 4 x 3 go to WH2 with their cost; WH1 keeps 6 x 3 + 10 x 4
    assert stock(conn) == {("WH1", "S1"): (D(16), D("58.00")), ("WH2", "S1"): (D(4), D("12.00"))}
    assert conn.execute("SELECT received_at FROM valuation_layers WHERE warehouse = 'WH2'"
                        ).fetchall() == [(at(0),)]  # its original receipt date
    assert totals(conn) == (D(0), D(0))
    assert check(conn) == (2, [])
