"""Demand history from the real ledger: what counts as demand, in which daily bucket — read
straight from the moves, from the refreshed demand_daily aggregate, and from an aggregate that
was never refreshed (everything above its watermark is read from the moves)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.db.database import connect
from cloud_hub.planning.pg import demand_daily
from cloud_hub.planning.pg.history import DemandHistory, demand_history, enable_continuous_aggregate
from protocol import ItemLine
from tests.planning.ledger_site import apply, at, move, pallet, site

pytestmark = pytest.mark.integration


@pytest.fixture
def conn(fresh_db_url: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, "WH1", "WH2")
        yield c


Reader = Callable[..., DemandHistory]


def _refreshed(conn: psycopg.Connection, *args: object, **kwargs: object) -> DemandHistory:
    demand_daily.refresh(conn)
    return demand_daily.read_history(conn, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=["moves", "aggregate", "aggregate_never_refreshed"])
def read(request: pytest.FixtureRequest) -> Reader:
    return {"moves": demand_history, "aggregate": _refreshed,
            "aggregate_never_refreshed": demand_daily.read_history}[request.param]


def test_outbound_demand_per_day_excludes_transfers_and_double_counting(
        conn: psycopg.Connection, read: Reader) -> None:
    s3 = (ItemLine(sku="S3", quantity=Decimal(20)),)
    apply(conn, [
        move("WH1", "S1", 1000, None, "WH1-BIN-A", "receive", at(0)),
        move("WH1", "S2", 500, None, "WH1-BIN-B", "receive", at(0)),
        move("WH2", "S1", 100, None, "WH2-BIN-A", "receive", at(0)),
        pallet("WH1", "000000000000000017", s3, None, "WH1-BIN-A", "receive", at(0)),
        move("WH1", "S1", 5, "WH1-BIN-A", "WH1-PACK", "pick", at(1)),  # demand
        move("WH1", "S1", 5, "WH1-PACK", None, "ship", at(1, 2)),  # already counted at pick
        move("WH1", "S1", 10, "WH1-BIN-A", "WH1-BIN-B", "transfer", at(2)),  # internal
        move("WH1", "S1", 3, "WH1-BIN-A", "WH1-BIN-B", "pick", at(2)),  # bin to bin: internal
        move("WH1", "S2", 7, "WH1-BIN-B", None, "ship", at(3)),  # demand
        move("WH1", "S1", 2, "WH1-BIN-A", "WH1-DOCK", "pick", at(3, 15.5)),  # 23:30 UTC, day 3
        move("WH2", "S1", 4, "WH2-BIN-A", None, "pick", at(4)),  # demand in WH2
        pallet("WH1", "000000000000000017", s3, "WH1-BIN-A", None, "ship", at(5)),  # 20 × S3
        move("WH1", "S1", 9, "WH1-BIN-A", None, "ship", at(12)),  # after the window
    ])
    hist = read(conn, date(2025, 1, 11), 10)
    assert hist.start == date(2025, 1, 1)
    series = {k: hist.quantities[:, i].tolist() for i, k in enumerate(hist.keys)}
    assert series == {
        ("S1", "WH1"): [0, 5, 0, 2, 0, 0, 0, 0, 0, 0],
        ("S2", "WH1"): [0, 0, 0, 7, 0, 0, 0, 0, 0, 0],
        ("S1", "WH2"): [0, 0, 0, 0, 4, 0, 0, 0, 0, 0],
        ("S3", "WH1"): [0, 0, 0, 0, 0, 20, 0, 0, 0, 0],
    }
    only_wh2 = read(conn, date(2025, 1, 11), 10, warehouse="WH2", keys=(("S9", "WH2"),))
    assert only_wh2.keys == (("S9", "WH2"), ("S1", "WH2"))
    assert only_wh2.quantities[:, 0].sum() == 0


def test_continuous_aggregate_is_skipped_without_timescaledb(conn: psycopg.Connection) -> None:
    # TimescaleDB cannot be installed on this machine: the switch must be a no-op here.
    assert enable_continuous_aggregate(conn) is False
    assert conn.execute("SELECT to_regclass('planning_move_days')").fetchone() == (None,)
