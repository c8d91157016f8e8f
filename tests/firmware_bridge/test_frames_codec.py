"""The small-device frame codec: known bytes, round trips, chunking and hostile input."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.frames import (
    Ack,
    AckStatus,
    Colour,
    Command,
    Decoder,
    Frame,
    FrameError,
    LightAction,
    Reading,
    SensorKind,
    Unit,
    decode,
    encode,
)
from firmware_bridge.frames.cobs import cobs_decode, cobs_encode
from firmware_bridge.frames.crc import crc16_ccitt_false

u16 = st.integers(0, 0xFFFF)
values = st.builds(
    lambda m, e: Decimal(m).scaleb(e), st.integers(-(2**31), 2**31 - 1), st.integers(-9, 9)
)
readings = st.builds(Reading, st.sampled_from(SensorKind), values, st.sampled_from(Unit))
commands = st.builds(
    Command, st.sampled_from(LightAction), st.sampled_from(Colour),
    st.none() | st.integers(0, 9999), st.booleans(),
)
acks = st.builds(Ack, u16, st.sampled_from(AckStatus))
frames = st.builds(Frame, u16, u16, readings | commands | acks)


def test_crc_is_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


@pytest.mark.parametrize(
    ("frame", "wire"),
    [
        (Frame(7, 1, Reading(SensorKind.TEMPERATURE, Decimal("-18.25"), Unit.CELSIUS)),
         "03 01 01 02 07 0b 01 04 02 fe ff ff f8 df ab 71 00"),
        (Frame(12, 5, Command(LightAction.ON, Colour.GREEN, 12)),
         "03 01 02 02 0c 05 05 01 02 02 04 0c 68 af 00"),
        (Frame(12, 2, Ack(5)), "03 01 03 02 0c 02 02 02 05 03 22 5a 00"),
    ],
)
def test_the_examples_in_docs_frame_protocol(frame: Frame, wire: str) -> None:
    assert encode(frame) == bytes.fromhex(wire)
    assert wire in Path(__file__).parents[2].joinpath("docs/frame-protocol.md").read_text()


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(st.binary(max_size=600))
def test_cobs_round_trip_never_contains_zero(data: bytes) -> None:
    stuffed = cobs_encode(data)
    assert 0 not in stuffed
    assert cobs_decode(stuffed) == data


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(frames)
def test_decode_encode_round_trip(frame: Frame) -> None:
    wire = encode(frame)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    assert decode(wire[:-1]) == frame
    assert Decoder().feed(wire) == [frame]


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(st.lists(frames, max_size=8), st.data())
def test_one_chunk_or_one_byte_at_a_time_decode_the_same(frames_: list[Frame], data) -> None:
    wire = b"".join(encode(f) for f in frames_)
    whole, bytewise = Decoder(), Decoder()
    assert whole.feed(wire) == frames_
    got = [f for i in range(len(wire)) for f in bytewise.feed(wire[i : i + 1])]
    assert got == frames_
    assert whole.stats == bytewise.stats
    cuts = sorted(data.draw(st.lists(st.integers(0, len(wire)), max_size=6)))
    chunked = Decoder()
    pieces = [wire[a:b] for a, b in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
    assert [f for p in pieces for f in chunked.feed(p)] == frames_


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(st.binary(max_size=300))
def test_random_bytes_give_frames_or_our_error_only(noise: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode(noise)
    decoder = Decoder()
    decoder.feed(noise)  # never raises
    stats = decoder.stats
    assert stats.corrupt + stats.frames <= noise.count(0) + 1


@settings(deadline=None)  # shared 2-core machine: time is not the property
@given(st.binary(max_size=200), frames)
def test_decoder_resynchronises_at_the_next_delimiter(noise: bytes, frame: Frame) -> None:
    decoder = Decoder()
    decoder.feed(noise + b"\x00")
    assert decoder.feed(encode(frame)) == [frame]


def test_corrupt_and_partial_frames_are_counted_and_skipped() -> None:
    good = [Frame(1, n, Reading(SensorKind.WEIGHT, Decimal(n), Unit.KILOGRAM)) for n in range(3)]
    flipped = bytearray(encode(good[1]))
    flipped[4] ^= 0x40
    partial = encode(good[2])[:5] + b"\x00"
    decoder = Decoder()
    out = decoder.feed(encode(good[0]) + bytes(flipped) + partial + encode(good[2]))
    assert out == [good[0], good[2]]
    assert decoder.stats.frames == 2 and decoder.stats.corrupt == 2
    assert decoder.stats.last_error is not None


def test_a_run_without_delimiter_is_dropped_as_one_oversize_frame() -> None:
    decoder = Decoder()
    assert decoder.feed(b"\x01" * 1000) == []
    frame = Frame(2, 9, Ack(8))
    assert decoder.feed(b"\x00" + encode(frame)) == [frame]
    assert decoder.stats.corrupt == 1 and decoder.stats.discarded_bytes == 1000
    assert decoder.pending == 0


def test_empty_frames_between_delimiters_are_not_errors() -> None:
    frame = Frame(2, 9, Ack(8))
    decoder = Decoder()
    assert decoder.feed(b"\x00\x00" + encode(frame) + b"\x00") == [frame]
    assert decoder.stats.corrupt == 0


@pytest.mark.parametrize(
    "make",
    [
        lambda: Frame(70000, 1, Ack(1)),
        lambda: Frame(1, -1, Ack(1)),
        lambda: Frame(1, 1, Command(LightAction.ON, quantity=10000)),
        lambda: Frame(1, 1, Command(3)),  # type: ignore[arg-type]
        lambda: Reading(SensorKind.WEIGHT, Decimal("NaN"), Unit.KILOGRAM),
        lambda: Reading(SensorKind.WEIGHT, Decimal("1e200"), Unit.KILOGRAM),
        lambda: Reading(SensorKind.WEIGHT, 1.5, Unit.KILOGRAM),  # type: ignore[arg-type]
        lambda: Reading(99, Decimal(1), Unit.KILOGRAM),  # type: ignore[arg-type]
    ],
)
def test_values_the_wire_cannot_carry_are_refused_on_construction(make) -> None:
    with pytest.raises(FrameError):
        make()


def test_unknown_version_and_type_are_refused() -> None:
    from firmware_bridge.frames.cobs import cobs_encode as stuff

    for header in (b"\x02\x03\x00\x01\x00\x01", b"\x01\x09\x00\x01\x00\x01"):
        raw = header + b"\x00\x01\x00"
        packet = stuff(raw + crc16_ccitt_false(raw).to_bytes(2, "big"))
        with pytest.raises(FrameError, match=r"version|type"):
            decode(packet)
