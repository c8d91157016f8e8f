"""The demand_daily aggregate on real PostgreSQL: after any sequence of refreshes with moves in
between it equals a full recount from the moves; concurrent refreshers count each move once; a
move whose transaction commits after a later seq is neither skipped nor counted twice; and
planning gives the same results whether it reads the aggregate or the moves."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.db.database import connect, open_pool
from cloud_hub.planning.notify.runner import RulesRunner
from cloud_hub.planning.pg import demand_daily, store
from cloud_hub.planning.pg.history import daily_sql, demand_history, rule_params
from cloud_hub.planning.pg.runs import run_planning
from cloud_hub.settings import HubSettings
from protocol import ItemLine, StockMoved
from tests.planning.ledger_site import T0, apply, at, move, pallet, site

pytestmark = pytest.mark.integration

Cells = dict[tuple[str, str, date], tuple[Decimal, int]]


@pytest.fixture
def conn(fresh_db_url: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, "WH1", "WH2")
        apply(c, [move(wh, sku, 100_000, None, loc, "receive", at(0))
                  for wh, loc in (("WH1", "WH1-BIN-A"), ("WH1", "WH1-BIN-B"),
                                  ("WH1", "WH1-PACK"), ("WH2", "WH2-BIN-A"))
                  for sku in ("S1", "S2")])
        yield c


def recounted(conn: psycopg.Connection) -> Cells:
    """The demand of every move in the ledger, counted from scratch."""
    rows = conn.execute(daily_sql("true"), rule_params()).fetchall()
    return {(wh, sku, day): (qty, lines) for wh, sku, day, qty, lines in rows}


def aggregated(conn: psycopg.Connection) -> Cells:
    rows = conn.execute("SELECT warehouse, sku, day, quantity, lines FROM demand_daily_by_sku")
    return {(wh, sku, day): (qty, lines) for wh, sku, day, qty, lines in rows}


def last_seq(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM moves").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _through(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT through_seq FROM demand_daily_state").fetchone()
    return int(row[0]) if row else -1


def random_moves(rng: random.Random, n: int) -> list[StockMoved]:
    """Demand and non-demand moves on random days (late ones among them) in both warehouses."""
    out: list[StockMoved] = []
    for i in range(n):
        sku, qty = rng.choice(("S1", "S2")), rng.choice((1, 2.5, 7, 12))
        when = at(rng.randrange(1, 30), rng.uniform(0, 23.9))
        out.append(rng.choice((
            move("WH1", sku, qty, "WH1-BIN-A", None, "pick", when),  # demand
            move("WH1", sku, qty, "WH1-BIN-B", "WH1-PACK", "pick", when),  # demand
            move("WH1", sku, qty, "WH1-PACK", None, "ship", when),  # counted at the pick
            move("WH1", sku, qty, "WH1-BIN-A", "WH1-DOCK", "ship", when),  # demand
            move("WH1", sku, qty, "WH1-BIN-A", "WH1-BIN-B", "transfer", when),  # internal
            move("WH1", sku, qty, "WH1-BIN-B", "WH1-BIN-A", "pick", when),  # internal
            move("WH2", sku, qty, "WH2-BIN-A", None, "ship", when),  # demand
        )))
        if i % 10 == 0:  # a pallet received, then shipped whole: its contents are demand
            sscc = f"{rng.randrange(10**17):018d}"
            lines = (ItemLine(sku=f"P{rng.randrange(3)}", quantity=Decimal(rng.randrange(1, 9))),)
            out += [pallet("WH1", sscc, lines, None, "WH1-BIN-A", "receive", when),
                    pallet("WH1", sscc, lines, "WH1-BIN-A", None, "ship",
                           when + timedelta(hours=1))]
    return out


def test_the_aggregate_equals_a_full_recount_after_refreshes_with_moves_in_between(
        conn: psycopg.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(9)
    for _ in range(6):
        apply(conn, random_moves(rng, 40))
        # Small chunks split the backlog into several transactions in some rounds.
        result = demand_daily.refresh(conn, chunk=rng.choice((7, 1000)))
        assert result.through_seq == last_seq(conn) and result.open_writers == 0
        assert aggregated(conn) == recounted(conn)
    totals = recounted(conn)
    assert {k[:2] for k in totals} >= {("WH1", "S1"), ("WH1", "S2"), ("WH2", "S1")}
    assert demand_daily.refresh(conn).cells == 0  # nothing new: nothing added again
    assert demand_daily.rebuild(conn, chunk=50).through_seq == last_seq(conn)
    assert aggregated(conn) == totals
    # Read back a page of the table at a time, it is the same history as read from the moves.
    assert conn.execute("SELECT pg_relation_size('demand_daily') > 8192").fetchone() == (True,)
    monkeypatch.setattr(demand_daily, "_BLOCK_PAGES", 1)
    for wh in (None, "WH2"):
        paged = demand_daily.read_history(conn, date(2025, 2, 1), 31, wh, keys=(("S9", "WH1"),))
        direct = demand_history(conn, date(2025, 2, 1), 31, wh, keys=(("S9", "WH1"),))
        assert paged.keys == direct.keys and len(paged.keys) > 2
        assert (paged.quantities == direct.quantities).all()


def test_concurrent_refreshers_count_each_move_once(
        conn: psycopg.Connection, fresh_db_url: str) -> None:
    rng = random.Random(4)
    apply(conn, random_moves(rng, 600))
    start = threading.Barrier(5)
    errors: list[BaseException] = []

    def refresher() -> None:
        try:
            with connect(fresh_db_url, migrate_schema=False) as c:
                start.wait(timeout=30)
                for _ in range(4):
                    demand_daily.refresh(c, chunk=40)
        except BaseException as exc:  # reported by the test thread below
            errors.append(exc)

    def writer() -> None:
        try:
            with connect(fresh_db_url, migrate_schema=False) as c:
                start.wait(timeout=30)
                mine = random.Random(5)
                for _ in range(5):
                    apply(c, random_moves(mine, 30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresher) for _ in range(4)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    demand_daily.refresh(conn)
    assert aggregated(conn) == recounted(conn)


def test_a_move_committed_after_a_later_seq_is_neither_skipped_nor_counted_twice(
        conn: psycopg.Connection, fresh_db_url: str) -> None:
    demand_daily.refresh(conn)
    with connect(fresh_db_url, migrate_schema=False) as slow:
        with slow.transaction():
            apply(slow, [move("WH1", "S1", 5, "WH1-BIN-A", None, "pick", at(3))])
            early = last_seq(slow)
            apply(conn, [move("WH2", "S1", 7, "WH2-BIN-A", None, "pick", at(3))])
            late = last_seq(conn)
            assert late > early
            # The committed later seq must wait: passing it would skip `early` for good.
            held = demand_daily.refresh(conn, wait_s=0.05)
            assert held.open_writers == 1 and held.through_seq < early
            assert ("WH2", "S1", date(2025, 1, 4)) not in aggregated(conn)
            # Reads are exact meanwhile: what is committed above the watermark is read as is.
            hist = demand_daily.read_history(conn, date(2025, 1, 11), 10)
            assert dict(zip(hist.keys, hist.quantities.sum(axis=0), strict=True)) == {
                ("S1", "WH2"): 7.0}
        done = demand_daily.refresh(conn, wait_s=0.05)
    assert done.open_writers == 0 and done.through_seq >= late
    counted = aggregated(conn)
    assert counted == recounted(conn)
    assert counted[("WH1", "S1", date(2025, 1, 4))] == (5, 1)
    assert counted[("WH2", "S1", date(2025, 1, 4))] == (7, 1)


def test_a_refresh_waits_for_an_open_writer_and_counts_its_move(
        conn: psycopg.Connection, fresh_db_url: str) -> None:
    results: list[demand_daily.Refresh] = []
    with connect(fresh_db_url, migrate_schema=False) as slow:
        with slow.transaction():
            apply(slow, [move("WH1", "S2", 3, "WH1-BIN-A", None, "pick", at(2))])
            waiting = threading.Thread(
                target=lambda: results.append(demand_daily.refresh(conn, wait_s=60)))
            waiting.start()
        waiting.join(timeout=60)
    assert results and results[0].open_writers == 0
    assert results[0].through_seq == last_seq(conn)
    assert aggregated(conn)[("WH1", "S2", date(2025, 1, 3))] == (3, 1)


def test_a_writer_open_past_the_wait_is_passed_by_the_next_refresh(
        conn: psycopg.Connection, fresh_db_url: str) -> None:
    with connect(fresh_db_url, migrate_schema=False) as slow:
        with slow.transaction():
            apply(slow, [move("WH1", "S1", 4, "WH1-BIN-A", None, "pick", at(5))])
            apply(conn, [move("WH2", "S2", 6, "WH2-BIN-A", None, "pick", at(5))])
            settled = last_seq(conn)
            assert demand_daily.refresh(conn, wait_s=0).open_writers == 1
        # The first writer committed; a new one is open now and stays open.
        with slow.transaction():
            apply(slow, [move("WH1", "S2", 2, "WH1-BIN-A", None, "pick", at(6))])
            newest = last_seq(slow)
            passed = demand_daily.refresh(conn, wait_s=0)
            # The bound remembered last time is safe now, the newest seq is not yet.
            assert passed.open_writers == 1 and settled <= passed.through_seq < newest
            assert aggregated(conn) == recounted(conn)
    assert demand_daily.refresh(conn, wait_s=0).through_seq == newest
    assert aggregated(conn) == recounted(conn)


def test_planning_results_are_the_same_from_the_aggregate_and_from_the_moves(
        conn: psycopg.Connection) -> None:
    rng = random.Random(7)
    apply(conn, [move("WH1", "S3", 400, None, "WH1-BIN-A", "receive", at(0)),
                 move("WH2", "S3", 90, None, "WH2-BIN-A", "receive", at(0))])
    picks = [move("WH1", "S3", rng.randrange(4, 12), "WH1-BIN-A", None, "pick", at(d, 3))
             for d in range(1, 40)]
    picks += [move("WH2", "S3", rng.randrange(1, 6), "WH2-BIN-A", "WH2-BIN-A", "transfer",
                   at(d, 4)) for d in range(1, 40, 3)]
    picks += [move("WH2", "S3", 3, "WH2-BIN-A", None, "ship", at(d, 5))
              for d in range(2, 40, 4)]
    apply(conn, picks + random_moves(rng, 80))
    today = (T0 + timedelta(days=40)).date()
    now = datetime(today.year, today.month, today.day, 9, tzinfo=UTC)

    direct = run_planning(conn, today, now, days=40, source="moves")
    direct_status = store.load_status(conn)
    assert _through(conn) == 0
    via_aggregate = run_planning(conn, today, now, days=40)
    assert _through(conn) == last_seq(conn)
    assert via_aggregate == direct and direct.series >= 8 and direct.suggestions
    assert store.load_status(conn) == direct_status


def test_the_hubs_scheduled_sweep_refreshes_the_aggregate(
        conn: psycopg.Connection, fresh_db_url: str) -> None:
    apply(conn, [move("WH1", "S1", 2, "WH1-BIN-A", None, "pick", at(1))])
    settings = HubSettings(database_url=fresh_db_url, mqtt_enabled=False,
                           rules_interval_s=0.05, rules_debounce_ms=10)
    pool = open_pool(fresh_db_url, max_size=2)
    runner = RulesRunner(pool, settings)
    try:
        runner.start()
        # The sweep's refresh moves the watermark: polled with a deadline (no event to await).
        deadline = time.monotonic() + 30
        while _through(conn) < last_seq(conn) and time.monotonic() < deadline:
            conn.execute("SELECT pg_sleep(0.05)")
        assert _through(conn) == last_seq(conn)
    finally:
        runner.stop()
        pool.close()
    assert aggregated(conn)[("WH1", "S1", date(2025, 1, 2))] == (2, 1)
