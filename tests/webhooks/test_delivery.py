"""Webhook delivery on the real PostgreSQL to a real HTTP receiver: signed, in order, retried
with backoff while the receiver is down, nothing lost, dead after the last try, replayable."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg_pool import ConnectionPool

from cloud_hub.catalog.model import Location
from cloud_hub.catalog.pg.store import upsert_locations
from cloud_hub.db.database import connect, open_pool
from cloud_hub.ledger.pg.store import apply_batch
from cloud_hub.webhooks.model import EventType, Filter
from cloud_hub.webhooks.notify.sender import WebhookDispatcher
from cloud_hub.webhooks.pg import store
from tests.ledger.factories import SITE, item_move, line, unit_move
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.integration


@pytest.fixture
def pool(fresh_db_url: str) -> Iterator[ConnectionPool]:
    with connect(fresh_db_url) as conn:
        upsert_locations(conn, [Location(c, "WH1", "bin") for c in SITE]
                         + [Location("WH2-BIN", "WH2", "bin")])
    p = open_pool(fresh_db_url, 1, 6)
    yield p
    p.close()


@pytest.fixture
def dispatcher(pool: ConnectionPool) -> Iterator[WebhookDispatcher]:
    """Not started: each test runs its rounds with run_once()."""
    d = WebhookDispatcher(pool)
    yield d
    d.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


def subscribe(pool: ConnectionPool, receiver: Receiver, *types: EventType,
              flt: Filter | None = None, max_attempts: int = 24) -> store.Subscription:
    with pool.connection() as conn:
        sub, secret = store.create(conn, name="erp", url=receiver.url,
                                   event_types=list(types or [EventType.MOVE_APPLIED]),
                                   filter=flt or Filter(), allow_private=True, created_by="admin",
                                   max_attempts=max_attempts)
    receiver.secret = secret
    return sub


def apply(pool: ConnectionPool, moves: list) -> None:  # type: ignore[type-arg]
    with pool.connection() as conn:
        apply_batch(conn, moves, "test")


def due_now(pool: ConnectionPool) -> None:
    """Time passes: every waiting retry is due (instead of sleeping through the backoff)."""
    with pool.connection() as conn:
        conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now() "
                     "WHERE state = 'pending'")


def states(conn: psycopg.Connection) -> list[tuple[str, int]]:
    return [(s, a) for s, a in conn.execute(
        "SELECT state, attempts FROM webhook_deliveries ORDER BY id")]


def test_moves_arrive_signed_once_and_in_ledger_order(pool: ConnectionPool, receiver: Receiver,
        dispatcher: WebhookDispatcher) -> None:
    subscribe(pool, receiver)
    moves = [item_move("S1", 1, None, "BIN-A", t=i) for i in range(30)]
    apply(pool, moves)
    dispatcher.run_once()
    got = receiver.wait_for(30)
    assert [m["id"] for m in got] == [f"msg_move_{m.event_id}" for m in moves]
    assert all(m["verified"] and m["type"] == "move.applied" for m in got)
    assert got[0]["data"]["to_location"] == "BIN-A" and got[0]["data"]["quantity"] == 1
    dispatcher.run_once()
    assert len(receiver.received) == 30, "delivered ones are not sent again"


def test_a_receiver_down_loses_nothing_and_order_holds(pool: ConnectionPool, receiver: Receiver,
        dispatcher: WebhookDispatcher) -> None:
    subscribe(pool, receiver)
    receiver.stop()  # down: connections are refused
    moves = [item_move("S1", 1, None, "BIN-A", t=i) for i in range(10)]
    apply(pool, moves)
    dispatcher.run_once()
    with pool.connection() as conn:
        assert states(conn) == [("pending", 1)] + [("pending", 0)] * 9, \
            "only the head is tried: nothing overtakes it"
        error, wait = conn.execute("SELECT last_error, next_attempt_at - now() FROM "
                                   "webhook_deliveries ORDER BY id LIMIT 1").fetchone()
    assert "ConnectionRefusedError" in error and wait.total_seconds() > 0
    dispatcher.run_once()  # not due yet: no new attempt
    with pool.connection() as conn:
        assert states(conn)[0] == ("pending", 1)
    receiver.start()  # back, on the same port
    due_now(pool)
    dispatcher.run_once()
    got = receiver.wait_for(10)
    assert [m["id"] for m in got] == [f"msg_move_{m.event_id}" for m in moves]
    assert dispatcher.stats.delivered == 10 and dispatcher.stats.failed == 1


def test_dead_after_the_last_try_then_the_queue_moves_on_and_replay_resends(
        pool: ConnectionPool, receiver: Receiver, dispatcher: WebhookDispatcher) -> None:
    subscribe(pool, receiver, max_attempts=2)
    first, second = item_move("S1", 1, None, "BIN-A"), item_move("S1", 2, None, "BIN-B", t=1)
    apply(pool, [first, second])
    receiver.status = 500
    dispatcher.run_once()
    due_now(pool)
    dispatcher.run_once()
    with pool.connection() as conn:
        assert states(conn) == [("dead", 2), ("pending", 0)]
        dead_id, status = conn.execute("SELECT id, last_status FROM webhook_deliveries "
                                       "WHERE state = 'dead'").fetchone()
    assert status == 500
    receiver.status = 200
    dispatcher.run_once()
    assert [m["id"] for m in receiver.wait_for(1)] == [f"msg_move_{second.event_id}"]
    with pool.connection() as conn:
        assert store.replay(conn, dead_id) is not None
    dispatcher.run_once()
    assert [m["id"] for m in receiver.wait_for(2)][1] == f"msg_move_{first.event_id}"


def test_filters_and_unit_moves(pool: ConnectionPool, receiver: Receiver,
        dispatcher: WebhookDispatcher) -> None:
    subscribe(pool, receiver, EventType.UNIT_MOVED, EventType.MOVE_APPLIED,
              flt=Filter(warehouse="WH2"))
    apply(pool, [item_move("S1", 1, None, "BIN-A"),
                 unit_move("106141411234567897", None, "WH2-BIN", wh="WH2",
                           contents=(line("S2", 4),))])
    dispatcher.run_once()
    got = receiver.wait_for(2)
    assert sorted(m["type"] for m in got) == ["move.applied", "unit.moved"]
    assert {m["data"]["warehouse"] for m in got} == {"WH2"}
    assert next(m for m in got if m["type"] == "unit.moved")["data"]["unit"].startswith("sscc:")


def test_an_inactive_subscription_gets_nothing(pool: ConnectionPool, receiver: Receiver,
        dispatcher: WebhookDispatcher) -> None:
    sub = subscribe(pool, receiver)
    with pool.connection() as conn:
        store.set_active(conn, sub.id, False)
    apply(pool, [item_move("S1", 1, None, "BIN-A")])
    dispatcher.run_once()
    with pool.connection() as conn:
        assert states(conn) == []
