"""PostgresLedger on the real PostgreSQL: exactly-once, out-of-order, rejections, rebuild."""

from __future__ import annotations

import multiprocessing
import random
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect
from cloud_hub.ledger import MoveStatus, RejectCode
from cloud_hub.ledger.pg.queries import stock_by_sku, unit_history, where_is
from cloud_hub.ledger.pg.rebuild import check_consistency, rebuild
from cloud_hub.ledger.pg.store import apply_batch
from tests.ledger.factories import SITE, item_move, line, unit_move

pytestmark = pytest.mark.integration


@pytest.fixture
def ledger_url(fresh_db_url: str) -> str:
    with connect(fresh_db_url) as conn:
        upsert_locations(conn, [Location(c, "WH1", "bin") for c in SITE])
    return fresh_db_url


@pytest.fixture
def conn(ledger_url: str) -> Iterator[psycopg.Connection]:
    with connect(ledger_url) as c:
        yield c


def on_hand(conn: psycopg.Connection) -> dict[tuple[str, str], Decimal]:
    return {(loc, sku): q for loc, sku, q in conn.execute(
        "SELECT location, sku, sum(quantity) FROM balances GROUP BY 1, 2")}


def test_same_batch_twice_counts_once(conn: psycopg.Connection) -> None:
    batch = [item_move("S1", 10, None, "BIN-A"), item_move("S1", 3, "BIN-A", "BIN-B")]
    first = apply_batch(conn, batch, "test")
    again = apply_batch(conn, batch, "test")
    assert first.applied == 2 and first.duplicates == ()
    assert again.outcomes == () and len(again.duplicates) == 2
    assert on_hand(conn) == {("BIN-A", "S1"): 7, ("BIN-B", "S1"): 3}
    assert conn.execute("SELECT count(*) FROM moves").fetchone() == (2,)


def test_concurrent_connections_apply_the_same_event_once(ledger_url: str) -> None:
    event = item_move("S1", 5, None, "BIN-A")
    barrier = threading.Barrier(4)
    results = []

    def worker() -> None:
        with connect(ledger_url, migrate_schema=False) as c:
            barrier.wait(timeout=10)
            results.append(apply_batch(c, [event]).applied)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [0, 0, 0, 1]
    with connect(ledger_url) as c:
        assert on_hand(c) == {("BIN-A", "S1"): 5}


def _apply_in_process(url: str, payload: bytes, barrier: object) -> None:
    from protocol import decode_message
    event = decode_message(payload).events[0]
    with connect(url, migrate_schema=False) as c:
        barrier.wait(timeout=30)  # type: ignore[attr-defined]
        apply_batch(c, [event], "proc")


def test_two_processes_apply_the_same_event_once(ledger_url: str) -> None:
    from protocol import encode_event
    payload = encode_event(item_move("S1", 5, None, "BIN-A"))
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_apply_in_process, args=(ledger_url, payload, barrier))
             for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    with connect(ledger_url) as c:
        assert on_hand(c) == {("BIN-A", "S1"): 5}
        assert c.execute("SELECT count(*) FROM moves").fetchone() == (1,)


def test_out_of_order_pallet_ends_at_latest_observed(conn: psycopg.Connection) -> None:
    sscc = "000000000000000017"
    apply_batch(conn, [unit_move(sscc, None, "DOCK-1", t=0, contents=(line("S", 4),))])
    apply_batch(conn, [unit_move(sscc, "BIN-A", "BIN-C", t=30)])
    late = apply_batch(conn, [unit_move(sscc, "DOCK-1", "BIN-A", t=10)])
    assert late.late == 1
    where = where_is(conn, sscc)
    assert where is not None and where.location == "BIN-C"
    assert on_hand(conn) == {("BIN-C", "S"): 4}
    assert [h.outcome for h in unit_history(conn, sscc)] == ["applied", "late", "applied"]


def test_rejected_moves_are_kept_and_the_rest_applies(conn: psycopg.Connection) -> None:
    batch = [item_move("S1", 5, None, "BIN-A"), item_move("S1", 9, "BIN-A", "BIN-B"),
             item_move("S1", 1, None, "NOWHERE"), item_move("S1", 2, "BIN-A", "BIN-C")]
    result = apply_batch(conn, batch, "sup")
    assert [o.status for o in result.outcomes] == [MoveStatus.APPLIED, MoveStatus.REJECTED,
                                                   MoveStatus.REJECTED, MoveStatus.APPLIED]
    rows = dict(conn.execute("SELECT event_id, code FROM rejected_moves"))
    assert rows == {batch[1].event_id: RejectCode.NEGATIVE_STOCK,
                    batch[2].event_id: RejectCode.UNKNOWN_LOCATION}
    assert on_hand(conn) == {("BIN-A", "S1"): 3, ("BIN-C", "S1"): 2}
    assert apply_batch(conn, batch).duplicates  # a rejected event redelivered is still a no-op


def _random_moves(rng: random.Random, n: int) -> Iterator[object]:
    units = [f"{rng.randrange(10**17):018d}" for _ in range(40)]
    for i in range(n):
        t = i + rng.uniform(-30, 0)  # some arrive out of order
        roll = rng.random()
        if roll < 0.1:
            yield unit_move(rng.choice(units), rng.choice([None, *SITE]), rng.choice(SITE), t=t,
                            contents=(line(f"S{rng.randint(1, 20)}", rng.randint(1, 9)),))
        elif roll < 0.12:
            yield unit_move(rng.choice(units), rng.choice(SITE), None, t=t)
        else:
            frm = rng.choice([None, *SITE, *SITE])
            to = rng.choice([None, *SITE]) if frm else rng.choice(SITE)
            yield item_move(f"S{rng.randint(1, 20)}", rng.randint(1, 30), frm, to, t=t,
                            lot=rng.choice(["A", "B"]))


def test_ten_thousand_random_moves_match_rebuild_and_conserve(conn: psycopg.Connection) -> None:
    rng = random.Random(2026)
    moves = list(_random_moves(rng, 10_000))
    by_id = {m.event_id: m for m in moves}
    net = Decimal(0)
    for i in range(0, len(moves), 500):
        result = apply_batch(conn, moves[i:i + 500] + rng.sample(moves[:i + 500], 5))
        for outcome in result.outcomes:
            change = sum((d for _, d in outcome.deltas), Decimal(0))
            move = by_id[outcome.event_id]
            if outcome.origin is not None and move.to_location is not None:
                assert change == 0, f"an internal move changed the total: {move}"
            net += change
    stored_total = conn.execute("SELECT coalesce(sum(quantity), 0) FROM balances").fetchone()[0]
    assert stored_total == net  # only boundary moves changed the warehouse's total
    report = check_consistency(conn)
    assert report.ok, report.balance_differences[:5] or report.unit_differences[:5]
    assert report.moves_folded == conn.execute("SELECT count(*) FROM moves").fetchone()[0]
    # Corrupt a balance: the check notices, rebuild() repairs it.
    conn.execute("UPDATE balances SET quantity = quantity + 1 WHERE ctid = "
                 "(SELECT ctid FROM balances LIMIT 1)")
    assert not check_consistency(conn).ok
    assert rebuild(conn).ok
    assert conn.execute("SELECT coalesce(sum(quantity), 0) FROM balances").fetchone()[0] == net


def test_stock_queries(conn: psycopg.Connection) -> None:
    apply_batch(conn, [item_move("S1", 5, None, "BIN-A", lot="A"),
                       item_move("S1", 2, None, "BIN-B", lot="B"),
                       item_move("S2", 1, None, "BIN-B", event_id=uuid.uuid4())])
    rows = stock_by_sku(conn, "S1")
    assert [(r.location, r.lot, r.quantity) for r in rows] == [("BIN-A", "A", 5), ("BIN-B", "B", 2)]


def test_two_cached_writers_on_one_warehouse_stay_exact(ledger_url: str) -> None:
    """Two hub processes' caches applying to the same warehouse in turn: each notices the
    other's writes (version gap) and never applies from stale rows."""
    from cloud_hub.ledger.pg.cache import LedgerCache
    rng = random.Random(11)
    moves = list(_random_moves(rng, 3000))
    caches = [LedgerCache(), LedgerCache()]
    with connect(ledger_url) as a, connect(ledger_url) as b:
        conns = [a, b]
        for i in range(0, len(moves), 100):
            pick = rng.randrange(2)
            apply_batch(conns[pick], moves[i:i + 100], "replica", caches[pick])
        assert caches[0].misses > 1 and caches[1].misses > 1 and caches[0].hits > 0
        report = check_consistency(a)
        assert report.ok, report.balance_differences[:5] or report.unit_differences[:5]


def test_a_location_created_later_is_seen_by_a_cached_writer(conn: psycopg.Connection) -> None:
    from cloud_hub.ledger.pg.cache import LedgerCache
    cache = LedgerCache()
    first = apply_batch(conn, [item_move("S", 1, None, "NEW-BIN")], "t", cache)
    assert first.rejected == 1
    upsert_locations(conn, [Location("NEW-BIN", "WH1", "bin")])
    assert apply_batch(conn, [item_move("S", 1, None, "NEW-BIN")], "t", cache).applied == 1


def test_a_pallets_stored_contents_follow_picks_and_refills(conn: psycopg.Connection) -> None:
    from cloud_hub.ledger.pg.cache import LedgerCache
    cache = LedgerCache()
    sscc = "000000000000000017"

    def stored() -> list[tuple[str, Decimal]]:
        return conn.execute("SELECT sku, quantity FROM unit_contents WHERE unit_key = %s "
                            "ORDER BY sku", (f"sscc:{sscc}",)).fetchall()

    apply_batch(conn, [unit_move(sscc, None, "BIN-A", contents=(line("S1", 5), line("S2", 2)))],
                "t", cache)
    assert stored() == [("S1", 5), ("S2", 2)]
    apply_batch(conn, [item_move("S1", 5, "BIN-A", "DOCK-1", unit={"sscc": sscc}),
                       unit_move(sscc, "BIN-A", "BIN-B", t=1)], "t", cache)
    assert stored() == [("S2", 2)]
    apply_batch(conn, [item_move("S2", 2, "BIN-B", "DOCK-1", unit={"sscc": sscc})], "t", cache)
    assert stored() == []
    apply_batch(conn, [item_move("S1", 3, "DOCK-1", "BIN-B", unit={"sscc": sscc})], "t", cache)
    assert stored() == [("S1", 3)]
    report = check_consistency(conn)
    assert report.ok, report.unit_differences


@pytest.mark.parametrize("odd", ['quo"te', "back\\slash", "a,b{c}", "NULL", "tab\there",
                                 " spaced "])
def test_a_pallets_contents_with_array_specials_are_stored_exactly(conn: psycopg.Connection,
                                                                   odd: str) -> None:
    pallet = unit_move("000000000000000017", None, "BIN-A",
                       contents=(line(f"S{odd}", 2, lot=odd),))
    assert apply_batch(conn, [pallet], "t").applied == 1
    assert conn.execute("SELECT sku, lot, quantity FROM unit_contents").fetchall() == [
        (f"S{odd}".strip(), odd.strip(), 2)]
    assert check_consistency(conn).ok


def test_two_batches_in_one_callers_transaction_touching_one_balance(ledger_url: str) -> None:
    """ApplyService.transaction may apply several batches before its commit (an import, a
    confirmation and its follow-ups): the second batch's balances are its own, not the first
    batch's again (they were: CardinalityViolation on the shared balance)."""
    from cloud_hub.db.database import open_pool
    from cloud_hub.ledger.pg.apply import ApplyService
    pool = open_pool(ledger_url, 1, 2)
    service = ApplyService(pool)
    try:
        with pool.connection() as c:
            with service.transaction(c) as posting:
                posting.apply([item_move("S1", 5, None, SITE[0])], "test")
                posting.apply([item_move("S1", 3, None, SITE[0]),
                               item_move("S2", 1, None, SITE[1])], "test")
            assert on_hand(c) == {(SITE[0], "S1"): 8, (SITE[1], "S2"): 1}
            assert check_consistency(c).ok
    finally:
        service.close()
        pool.close()
