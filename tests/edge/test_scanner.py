"""Fixed scanners: line splitting, station rules, and SerialScanner on a real pty."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.scanner import LabelRejected, LineSplitter, station_move
from edge.scanner.serial_scanner import SerialScanner
from edge.settings import ScannerSettings
from firmware_bridge.scanner_emulator import PtyScanner, ScannerProfile, make_scan
from protocol import Reason, StockMoved

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
DOCK3 = ScannerSettings(id="dock3-scan", port="/dev/null", location="DOCK-3",
                        unit_reason=Reason.RECEIVE, item_reason=Reason.SIGHTING,
                        backoff_min_s=0.05, backoff_max_s=0.2)


# -- line splitting ------------------------------------------------------------------------------
def test_lines_end_at_cr_lf_crlf_and_tab_and_noise_is_dropped() -> None:
    splitter = LineSplitter()
    lines = splitter.feed(b"\x00\xffABC\r\nDEF\n\x01GH\x1dI\tJ")
    assert [line.text for line in lines] == ["ABC", "DEF", "GH\x1dI"]
    assert splitter.noise_bytes == 3
    assert [line.text for line in splitter.feed(b"K\r")] == ["JK"]


def test_an_overlong_line_is_discarded_whole_and_counted() -> None:
    splitter = LineSplitter(max_line=10)
    assert [x.text for x in splitter.feed(b"X" * 50 + b"\rOK\r")] == ["OK"]
    assert splitter.overlong_lines == 1


@given(st.binary(max_size=200), st.lists(st.integers(1, 20), max_size=30))
def test_any_chunking_gives_the_same_lines(data: bytes, cuts: list[int]) -> None:
    whole = LineSplitter().feed(data)
    chunked, splitter, pos = [], LineSplitter(), 0
    for cut in [*cuts, len(data)]:
        chunked += splitter.feed(data[pos:pos + cut])
        pos += cut
    chunked += splitter.feed(data[pos:])
    assert chunked == whole


# -- station rules -------------------------------------------------------------------------------
def _move(text: str, station: ScannerSettings = DOCK3) -> StockMoved:
    return station_move(text, station, "WH1", event_id=uuid.uuid4(), now=NOW)


def test_pallet_label_at_dock_3_means_the_pallet_arrived_at_dock_3() -> None:
    move = _move("]C100106141411234567897")
    assert move.unit is not None and move.unit.sscc == "106141411234567897"
    assert move.to_location == "DOCK-3" and move.from_location is None
    assert move.reason is Reason.RECEIVE and move.item is None
    assert move.source.kind == "barcode" and move.source.device_id == "dock3-scan"
    assert move.occurred_at == NOW


def test_gtin_lot_quantity_label_moves_that_item_quantity() -> None:
    move = _move("]C10109506000134352172612311" + "0LOT42\x1d3712")
    assert move.item is not None and move.unit is None
    assert (move.item.gtin, move.item.lot, move.item.quantity) == ("09506000134352", "LOT42",
                                                                  Decimal(12))
    assert move.item.expiry is not None and move.item.expiry.isoformat() == "2026-12-31"
    assert move.reason is Reason.SIGHTING


@pytest.mark.parametrize(("text", "reason"), [
    ("]C100106141411234567890", "check digit"),
    ("]C11726123110LOT", "neither an SSCC"),
    ("]C10109506000134352\x1d370", "greater than 0"),
    ("garbage", "GS1"),
])
def test_bad_labels_are_rejected_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(LabelRejected, match=reason):
        _move(text)


def _with_port(port: str) -> ScannerSettings:
    return replace(DOCK3, port=port)


# -- SerialScanner on a pty ----------------------------------------------------------------------
class Sink:
    def __init__(self) -> None:
        self.moves: list[StockMoved] = []
        self.cond = threading.Condition()

    def __call__(self, moves: Sequence[StockMoved]) -> None:
        with self.cond:
            self.moves.extend(moves)
            self.cond.notify_all()

    def wait_count(self, n: int, timeout: float = 10) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.moves) >= n, timeout)


def _wait(predicate: object, timeout: float = 10) -> bool:
    done = threading.Event()
    deadline = threading.Timer(timeout, done.set)
    deadline.start()
    try:
        while not done.is_set():
            if predicate():  # type: ignore[operator]
                return True
            done.wait(0.02)
        return False
    finally:
        deadline.cancel()


@pytest.mark.integration
def test_scanner_on_a_pty_posts_moves_and_counts_malformed(tmp_path: Path) -> None:
    sink = Sink()
    profile = ScannerProfile(terminator=b"\r\n", char_delay=0.0005)  # arrives in pieces
    with PtyScanner(profile) as emulator:
        scanner = SerialScanner(_with_port(emulator.path), "WH1", sink)
        scanner.start()
        try:
            assert _wait(lambda: scanner.stats()["connected"])
            emulator.send(make_scan("gs1-128", "(00)106141411234567897"))
            emulator.send_raw(b"\x00\xff\xfe")  # line noise between scans
            emulator.send(make_scan("gs1-128", "(00)106141411234567890"))  # bad check digit
            emulator.send(make_scan("gs1-datamatrix", "(01)09506000134352(10)LOT42(37)4"))
            emulator.send(make_scan("code128", "HELLO"))
            emulator.send(make_scan("ean13", "9506000134352"))
            assert sink.wait_count(3)
            assert _wait(lambda: scanner.stats()["scans"] == 5)
        finally:
            scanner.stop()
    units = [m.unit.sscc for m in sink.moves if m.unit]
    items = [(m.item.gtin, m.item.lot, m.item.quantity) for m in sink.moves if m.item]
    assert units == ["106141411234567897"]
    assert items == [("09506000134352", "LOT42", 4), ("09506000134352", None, 1)]
    assert all(m.to_location == "DOCK-3" for m in sink.moves)
    stats = scanner.stats()
    assert stats["malformed"] == 2 and stats["moves"] == 3
    assert stats["noise_bytes"] == 3
    assert "check digit" in str(stats["last_malformed"]) or "GS1" in str(stats["last_malformed"])


@pytest.mark.integration
def test_scanner_survives_the_port_going_away_and_coming_back(tmp_path: Path) -> None:
    sink = Sink()
    link = tmp_path / "ttyScanner"  # like a udev symlink that follows the device
    first = PtyScanner()
    link.symlink_to(first.path)
    scanner = SerialScanner(_with_port(str(link)), "WH1", sink)
    scanner.start()
    try:
        assert _wait(lambda: scanner.stats()["connected"])
        first.send_raw(b"]C10010614141123456789")  # half a scan, then the cable is pulled
        first.close()
        assert _wait(lambda: scanner.stats()["disconnects"] == 1)
        link.unlink()
        second = PtyScanner()
        link.symlink_to(second.path)
        try:
            assert _wait(lambda: scanner.stats()["opens"] == 2)
            second.send(make_scan("gs1-128", "(00)106141411234567897"))
            assert sink.wait_count(1)
        finally:
            second.close()
    finally:
        scanner.stop()
    assert [m.unit.sscc for m in sink.moves if m.unit] == ["106141411234567897"]
    assert scanner.stats()["malformed"] == 0  # the half scan was dropped, not misread
