"""The wire contract: strict validation with clear messages, round trips, hostile bytes."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocol import (
    MAX_PAYLOAD_BYTES,
    ContractError,
    ItemLine,
    Reason,
    Source,
    SourceKind,
    StockMoved,
    UnitRef,
    decode_message,
    encode_batch,
    encode_event,
    parse_topic,
    subscription,
    topic,
)

GOOD = {"schema": 1, "event_id": "6f1c0e2a-6b1d-4c55-9d0e-2f8f4a7c9b10",
        "occurred_at": "2026-11-23T08:00:00Z", "warehouse": "WH1",
        "source": {"kind": "barcode", "device_id": "scanner-3"},
        "item": {"sku": "S1", "lot": "L7", "quantity": 4}, "to_location": "BIN-A",
        "reason": "receive"}


def with_(**changes: object) -> bytes:
    body = {**GOOD, **changes}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


@pytest.mark.parametrize(("payload", "message"), [
    (with_(event_id="not-a-uuid"), "event_id"),
    (with_(occurred_at="2026-11-23T08:00:00"), "timezone"),
    (with_(item={"sku": "S1", "quantity": 0}), "greater than 0"),
    (with_(item={"sku": "S1", "quantity": -2}), "greater than 0"),
    (with_(to_location=None), "both empty"),
    (with_(item=None), "neither"),
    (with_(reason="teleport"), "reason"),
    (with_(schema=2), "unsupported schema version 2"),
    (with_(item={"quantity": 1}), "sku or a gtin"),
    (with_(unit={"sscc": "123"}), "sscc"),
    (b"x" * (MAX_PAYLOAD_BYTES + 1), "over the 64 KiB limit"),
    (b"\xff\xfe\x00", "not JSON"),
    (b"42", "not int"),
    (b"[]", "at least one"),
    (with_(to_location="BIN\u0000A"), "NUL"),
    (with_(vendor={"note": "a\u0000"}), "NUL"),
])
def test_bad_events_are_refused_with_a_clear_message(payload: bytes, message: str) -> None:
    with pytest.raises(ContractError) as raised:
        decoded = decode_message(payload)
        if decoded.rejected:  # a single bad event inside a batch-like message
            raise ContractError(decoded.rejected[0].reason)
    assert message in str(raised.value)


def test_unknown_fields_are_kept_and_travel_on() -> None:
    event = decode_message(with_(temperature_c=4.5, vendor={"x": 1})).events[0]
    assert event.extras == {"temperature_c": 4.5, "vendor": {"x": 1}}
    again = decode_message(encode_event(event)).events[0]
    assert again == event and again.extras == event.extras


def test_a_bad_event_in_a_batch_is_rejected_alone() -> None:
    batch = [GOOD, {**GOOD, "event_id": "bad"}, {**GOOD, "event_id": str(uuid.uuid4())}]
    decoded = decode_message(json.dumps({"events": batch}).encode())
    assert len(decoded.events) == 2
    assert [r.index for r in decoded.rejected] == [1]
    assert "event_id" in decoded.rejected[0].reason


def test_a_nul_character_rejects_its_event_alone_and_an_escaped_backslash_does_not() -> None:
    batch = [{**GOOD, "event_id": str(uuid.uuid4()), "user": "a\u0000b"},
             {**GOOD, "event_id": str(uuid.uuid4()), "user": "a\\u0000b"}]
    decoded = decode_message(json.dumps(batch).encode())
    assert [r.index for r in decoded.rejected] == [0]
    assert [e.user for e in decoded.events] == ["a\\u0000b"]


def test_topics_round_trip_and_refuse_wildcards() -> None:
    name = topic("WH1", "gw-7", "moves")
    assert name == "stockpulse/v1/WH1/gw-7/moves"
    parsed = parse_topic(name)
    assert (parsed.warehouse, parsed.gateway, parsed.channel) == ("WH1", "gw-7", "moves")
    assert subscription("moves", "hub") == "$share/hub/stockpulse/v1/+/+/moves"
    for bad in ("WH/1", "+", "#", ""):
        with pytest.raises(ContractError):
            topic(bad, "gw", "moves")
    with pytest.raises(ContractError):
        parse_topic("stockpulse/v2/WH1/gw/moves")


codes = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zs")),
                min_size=1, max_size=20)
quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**9), places=3,
                         allow_nan=False, allow_infinity=False)
items = st.builds(ItemLine, sku=codes, lot=st.none() | codes, quantity=quantities,
                  status=st.sampled_from(["available", "quarantine", "damaged"]))
units = st.builds(UnitRef, sscc=st.from_regex(r"\A[0-9]{18}\Z"))
times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                     timezones=st.just(UTC))


@st.composite
def events(draw: st.DrawFn) -> StockMoved:
    unit = draw(st.none() | units)
    item = draw(items) if unit is None else draw(st.none() | items)
    frm = draw(st.none() | codes)
    to = draw(codes) if frm is None or (unit and item) else draw(st.none() | codes)
    if unit is not None and item is not None:
        frm = frm or draw(codes)
    return StockMoved(event_id=draw(st.uuids()), occurred_at=draw(times), warehouse="WH1",
                      source=Source(kind=draw(st.sampled_from(list(SourceKind))),
                                    device_id=draw(codes)),
                      unit=unit, item=item, from_location=frm, to_location=to,
                      reason=draw(st.sampled_from(list(Reason))))


@settings(max_examples=200, deadline=None)
@given(events())
def test_decode_encode_round_trip(event: StockMoved) -> None:
    assert decode_message(encode_event(event)).events == (event,)


@settings(max_examples=50, deadline=None)
@given(st.lists(events(), min_size=1, max_size=20))
def test_batch_round_trip(batch: list[StockMoved]) -> None:
    assert list(decode_message(encode_batch(batch)).events) == batch


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_random_bytes_raise_only_the_contract_error(data: bytes) -> None:
    with contextlib.suppress(ContractError):
        decode_message(data)


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from([*GOOD, "x"]), inner, max_size=6),
                    max_leaves=20))
def test_random_json_raises_only_the_contract_error(value: object) -> None:
    with contextlib.suppress(ContractError):
        decode_message(json.dumps(value).encode())
