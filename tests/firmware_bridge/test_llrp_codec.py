"""The LLRP codec: round trips, chunking invariance, hostile bytes, and sllurp interoperability."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sllurp.llrp import LLRPClient, LLRPMessage, LLRPReaderConfig
from sllurp.llrp_proto import LLRPROSpec

from firmware_bridge import llrp as L

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
u64 = st.integers(0, 2**64 - 1)
i8 = st.integers(-128, 127)
text = st.text(max_size=20)

# Raw parameters only with types the codec does not model, so they decode back as raw.
_MODELLED = {128, 129, 137, 139, 140, 141, 142, 143, 144, 145, 146, 148, 177, 178, 179, 182,
             183, 218, 220, 221, 226, 237, 238, 240, 241, 244, 245, 246, 256, 257, 287, 288,
             289, 327, 328, 329, 348, 184, 186, 222, 223, 224, 330, 335, 336}
raw = st.builds(L.RawParameter, st.integers(128, 1023).filter(lambda t: t not in _MODELLED),
                st.binary(max_size=12))
extras = st.lists(raw, max_size=2).map(tuple)

status = st.builds(L.LLRPStatus, st.sampled_from(list(L.StatusCode)), text,
                   st.none() | st.builds(L.FieldError, u16, u16),
                   st.none() | st.builds(L.ParameterError, u16, u16, extras), extras)
selector = st.builds(L.TagReportContentSelector, *[st.booleans()] * 10,
                     epc_memory=st.none() | st.builds(L.C1G2EPCMemorySelector, st.booleans(),
                                                      st.booleans()),
                     extra=extras)
report_spec = st.builds(L.ROReportSpec, u8, u16, selector, extras)
rospec = st.builds(
    L.ROSpec, u32, u8, u8,
    st.builds(L.ROBoundarySpec, st.builds(L.ROSpecStartTrigger, u8, extras),
              st.builds(L.ROSpecStopTrigger, u8, u32, extras), extras),
    st.lists(st.builds(L.AISpec, st.lists(u16, max_size=4).map(tuple), extras), min_size=1,
             max_size=2).map(tuple),
    st.none() | report_spec, extras,
)
tag = st.builds(
    L.TagReportData, st.binary(min_size=0, max_size=16), *[st.none() | u32, st.none() | u16,
                                                           st.none() | u16, st.none() | u16,
                                                           st.none() | i8, st.none() | u16,
                                                           st.none() | u64, st.none() | u64,
                                                           st.none() | u64, st.none() | u64,
                                                           st.none() | u16, st.none() | u32],
    extra=extras,
)
capabilities = st.builds(
    L.GetReaderCapabilitiesResponse, u32, status,
    st.none() | st.builds(L.GeneralDeviceCapabilities, u16, u32, u32, text, st.booleans(),
                          st.booleans(),
                          st.lists(st.builds(L.ReceiveSensitivityTableEntry, u16,
                                             st.integers(-32768, 32767)), max_size=2).map(tuple),
                          st.lists(st.builds(L.PerAntennaAirProtocol, u16,
                                             st.lists(u8, max_size=3).map(tuple)),
                                   max_size=2).map(tuple),
                          st.none() | st.builds(L.GPIOCapabilities, u16, u16), extras),
    st.none() | st.builds(L.LLRPCapabilities, u8, u8, u16, u32, u32, u32, u32, u32),
    st.none() | st.builds(
        L.RegulatoryCapabilities, u16, u16,
        st.none() | st.builds(
            L.UHFBandCapabilities,
            st.lists(st.builds(L.TransmitPowerLevelTableEntry, u16,
                               st.integers(-32768, 32767)), max_size=3).map(tuple),
            st.none() | st.builds(L.FrequencyInformation, st.booleans(),
                                  st.none() | st.builds(L.FixedFrequencyTable,
                                                        st.lists(u32, max_size=3).map(tuple)),
                                  extras),
            st.none() | st.builds(L.UHFC1G2RFModeTable, st.lists(st.builds(
                L.UHFC1G2RFModeTableEntry, u32, st.booleans(), st.booleans(), u8, u8, u8,
                u32, u32, u32, u32, u32), max_size=2).map(tuple), extras),
            extras),
        extras),
    st.none() | st.builds(L.C1G2LLRPCapabilities, u8, u16),
    extra=extras,
)
config = st.builds(
    L.ReaderConfig, st.none() | st.builds(L.Identification, u8, st.binary(max_size=8)),
    st.lists(st.builds(L.AntennaProperties, u16, st.booleans(), st.integers(-32768, 32767)),
             max_size=3).map(tuple),
    st.none() | st.builds(L.ReaderEventNotificationSpec,
                          st.lists(st.builds(L.EventNotificationState, u16, st.booleans()),
                                   max_size=3).map(tuple), extras),
    st.none() | report_spec, st.none() | st.builds(L.KeepaliveSpec, u8, u32),
    st.none() | st.builds(L.EventsAndReports, st.booleans()),
)
simple = st.one_of(*[
    st.builds(cls, u32, status, extra=extras) for cls in (
        L.SetReaderConfigResponse, L.CloseConnectionResponse, L.AddROSpecResponse,
        L.DeleteROSpecResponse, L.StartROSpecResponse, L.StopROSpecResponse,
        L.EnableROSpecResponse, L.DisableROSpecResponse, L.DeleteAccessSpecResponse,
        L.ErrorMessage)
], *[
    st.builds(cls, u32, u32, extra=extras) for cls in (
        L.DeleteROSpec, L.StartROSpec, L.StopROSpec, L.EnableROSpec, L.DisableROSpec,
        L.DeleteAccessSpec)
], *[
    st.builds(cls, u32, extra=extras) for cls in (
        L.CloseConnection, L.Keepalive, L.KeepaliveAck, L.EnableEventsAndReports)
])
messages = st.one_of(
    simple,
    capabilities,
    st.builds(L.GetReaderCapabilities, u32, u8, extra=extras),
    st.builds(L.GetReaderConfig, u32, u16, u8, u16, u16, extra=extras),
    st.builds(L.GetReaderConfigResponse, u32, status, config, extra=extras),
    st.builds(L.SetReaderConfig, u32, st.booleans(), config, extra=extras),
    st.builds(L.AddROSpec, u32, rospec, extra=extras),
    st.builds(L.ROAccessReport, u32, st.lists(tag, max_size=4).map(tuple), extra=extras),
    st.builds(L.ReaderEventNotification, u32, st.builds(
        L.ReaderEventNotificationData,
        st.one_of(st.builds(L.UTCTimestamp, u64), st.builds(L.Uptime, u64)),
        st.lists(st.one_of(st.builds(L.ConnectionAttemptEvent, u16),
                           st.builds(L.ConnectionCloseEvent), raw), max_size=2).map(tuple)),
        extra=extras),
)


def _events(decoder: L.Decoder, chunks: list[bytes]) -> list[Any]:
    """Every message and the fatal error, in order, however the bytes were cut."""
    out: list[Any] = []
    for chunk in [*chunks, b""]:
        try:
            out.extend(decoder.feed(chunk))
        except L.LlrpError as exc:
            out.append(("error", exc.reason))
            break
    return out


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(messages)
def test_decode_of_encode_is_identity(message: Any) -> None:
    assert L.Decoder().feed(L.encode(message)) == [message]


@settings(max_examples=100)
@given(st.lists(messages, min_size=1, max_size=4), st.data())
def test_one_chunk_or_byte_at_a_time_or_random_cuts_decode_the_same(msgs: list[Any],
                                                                     data: st.DataObject) -> None:
    stream = b"".join(L.encode(m) for m in msgs)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    pieces = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    whole = _events(L.Decoder(), [stream])
    assert whole == msgs
    assert _events(L.Decoder(), [bytes([b]) for b in stream]) == whole
    assert _events(L.Decoder(), pieces) == whole


@settings(max_examples=500)
@given(st.binary(max_size=300), st.data())
def test_random_bytes_give_messages_or_llrp_error_only(blob: bytes, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(blob)))
    one = _events(L.Decoder(max_message_bytes=4096), [blob])
    split = _events(L.Decoder(max_message_bytes=4096), [blob[:cut], blob[cut:]])
    assert one == split
    for event in one:
        assert isinstance(event, tuple) or type(event) in L.MESSAGE_TYPES.values() or isinstance(
            event, L.RejectedFrame)


@settings(max_examples=200)
@given(messages, st.integers(10, 400), st.binary(min_size=1, max_size=8))
def test_corrupted_body_of_a_valid_frame_is_rejected_not_crashing(message: Any, at: int,
                                                                  junk: bytes) -> None:
    frame = bytearray(L.encode(message))
    pos = min(at, len(frame))
    frame[pos:pos + len(junk)] = junk
    frame[2:6] = len(frame).to_bytes(4, "big")
    (event,) = L.Decoder().feed(bytes(frame))
    assert type(event) in L.MESSAGE_TYPES.values() or isinstance(event, L.RejectedFrame)


def test_a_bad_length_is_fatal_and_stays_fatal_but_earlier_messages_survive() -> None:
    good = L.encode(L.Keepalive(7))
    decoder = L.Decoder()
    assert decoder.feed(good + b"\x04\x3e\x00\x00\x00\x03\x00\x00\x00\x01") == [L.Keepalive(7)]
    assert decoder.failed is not None
    with pytest.raises(L.LlrpError):
        decoder.feed(good)


def test_unknown_type_and_wrong_version_are_rejected_with_their_status() -> None:
    unknown = b"\x04\xc8\x00\x00\x00\x0a\x00\x00\x00\x05"  # version 1, type 200
    version2 = b"\x08\x3e\x00\x00\x00\x0a\x00\x00\x00\x06"  # version 2, KEEPALIVE
    assert L.Decoder().feed(unknown + version2) == [
        L.RejectedFrame(200, 5, L.StatusCode.UNSUPPORTED_MESSAGE,
                        "message type 200 is not supported"),
        L.RejectedFrame(62, 6, L.StatusCode.UNSUPPORTED_VERSION,
                        "protocol version 2 is not supported"),
    ]


def test_encoding_a_field_that_does_not_fit_is_an_llrp_error() -> None:
    with pytest.raises(L.LlrpError):
        L.encode(L.DeleteROSpec(1, 2**32))
    with pytest.raises(L.LlrpError):
        L.encode(L.ROAccessReport(1, (L.TagReportData(b"\x01" * 12, peak_rssi=300),)))


def _sllurp_handshake_bytes() -> list[bytes]:
    sent: list[bytes] = []
    cfg = LLRPReaderConfig({"antennas": [1, 2], "tag_content_selector": {"EnableAntennaID": True}})
    client = LLRPClient(cfg, transport_tx_write=sent.append)
    client.send_GET_READER_CAPABILITIES(None, None)
    client.send_GET_READER_CONFIG(None)
    client.send_ENABLE_EVENTS_AND_REPORTS()
    client.send_SET_READER_CONFIG(None)
    client.stopPolitely()
    rospec = LLRPROSpec(None, 1, antennas=[1, 2], tag_content_selector=cfg.tag_content_selector)
    client.send_ADD_ROSPEC(rospec, None)
    client.send_ENABLE_ROSPEC(None, rospec, None)
    client.send_KEEPALIVE_ACK()
    return sent


def test_decodes_what_sllurp_sends() -> None:
    decoded = L.Decoder().feed(b"".join(_sllurp_handshake_bytes()))
    kinds = [type(m) for m in decoded]
    assert kinds == [L.GetReaderCapabilities, L.GetReaderConfig, L.EnableEventsAndReports,
                     L.SetReaderConfig, L.DeleteAccessSpec, L.AddROSpec, L.EnableROSpec,
                     L.KeepaliveAck]
    assert decoded[3].config.keepalive == L.KeepaliveSpec(1, 60_000)
    spec = decoded[5].rospec
    assert spec.boundary.start.trigger == L.StartTrigger.IMMEDIATE
    assert spec.ai_specs[0].antenna_ids == (1, 2)
    assert spec.report_spec.content.antenna_id and not spec.report_spec.content.first_seen


def test_sllurp_decodes_our_tag_report() -> None:
    epc = bytes.fromhex("3114F4E4E400000001000000")
    report = L.ROAccessReport(3, (L.TagReportData(epc, antenna_id=2, peak_rssi=-51,
                                                  first_seen_utc=10, last_seen_utc=11,
                                                  tag_seen_count=4),))
    decoded = LLRPMessage(msgbytes=L.encode(report)).msgdict["RO_ACCESS_REPORT"]
    (tag_dict,) = decoded["TagReportData"]
    assert tag_dict["EPC-96"] == b"3114f4e4e400000001000000"
    assert (tag_dict["AntennaID"], tag_dict["PeakRSSI"], tag_dict["TagSeenCount"]) == (2, -51, 4)
    assert (tag_dict["FirstSeenTimestampUTC"], tag_dict["LastSeenTimestampUTC"]) == (10, 11)


def test_sllurps_inventory_settings_decode_typed_and_re_encode_byte_for_byte() -> None:
    sent: list[bytes] = []
    cfg = LLRPReaderConfig({"antennas": [1, 2]})
    client = LLRPClient(cfg, transport_tx_write=sent.append)
    mode = {"ModeIdentifier": 1000, "MaxTari": 25_000, "MinTari": 6_250}
    rospec = LLRPROSpec(mode, 1, antennas=[1, 2], tx_power={1: 21, 2: 41}, session=1,
                        tag_population=32, duration_sec=0.5,
                        tag_filter_mask=["3114F4E4"])
    client.send_ADD_ROSPEC(rospec, None)
    (message,) = L.Decoder().feed(sent[0])
    (ai,) = message.rospec.ai_specs
    assert ai.stop_trigger == L.AISpecStopTrigger(1, 500)  # Duration, ms (§16.2.4.2.1)
    configs = ai.antenna_configs()
    assert {a: c.transmitter.transmit_power for a, c in configs.items()} == {1: 21, 2: 41}
    command = configs[2].inventory
    assert command is not None and not command.tag_inventory_state_aware
    assert command.singulation == L.C1G2SingulationControl(1, 32, 0)
    assert command.rf_control == L.C1G2RFControl(1000, 0)
    assert any(isinstance(p, L.RawParameter) and p.type == 331 for p in command.params)  # filter
    assert L.encode(message) == sent[0]
