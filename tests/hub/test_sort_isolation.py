"""The pure sorting of a window (issue 18): nothing in one message can stop the others, far-future
moves and unregistered gateways become dead letters with their reasons; which failures are
retried and which are split down to the event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud_hub.ingest import messages
from cloud_hub.ingest.messages import sort_messages
from cloud_hub.ingest.pg.isolate import failure_reason, is_transient
from protocol import encode_batch, encode_event, topic
from tests.ledger.factories import item_move

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def test_a_far_future_move_is_a_dead_letter_and_its_batch_applies() -> None:
    far = item_move("S", 1, None, "B1").model_copy(
        update={"occurred_at": datetime(9999, 12, 31, tzinfo=UTC)})
    fast = item_move("S", 1, None, "B1").model_copy(
        update={"occurred_at": NOW + timedelta(minutes=4)})  # a clock a little fast: fine
    out = sort_messages([(topic("WH1", "gw", "moves"), encode_batch([far, fast]))], NOW,
                        timedelta(minutes=5))
    assert [e.event_id for e in out.events_by_sender["gateway:WH1/gw"]] == [fast.event_id]
    (letter,) = out.dead
    assert "ahead of the hub's clock" in letter.reason and "2,912,101 days" in letter.reason


def test_moves_of_a_refused_gateway_are_one_dead_letter_per_message() -> None:
    batch = encode_batch([item_move("S", 1, None, "B1", t=i) for i in range(3)])
    out = sort_messages([(topic("WH1", "rogue", "moves"), batch),
                         (topic("WH1", "known", "moves"), batch),
                         (topic("WH1", "rogue", "heartbeat"), b'{"queue_depth": 1}')],
                        NOW, refused={("WH1", "rogue")})
    assert [d.raw for d in out.dead] == [batch]
    assert "not registered" in out.dead[0].reason and "gateways add WH1 rogue" in out.dead[0].reason
    assert out.event_count == 3 and len(out.news) == 1


def test_a_batch_with_no_good_event_is_one_dead_letter_kept_whole() -> None:
    bad = b'{"events": [{"event_id": "x"}, 1, 2, 3, 4]}'
    out = sort_messages([(topic("WH1", "gw", "moves"), bad)], NOW)
    (letter,) = out.dead
    assert letter.raw == bad and "event 0: " in letter.reason and "(and 2 more)" in letter.reason


def test_a_bug_while_reading_one_message_costs_only_that_message(
        monkeypatch: pytest.MonkeyPatch) -> None:
    good = encode_event(item_move("S", 1, None, "B1"))

    def broken(payload: bytes) -> object:
        if payload == b"boom":
            raise RuntimeError("unforeseen")
        return real(payload)

    real = messages.decode_message
    monkeypatch.setattr(messages, "decode_message", broken)
    out = sort_messages([(topic("WH1", "gw", "moves"), b"boom"),
                         (topic("WH1", "gw", "moves"), good)], NOW)
    assert out.event_count == 1 and "RuntimeError: unforeseen" in out.dead[0].reason


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["moves", "status", "heartbeat", "readings", "bogus"]),
       st.text(max_size=12), st.binary(max_size=300))
def test_sorting_never_raises(channel: str, gateway: str, payload: bytes) -> None:
    name = f"stockpulse/v1/WH1/{gateway}/{channel}"
    out = sort_messages([(name, payload)], NOW)  # one message: at most one fate
    fates = len(out.dead) + len(out.news) + (out.event_count > 0) + len(out.readings) + \
        out.device_notes
    assert fates <= 1


@pytest.mark.parametrize(("error", "transient"), [
    (psycopg.OperationalError("server closed the connection"), True),
    (psycopg.errors.AdminShutdown("terminating"), True),
    (psycopg.errors.SerializationFailure("retry"), True),
    (psycopg.errors.LockNotAvailable("lock"), True),
    (psycopg.InterfaceError("connection closed"), True),
    (psycopg.errors.NumericValueOutOfRange("bigint out of range"), False),
    (psycopg.errors.InvalidTextRepresentation("bad json"), False),
    (psycopg.errors.ProgramLimitExceeded("index row too large"), False),
    (psycopg.errors.CheckViolation("check"), False),
    (ValueError("Maximum serialization depth exceeded"), False),
    (RecursionError("too deep"), False),
])
def test_only_a_lost_or_busy_database_is_retried(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient
    assert "\x00" not in failure_reason(error) and len(failure_reason(error)) <= 500
