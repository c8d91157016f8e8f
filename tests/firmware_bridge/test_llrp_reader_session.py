"""The emulated reader's LLRP conversation, without sockets: sllurp's handshake, ROSpec states,
reports that honour the TagReportContentSelector, and answers to bad requests."""

from __future__ import annotations

from firmware_bridge import llrp as L
from firmware_bridge.llrp_emulator.reader import ReaderIdentity, ReaderSession, TagSighting

EPC = bytes.fromhex("3114F4E4E400000001000000")


def _session() -> ReaderSession:
    return ReaderSession(ReaderIdentity("gate-1", antennas=4))


def _rospec(spec_id: int = 1, antennas: tuple[int, ...] = (1, 2), n: int = 0,
            immediate: bool = True, **selector: bool) -> L.ROSpec:
    start = L.StartTrigger.IMMEDIATE if immediate else L.StartTrigger.NULL
    content = L.TagReportContentSelector(**selector)
    return L.ROSpec(spec_id, boundary=L.ROBoundarySpec(L.ROSpecStartTrigger(start)),
                    ai_specs=(L.AISpec(antennas),),
                    report_spec=L.ROReportSpec(L.ReportTrigger.UPON_N_TAGS_OR_END_OF_AISPEC, n,
                                               content))


def _status(session: ReaderSession, message: object) -> int:
    (reply,) = session.handle(message).messages
    return reply.status.status_code


def _sighting(antenna: int, at: int = 1_000) -> TagSighting:
    return TagSighting(EPC, antenna, -51.4, at, at + 5, 3)


def test_capabilities_carry_what_sllurp_needs() -> None:
    (reply,) = _session().handle(L.GetReaderCapabilities(9)).messages
    assert reply.message_id == 9 and reply.status.ok
    assert reply.general.max_antennas == 4
    band = reply.regulatory.uhf_band
    assert band.power_table and band.rf_mode_table.entries


def test_enable_with_immediate_trigger_starts_inventory_and_delete_all_stops_it() -> None:
    session = _session()
    assert _status(session, L.AddROSpec(1, _rospec())) == 0
    assert session.active_rospec is None
    assert _status(session, L.EnableROSpec(2, 1)) == 0
    assert session.active_rospec is not None
    assert _status(session, L.DeleteROSpec(3, 0)) == 0
    assert session.active_rospec is None and session.report([_sighting(1)]) == []


def test_null_trigger_waits_for_start_and_stop_pauses() -> None:
    session = _session()
    session.handle(L.AddROSpec(1, _rospec(immediate=False)))
    session.handle(L.EnableROSpec(2, 1))
    assert session.active_rospec is None
    assert _status(session, L.StartROSpec(3, 1)) == 0
    assert session.active_rospec is not None
    assert _status(session, L.StopROSpec(4, 1)) == 0
    assert session.active_rospec is None


def test_bad_spec_requests_fail_with_llrp_status_not_exceptions() -> None:
    session = _session()
    assert _status(session, L.EnableROSpec(1, 42)) == L.StatusCode.A_INVALID
    assert _status(session, L.StartROSpec(2, 42)) == L.StatusCode.A_INVALID
    session.handle(L.AddROSpec(3, _rospec()))
    assert _status(session, L.AddROSpec(4, _rospec())) == L.StatusCode.A_INVALID
    assert _status(session, L.DeleteAccessSpec(5, 7)) == L.StatusCode.A_INVALID
    assert _status(session, L.DeleteAccessSpec(6, 0)) == 0


def test_reports_honour_the_selector_and_the_aispec_antennas() -> None:
    session = _session()
    session.handle(L.AddROSpec(1, _rospec(antennas=(1,), antenna_id=False, peak_rssi=False,
                                          first_seen=False, last_seen=True,
                                          tag_seen_count=False)))
    session.handle(L.EnableROSpec(2, 1))
    (report,) = session.report([_sighting(1), _sighting(2)])
    assert report.tags == (L.TagReportData(EPC, last_seen_utc=1_005),)


def test_all_fields_when_asked_and_every_n_tags_splits_reports() -> None:
    session = _session()
    session.handle(L.AddROSpec(1, _rospec(antennas=(0,), n=2, rospec_id=True, antenna_id=True,
                                          peak_rssi=True, first_seen=True, last_seen=True,
                                          tag_seen_count=True)))
    session.handle(L.EnableROSpec(2, 1))
    reports = session.report([_sighting(a) for a in (1, 2, 3, 4, 1)])
    assert [len(r.tags) for r in reports] == [2, 2, 1]
    assert reports[0].tags[1] == L.TagReportData(
        EPC, rospec_id=1, antenna_id=2, peak_rssi=-51, first_seen_utc=1_000,
        last_seen_utc=1_005, tag_seen_count=3)


def test_rejected_frames_get_their_response_type_or_error_message() -> None:
    session = _session()
    bad_add = L.RejectedFrame(L.AddROSpec.TYPE, 5, L.StatusCode.MISSING_PARAMETER, "no ROSpec")
    (reply,) = session.handle(bad_add).messages
    assert isinstance(reply, L.AddROSpecResponse) and reply.message_id == 5
    assert reply.status.status_code == L.StatusCode.MISSING_PARAMETER
    unknown = L.RejectedFrame(200, 6, L.StatusCode.UNSUPPORTED_MESSAGE, "type 200")
    (reply,) = session.handle(unknown).messages
    assert isinstance(reply, L.ErrorMessage)
    (reply,) = session.handle(L.ROAccessReport(7)).messages  # a reader-to-client message
    assert isinstance(reply, L.ErrorMessage)


def test_no_answer_to_enable_events_and_keepalive_ack_and_close_closes() -> None:
    session = _session()
    assert session.handle(L.EnableEventsAndReports(1)).messages == ()
    assert session.handle(L.KeepaliveAck(2)).messages == ()
    reply = session.handle(L.CloseConnection(3))
    assert reply.close and isinstance(reply.messages[0], L.CloseConnectionResponse)


def test_set_reader_config_sets_keepalive_and_reset_clears_specs() -> None:
    session = _session()
    session.handle(L.AddROSpec(1, _rospec()))
    config = L.ReaderConfig(keepalive=L.KeepaliveSpec(1, 5000))
    assert _status(session, L.SetReaderConfig(2, True, config)) == 0
    assert session.keepalive_ms == 5000 and session.rospecs == {}
