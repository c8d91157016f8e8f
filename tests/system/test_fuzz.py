"""Hostile bytes at every parser that reads the outside world: each gives a value or its own
error type, never anything else (no crash, no foreign exception, no hang).

Inputs mix pure noise with mutations of real traffic (valid events, GS1 labels, EPCs, what
sllurp sends, device frames), so the fuzzer gets past the first length or header check.
A few hundred examples per parser; the run is bounded by Hypothesis' example count.
"""

from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sllurp.llrp import LLRPClient, LLRPReaderConfig
from sllurp.llrp_proto import LLRPROSpec

from edge.epc import EpcError, EpcIdentity, decode_epc, unit_ref_for
from edge.gs1 import label_subject
from firmware_bridge import frames as F
from firmware_bridge import llrp as L
from protocol import ContractError, ItemLine, StockMoved, UnitRef, decode_message, encode_batch
from protocol.codec import event_to_dict
from protocol.labels import Label, LabelError, read_label
from tests.ledger.factories import item_move, line, unit_move

pytestmark = pytest.mark.integration
# STOCKPULSE_FUZZ_EXAMPLES=5000 for a deeper run by hand; CI keeps a few hundred.
FUZZ = settings(max_examples=int(os.environ.get("STOCKPULSE_FUZZ_EXAMPLES", "300")),
                deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed with a few random edits: flips, inserts, deletes, cuts, duplicated spans."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "dup"]))
        if op == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 8))]
        elif op == "cut":
            del data[at:]
        elif op == "dup":
            data[at:at] = data[at:at + draw(st.integers(1, 16))]
    return bytes(data)


# -- MQTT payloads: protocol.decode_message -------------------------------------------------
EVENTS = [item_move("SKU-1", 3, "BIN-A", "BIN-B"),
          unit_move("106141412345678908", "DOCK-1", None, contents=(line("SKU-2", 4),))]
EVENT_SEEDS = [encode_batch(EVENTS), *(encode_batch([e]) for e in EVENTS),
               json.dumps(event_to_dict(EVENTS[0])).encode()]
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4), max_leaves=10)


@st.composite
def edited_event(draw: st.DrawFn) -> bytes:
    """A valid event with one field replaced by arbitrary JSON (or removed)."""
    obj = event_to_dict(draw(st.sampled_from(EVENTS)))
    key = draw(st.sampled_from(sorted(obj)))
    if draw(st.booleans()):
        obj[key] = draw(json_value)
    else:
        del obj[key]
    return json.dumps({"events": [obj]}, default=str).encode()


@FUZZ
@given(st.binary(max_size=600) | mutated(EVENT_SEEDS) | edited_event())
def test_mqtt_payload_decoder(payload: bytes) -> None:
    try:
        decoded = decode_message(payload)
    except ContractError:
        return
    for event in decoded.events:
        assert isinstance(event, StockMoved)
        # What the hub accepted re-encodes and decodes to itself.
        assert decode_message(encode_batch([event])).events == (event,)
    assert all(isinstance(r.reason, str) and r.reason for r in decoded.rejected)


# -- labels: protocol.labels, edge.gs1 --------------------------------------------------------
GS1_SEEDS = ["]C1" "00106141412345678908", "]C1" "0109506000134352" "10LOT-7\x1d" "17261231",
             "(01)09506000134352(10)ABC(37)12", "]d2" "0109506000134352" "21SER1\x1d" "3103001250",
             "]Q3" "00106141412345678908\r\n", "09506000134352"]
TODAY = date(2026, 5, 1)
gs1_text = st.text(alphabet="0123456789()]CdQ3\x1d\r\n -ABCxyz%", max_size=60)


@FUZZ
@given(gs1_text | st.text(max_size=60)
       | mutated([s.encode() for s in GS1_SEEDS]).map(lambda b: b.decode("latin-1")))
def test_gs1_parser(raw: str) -> None:
    try:
        label = read_label(raw, today=TODAY)
    except LabelError:
        return
    assert isinstance(label, Label)
    try:
        subject = label_subject(label)
    except LabelError:
        return
    assert isinstance(subject, UnitRef | ItemLine)


# -- EPCs: edge.epc -------------------------------------------------------------------------
EPC_SEEDS = [b"3074257BF7194E4000001A85", b"3114F4E4E400000001000000",
             b"30340242201D8840009EFB56"]
epc_hex = st.builds(lambda header, body: header + body,
                    st.sampled_from(["30", "31", "32", "33", "34", "35", "36", "37", "38", "39",
                                     "3A", "3B", "2C", "2D", "E2", "00", "FF"]),
                    st.text(alphabet="0123456789abcdefABCDEF", max_size=64))


@FUZZ
@given(epc_hex | st.text(max_size=40)
       | mutated(EPC_SEEDS).map(lambda b: b.decode("latin-1")))
def test_epc_decoder(text: str) -> None:
    try:
        identity = decode_epc(text)
    except EpcError:
        identity = None
    if identity is not None:
        assert isinstance(identity, EpcIdentity) and identity.uri.startswith("urn:epc:id:")
    try:
        ref = unit_ref_for(text)
    except EpcError:
        return
    assert isinstance(ref, UnitRef) and ref.epc is not None


# -- LLRP: firmware_bridge.llrp.Decoder -----------------------------------------------------
def sllurp_sends() -> list[bytes]:
    """The messages a real LLRP client (sllurp) opens a session with, as bytes."""
    sent: list[bytes] = []
    cfg = LLRPReaderConfig({"antennas": [1, 2], "tag_content_selector": {"EnableAntennaID": True}})
    client = LLRPClient(cfg, transport_tx_write=sent.append)
    client.send_GET_READER_CAPABILITIES(None, None)
    client.send_SET_READER_CONFIG(None)
    rospec = LLRPROSpec(None, 1, antennas=[1, 2], tag_content_selector=cfg.tag_content_selector)
    client.send_ADD_ROSPEC(rospec, None)
    client.send_ENABLE_ROSPEC(None, rospec, None)
    return sent


LLRP_SEEDS = [*sllurp_sends(),
              L.encode(L.ROAccessReport(7, (L.TagReportData(
                  bytes.fromhex("3114F4E4E400000001000000"), antenna_id=2, peak_rssi=-51,
                  first_seen_utc=10, last_seen_utc=11, tag_seen_count=3),)))]


def _llrp_run(chunks: list[bytes]) -> tuple[list[object], str | None]:
    decoder, out = L.Decoder(max_message_bytes=4096), []
    try:
        for chunk in chunks:
            out += decoder.feed(chunk)
    except L.LlrpError:
        pass
    # A fatal error after messages of the same feed() is raised by the next call: compare
    # the decoder's recorded failure, whichever call surfaced it.
    return out, None if decoder.failed is None else str(decoder.failed)


@FUZZ
@given(st.binary(max_size=400) | mutated(LLRP_SEEDS)
       | st.lists(mutated(LLRP_SEEDS), max_size=3).map(b"".join), st.data())
def test_llrp_decoder(blob: bytes, data: st.DataObject) -> None:
    whole = _llrp_run([blob])  # LlrpError is the only exception that may leave feed()
    cut = sorted(data.draw(st.lists(st.integers(0, len(blob)), max_size=4)))
    pieces = [blob[a:b] for a, b in zip([0, *cut], [*cut, len(blob)], strict=True)]
    assert _llrp_run(pieces) == whole  # chunking never changes what is decoded


# -- device frames: firmware_bridge.frames.Decoder ------------------------------------------
FRAME_SEEDS = [F.encode(F.Frame(7, 1, F.Reading(F.SensorKind.WEIGHT, Decimal("12.5"),
                                                 F.Unit.KILOGRAM))),
               F.encode(F.Frame(9, 2, F.Command(F.LightAction.ON, F.Colour.GREEN, 4, True))),
               F.encode(F.Frame(9, 3, F.Ack(2)))]


@FUZZ
@given(st.binary(max_size=400) | st.lists(mutated(FRAME_SEEDS), max_size=4).map(b"".join))
def test_frame_decoder(blob: bytes) -> None:
    decoder = F.Decoder()
    frames = decoder.feed(blob)  # documented never to raise
    assert all(isinstance(f, F.Frame) for f in frames)
    # Every good frame decoded is one the encoder would produce byte for byte.
    assert all(F.encode(f) in blob for f in frames)
    one_by_one = F.Decoder()
    assert [f for i in range(len(blob)) for f in one_by_one.feed(blob[i:i + 1])] == frames
    assert one_by_one.stats == decoder.stats
