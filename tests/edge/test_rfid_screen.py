"""ReadScreen, AntennaWatch and LogLimiter on their own (pure): what reaches the portal logic,
what is counted and said, and that a location tag tells which door an antenna sees."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.rfid.antennas import MARKER_AFTER, AntennaState, AntennaWatch
from edge.rfid.clock import ClockKind
from edge.rfid.config import ReadChecks, ReaderConfig
from edge.rfid.screen import RawRead, ReadScreen
from edge.rfid.warn import LogLimiter

S = 1_000_000
NOW = 1_780_000_000 * S
PALLET = "3114F4E4E400000001000000"
DOCK1_TAG = "3274257BF46072000000162E"  # TDS E.3: urn:epc:id:sgln:0614141.12345.5678
DOCK1_URI = "urn:epc:id:sgln:0614141.12345.5678"
DOCK2_TAG = "3274257BF4607200000016F3"  # the same GLN, extension 5875
DOCK2_URI = "urn:epc:id:sgln:0614141.12345.5875"
READERS = (ReaderConfig("gate-1", "h", 5084, (1, 2)), ReaderConfig("gate-2", "h", 5085, (1, 2)))
POINTS = {("gate-1", 1): "DOCK-1", ("gate-1", 2): "DOCK-1",
          ("gate-2", 1): "DOCK-2", ("gate-2", 2): "DOCK-2"}


def screen(**checks: object) -> ReadScreen:
    tags = (checks.pop("location_tags", ((DOCK1_URI, "DOCK-1"), (DOCK2_URI, "DOCK-2"))))
    return ReadScreen(READERS, POINTS, ReadChecks(location_tags=tags, **checks))  # type: ignore[arg-type]


def raw(epc: str = PALLET, antenna: int = 1, at: int = NOW, kind: ClockKind = ClockKind.UTC
        ) -> RawRead:
    return RawRead(epc, antenna, -55.0, at, kind)


def test_good_reads_pass_on_the_gateway_clock() -> None:
    s = screen()
    behind = 700 * 86_400 * S  # the reader's clock is 700 days behind
    reads, notices = [], []
    for i in range(3):  # one report a read, each arriving 2 ms after it was made
        got, said = s.screen("gate-1", [raw(at=NOW - behind + i * 1000)], NOW + i * 1000 + 2_000)
        reads += got
        notices += said
    assert notices == []
    assert [(r.epc_hex, r.antenna_id, r.time_us) for r in reads] == [
        (PALLET, 1, NOW + 2_000 + i * 1000) for i in range(3)]
    assert s.status("gate-1", NOW)["clock"]["state"] == "offset"  # type: ignore[index]


@pytest.mark.parametrize(
    ("bad", "counter", "words"),
    [
        (raw(at=1 * S), "bad_timestamps", "fits neither its clock nor ours"),
        (raw(at=NOW + 365 * 86_400 * S), "bad_timestamps", "fits neither"),
        (raw(antenna=7), "unknown_antenna_reads", "antenna 7, which the config does not map"),
        (raw(epc="E28011606000020729AD7567"), "unknown_epc_reads", "not a supported scheme"),
        (raw(epc="3074257BF7194E4000001A85FF00"), "unknown_epc_reads", "needs 24 hex digits"),
    ],
)
def test_a_bad_read_is_counted_described_and_kept_from_the_logic(
        bad: RawRead, counter: str, words: str) -> None:
    s = screen()
    s.screen("gate-1", [raw(at=NOW + i * 1000) for i in range(5)], NOW + 5_000)  # a good clock
    reads, notices = s.screen("gate-1", [bad], NOW + 6_000)
    assert reads == []
    (notice,) = notices
    assert words in notice.message and notice.key.endswith(":gate-1")
    assert s.status("gate-1", NOW)[counter] == 1
    assert s.totals()["accepted"] == 5


def test_an_unknown_epc_is_tracked_by_its_raw_epc_when_the_site_says_so() -> None:
    s = screen(unknown_epcs="track")
    reads, notices = s.screen("gate-1", [raw(epc="E28011606000020729AD7567")], NOW)
    assert [r.epc_hex for r in reads] == ["E28011606000020729AD7567"] and notices == []


def test_a_location_tag_never_moves_and_names_the_door_an_antenna_sees() -> None:
    s = screen()
    reads, notices = s.screen("gate-1", [raw(DOCK1_TAG, 1), raw(DOCK1_TAG, 2)], NOW)
    assert reads == [] and notices == []
    status = s.status("gate-1", NOW)
    assert status["location_tag_reads"] == 2
    assert status["antennas"] == {  # type: ignore[comparison-overlap]
        "1": {"state": "ok", "reads": 1, "door": "DOCK-1", "sees": "DOCK-1"},
        "2": {"state": "ok", "reads": 1, "door": "DOCK-1", "sees": "DOCK-1"}}


def test_an_antenna_that_mostly_hears_another_doors_tag_is_reported_once() -> None:
    s = screen()
    s.screen("gate-2", [raw(DOCK2_TAG, 1)], NOW)
    _, notices = s.screen("gate-2", [raw(DOCK1_TAG, 2)] * 3, NOW)  # swapped cable
    (notice,) = notices  # said when it starts, not on every read
    assert "antenna 2 of reader gate-2 mostly hears the location tag of DOCK-1" in notice.message
    assert s.status("gate-2", NOW)["antennas"]["2"]["sees"] == "DOCK-1"  # type: ignore[index]


def test_a_location_tag_no_door_claims_is_reported() -> None:
    s = screen(location_tags=())
    reads, (notice,) = s.screen("gate-1", [raw(DOCK1_TAG, 1)], NOW)
    assert reads == [] and DOCK1_URI in notice.message and "names" in notice.message


def test_an_antenna_is_silent_when_its_door_hears_enough_tags_without_it() -> None:
    watch = AntennaWatch(POINTS, silent_after=3)
    said = [watch.heard(("gate-1", 1), f"TAG{n}") for n in range(3)]
    assert said[:2] == [[], []]
    ((key, text),) = said[2]
    assert key == ("gate-1", 2) and "cut cable" in text
    assert watch.state(("gate-1", 2)) is AntennaState.SILENT
    assert watch.state(("gate-2", 1)) is AntennaState.UNHEARD  # another door: unaffected
    assert watch.heard(("gate-1", 1), "TAG0") == []  # the same tags again: said once
    ((key, text),) = watch.heard(("gate-1", 2), "TAG9")
    assert "hears again" in text and watch.state(key) is AntennaState.OK


def test_a_quiet_door_is_not_a_dead_antenna() -> None:
    watch = AntennaWatch(POINTS, silent_after=3)
    for n in range(10):  # both antennas hear each pallet, a quiet door hears nothing
        assert watch.heard(("gate-1", 1), f"TAG{n}") == []
        assert watch.heard(("gate-1", 2), f"TAG{n}") == []
    assert {watch.state(("gate-1", a)) for a in (1, 2)} == {AntennaState.OK}


def test_the_log_limiter_says_once_a_while_and_how_many_were_held(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limiter = LogLimiter(logging.getLogger("test.limiter"), 60.0, lambda: now[0])
    with caplog.at_level(logging.WARNING, logger="test.limiter"):
        said = [limiter.warn("k", "bad thing") for _ in range(1000)]
        limiter.warn("other", "another thing")
        now[0] = 61.0
        limiter.warn("k", "bad thing")
    assert said.count(True) == 1
    assert [r.getMessage() for r in caplog.records] == [
        "bad thing", "another thing", "bad thing (999 more like this since the last report)"]


@given(st.lists(st.tuples(st.text("0123456789ABCDEF", min_size=1, max_size=40),
                          st.integers(0, 70_000), st.integers(0, 2**64 - 1)), max_size=40))
def test_any_reads_are_screened_without_error_and_all_are_counted(
        reads: list[tuple[str, int, int]]) -> None:
    s = screen(unknown_epcs="ignore")
    out, _notices = s.screen("gate-1", [raw(e, a, t) for e, a, t in reads], NOW)
    status, totals = s.status("gate-1", NOW), s.totals()
    refused = sum(int(status[k]) for k in ("bad_timestamps", "unknown_antenna_reads",  # type: ignore[call-overload]
                                           "unknown_epc_reads", "location_tag_reads"))
    assert len(out) == totals["accepted"] and len(out) + refused == len(reads)


def test_an_antenna_that_stops_hearing_its_doors_location_tag_is_silent() -> None:
    s = screen()
    s.screen("gate-1", [raw(DOCK1_TAG, 1), raw(DOCK1_TAG, 2)], NOW)  # both hear the marker
    notices = []
    for _ in range(MARKER_AFTER):  # no pallet passes; antenna 2's cable is cut
        notices += s.screen("gate-1", [raw(DOCK1_TAG, 1)], NOW)[1]
    (notice,) = notices
    assert "antenna 2 of reader gate-1 (DOCK-1)" in notice.message
    assert "its location tag 100 times" in notice.message
    assert s.status("gate-1", NOW)["antennas"]["2"]["state"] == "silent"  # type: ignore[index]


def test_an_antenna_that_never_heard_the_location_tag_is_not_judged_by_it() -> None:
    s = screen()
    for _ in range(MARKER_AFTER * 2):  # antenna 2 is mounted out of the tag's sight
        assert s.screen("gate-1", [raw(DOCK1_TAG, 1)], NOW)[1] == []
