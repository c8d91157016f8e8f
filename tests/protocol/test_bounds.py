"""Bounded JSON (issue 18): depth found without recursion, deep events cut out of their batch,
free-form values small and finite, gateway health read within bounds."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import ContractError, decode_message, encode_batch, encode_event, event_to_dict
from protocol.bounds import MAX_DEPTH, check_value, loads_bounded, shape
from protocol.gateway import (
    GatewayHeartbeat,
    GatewayStatus,
    decode_heartbeat,
    decode_status,
    status_message,
)
from tests.ledger.factories import item_move


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(("text", "depth", "elements"), [
    (b'{"a": 1}', 1, None),
    (b'[{"a": [1]}, {"b": "]]]]"}, 3]', 3, [b'{"a": [1]}', b' {"b": "]]]]"}', b" 3"]),
    (b'{"events": [{"x": "\\"["}, {}], "more": [[[]]]}', 4, [b'{"x": "\\"["}', b" {}"]),
    (b'{"x": {"events": [1, 2]}}', 3, None),  # only the top level's "events" is the batch
    (b"[]", 1, []),
    (b"[1,]", 1, [b"1", b""]),  # a trailing comma leaves an empty element: refused later
])
def test_shape_finds_depth_and_the_batch_elements(text: bytes, depth: int,
                                                   elements: list[bytes] | None) -> None:
    found = shape(text)
    assert found.depth == depth
    if elements is None:
        assert found.elements is None
    else:
        assert [text[s:e] for s, e, _ in found.elements or ()] == elements


def test_ten_thousand_levels_are_refused_before_any_parser_recurses() -> None:
    with pytest.raises(ContractError, match="nested 10000 levels deep"):
        loads_bounded(deep(10_000))
    assert loads_bounded(deep(MAX_DEPTH)) == json.loads(deep(MAX_DEPTH))


@pytest.mark.parametrize("depth", [9, 300, 999, 10_000])
def test_an_event_nested_too_deep_is_rejected_alone_and_the_batch_kept(depth: int) -> None:
    events = [item_move("S", 1, None, "B1", t=i) for i in range(5)]
    text = encode_batch(events).decode()
    marker = f'"event_id":"{events[2].event_id}"'
    text = text.replace(marker, f'"deep":{deep(depth)},{marker}')
    for body in (text, "[" + text[len('{"events":['):-1]):  # the envelope, and a bare array
        decoded = decode_message(body.encode())
        assert [e.event_id for e in decoded.events] == [e.event_id for i, e in
                                                        enumerate(events) if i != 2]
        assert [r.index for r in decoded.rejected] == [2]
        assert "nested" in decoded.rejected[0].reason


@pytest.mark.parametrize(("extra", "why"), [
    ("NaN", "finite"), ("1e400", "finite"), ('"a\\u0000b"', "NUL"),
    ('"\\ud800"', "surrogate"), ('"' + "x" * 5000 + '"', "longer"),
    (str(2**70), "out of range"), ("[" + ",".join(["1"] * 300) + "]", "entries"),
])
def test_extra_fields_are_kept_only_while_small_and_finite(extra: str, why: str) -> None:
    text = encode_event(item_move("S", 1, None, "B1")).decode()[:-1] + f',"x":{extra}}}'
    decoded = decode_message(json.dumps({"events": [json.loads(encode_event(
        item_move("S", 1, None, "B1")))]})[:-2].encode() + b"," + text.encode() + b"]}")
    assert len(decoded.events) == 1 and why in decoded.rejected[0].reason


def test_small_nested_extra_fields_survive_a_round_trip() -> None:
    body = event_to_dict(item_move("S", 1, None, "B1"))
    body["ilmd"] = {"lots": [{"code": "L1", "ok": True, "temp": -18.5}], "n": 2**40}
    (event,) = decode_message(json.dumps(body).encode()).events
    assert event.extras["ilmd"] == body["ilmd"]


def test_check_value_walks_any_depth_without_recursion() -> None:
    value: list[object] = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(ValueError, match="nested deeper"):
        check_value(value)


@pytest.mark.parametrize("payload", [
    b'{"queue_depth": 1e30}', b'{"queue_depth": Infinity}', b'{"queue_depth": NaN}',
    b'{"queue_depth": -1}', b'{"state": "on\\u0000line"}', b'{"x": "\\u0000"}',
    deep(10_000).encode(), b'{"x": ' + deep(40).encode() + b"}", b"[1, 2]", b"\xff",
    b'{"at": "2026-12-01T08:00:00"}',
])
def test_poison_gateway_health_is_refused_with_the_contract_error(payload: bytes) -> None:
    for decode in (decode_status, decode_heartbeat):
        with pytest.raises(ContractError):
            decode(payload)


def test_heartbeat_keeps_what_a_gateway_sends_and_bounded_fields_yet_unknown() -> None:
    beat = {"at": "2026-12-07T08:00:00+00:00", "queue_depth": 12,
            "outbox": {"depth": 12, "bytes": 3400}, "read_rates": {"dock1-scan": 0.5},
            "reader_health": {"dock1-scan": "ok"},
            "sources": {"rfid": {"reads": 9, "readers": {"gate-dock-1": {
                "connected": True, "reads_per_s": 2.5, "last_error": None,
                "clock_offset_ms": -3.5, "clock_state": "synced"}}}}}
    parsed = decode_heartbeat(json.dumps(beat).encode())
    reader = parsed.sources["rfid"].readers["gate-dock-1"]
    assert parsed.queue_depth == 12 and reader.reads_per_s == 2.5
    assert reader.model_extra == {"clock_offset_ms": -3.5, "clock_state": "synced"}
    assert decode_heartbeat(parsed.encode()) == parsed
    with pytest.raises(ContractError, match="reads_per_s"):
        decode_heartbeat(b'{"sources": {"rfid": {"readers": {"r1": {"reads_per_s": 1e99}}}}}')


def test_status_written_by_the_edge_is_read_by_the_hub() -> None:
    at = datetime(2026, 12, 7, 8, tzinfo=UTC)
    status = decode_status(status_message("offline", "WH1", "gw-1", at))
    assert status == GatewayStatus(state="offline", warehouse="WH1", gateway="gw-1", at=at)
    assert isinstance(GatewayHeartbeat(queue_depth=0).encode(), bytes)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=500) | st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["queue_depth", "state", "sources", "readers", "r", "at"]), inner,
        max_size=5), max_leaves=20).map(lambda v: json.dumps(v).encode()))
def test_any_bytes_give_health_or_the_contract_error(data: bytes) -> None:
    for decode in (decode_status, decode_heartbeat):
        with contextlib.suppress(ContractError):
            decode(data)


def test_an_event_the_parser_refuses_is_cut_out_and_the_others_kept() -> None:
    events = [item_move("S", 1, None, "B1", t=i) for i in range(3)]
    text = encode_batch(events).decode()
    marker = f'"event_id":"{events[1].event_id}"'
    huge = "9" * 5000  # valid JSON, but more digits than Python's int() reads
    decoded = decode_message(text.replace(marker, f'"n":{huge},{marker}').encode())
    assert [e.event_id for e in decoded.events] == [events[0].event_id, events[2].event_id]
    assert [r.index for r in decoded.rejected] == [1]
