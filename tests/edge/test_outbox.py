"""SqliteOutbox: durable, ordered, bounded; batches identical to protocol.encode_batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gateway_helpers import make_event

from edge.outbox import OutboxFull, SqliteOutbox
from protocol import MAX_PAYLOAD_BYTES, decode_message, encode_batch


def test_batch_is_byte_identical_to_encode_batch(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite")
    events = [make_event("WH", i) for i in range(5)]
    box.enqueue(events)
    batch = box.next_batch(0)
    assert batch is not None and batch.count == 5
    assert batch.payload == encode_batch(events)


def test_events_come_out_in_insertion_order_and_ack_deletes(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite")
    events = [make_event("WH", i, unit="000000000000000017") for i in range(10)]
    for e in events:
        box.enqueue([e])
    first = box.next_batch(0, max_events=4)
    assert first is not None
    second = box.next_batch(first.last_seq, max_events=100)
    assert second is not None
    got = decode_message(first.payload).events + decode_message(second.payload).events
    assert [e.event_id for e in got] == [e.event_id for e in events]
    box.ack(first)
    assert box.depth == 6
    assert box.next_batch(second.last_seq) is None


def test_batches_stay_under_the_message_limit(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite")
    box.enqueue([make_event("WH", i) for i in range(2000)])
    cursor, seen = 0, 0
    while (batch := box.next_batch(cursor, max_events=5000)) is not None:
        assert len(batch.payload) <= MAX_PAYLOAD_BYTES
        assert len(json.loads(batch.payload)["events"]) == batch.count
        cursor, seen = batch.last_seq, seen + batch.count
    assert seen == 2000


def test_unacked_events_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "o.sqlite"
    box = SqliteOutbox(path)
    events = [make_event("WH", i) for i in range(3)]
    box.enqueue(events)
    handed = box.next_batch(0)
    assert handed is not None  # handed out but never acknowledged, then the process dies
    box.close()
    again = SqliteOutbox(path)
    assert again.depth == 3
    batch = again.next_batch(0)
    assert batch is not None
    assert [e.event_id for e in decode_message(batch.payload).events] == [
        e.event_id for e in events]


def test_full_outbox_refuses_new_events_and_keeps_old_ones(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite", max_events=5)
    old = [make_event("WH", i) for i in range(5)]
    box.enqueue(old)
    with pytest.raises(OutboxFull, match="outbox full"):
        box.enqueue([make_event("WH", 99)])
    stats = box.stats()
    assert stats.depth == 5 and stats.refused == 1
    assert stats.alarm is not None and "full" in stats.alarm
    batch = box.next_batch(0)
    assert batch is not None and batch.payload == encode_batch(old)
    box.ack(batch)
    assert box.stats().alarm is None
    box.enqueue([make_event("WH", 100)])


def test_byte_limit_is_enforced_all_or_nothing(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite", max_bytes=1000)
    with pytest.raises(OutboxFull):
        box.enqueue([make_event("WH", i) for i in range(10)])
    assert box.depth == 0
