"""Reservations on the real PostgreSQL: exact under concurrency, released on cancel."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal

import pytest

from cloud_hub.db.database import connect
from cloud_hub.work.orders import Order, OrderLine
from cloud_hub.work.pg.orders import atp, cancel_order, create_order
from tests.work.site import WH, build_site, stock

pytestmark = pytest.mark.integration


@pytest.fixture
def db(fresh_db_url: str) -> Iterator[str]:
    with connect(fresh_db_url) as conn:
        build_site(conn)
        stock(conn, "SKU-1", 10, "A1-01")
        stock(conn, "SKU-1", 5, "A1-02", lot="Q")
        conn.execute("UPDATE balances SET status = 'quarantine' WHERE lot = 'Q'")
    yield fresh_db_url


def test_twenty_concurrent_attempts_for_ten_units_reserve_exactly_ten(db: str) -> None:
    barrier = threading.Barrier(20)
    got: list[Decimal] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(i: int) -> None:
        try:
            with connect(db, migrate_schema=False) as conn:
                barrier.wait(timeout=30)
                order = Order(f"O{i}", WH, (OrderLine(1, "SKU-1", Decimal(1)),))
                (line,) = create_order(conn, order, allow_partial=False)
            with lock:
                got.append(line.reserved)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(got) == [Decimal(0)] * 10 + [Decimal(1)] * 10
    with connect(db, migrate_schema=False) as conn:
        held = conn.execute("SELECT sum(reserved) FROM work_order_lines").fetchone()
        assert held == (Decimal(10),)
        assert atp(conn, WH, ["SKU-1"]) == {"SKU-1": Decimal(0)}
        states = dict(conn.execute("SELECT state, count(*) FROM work_orders GROUP BY state"))
        assert states == {"reserved": 10, "open": 10}


def test_quarantined_stock_is_not_promised_and_cancel_releases(db: str) -> None:
    with connect(db, migrate_schema=False) as conn:
        assert atp(conn, WH, ["SKU-1"]) == {"SKU-1": Decimal(10)}  # the 5 in quarantine excluded
        (line,) = create_order(conn, Order("BIG", WH, (OrderLine(1, "SKU-1", Decimal(12)),)))
        assert line.reserved == Decimal(10)
        assert atp(conn, WH, ["SKU-1"]) == {"SKU-1": Decimal(0)}
        cancel_order(conn, "BIG")
        assert atp(conn, WH, ["SKU-1"]) == {"SKU-1": Decimal(10)}
        with pytest.raises(Exception, match="already cancelled"):
            cancel_order(conn, "BIG")


def test_all_or_nothing_order_reserves_nothing_when_short(db: str) -> None:
    with connect(db, migrate_schema=False) as conn:
        order = Order("AON", WH, (OrderLine(1, "SKU-1", Decimal(4)),
                                  OrderLine(2, "SKU-2", Decimal(1))))
        assert [r.reserved for r in create_order(conn, order, allow_partial=False)] == [0, 0]
        assert atp(conn, WH, ["SKU-1"]) == {"SKU-1": Decimal(10)}
