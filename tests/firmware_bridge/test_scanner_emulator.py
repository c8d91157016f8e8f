"""The serial scanner emulator: what a scanner sends, read back byte-exact through pyserial."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import serial

from firmware_bridge.scanner_emulator import (
    GS,
    PtyScanner,
    ScannerProfile,
    ScriptError,
    Wait,
    element_string,
    format_scan,
    make_scan,
    parse_script,
)

SSCC = "(00)106141411234567897"
GTIN_LOT_EXPIRY = "(01)09506000134352(10)LOT42(17)270131"


@pytest.mark.parametrize(
    ("hri", "expected"),
    [
        (SSCC, "00106141411234567897"),
        (GTIN_LOT_EXPIRY, f"0109506000134352" f"10LOT42{GS}17270131"),
        ("(10)A(21)B(30)5", f"10A{GS}21B{GS}305"),
        ("(01)09506000134352(17)270131(10)L1", "01095060001343521727013110L1"),
    ],
)
def test_gs_follows_only_variable_length_fields_that_are_not_last(hri: str, expected: str) -> None:
    assert element_string(hri) == expected


@pytest.mark.parametrize(
    ("symbology", "text", "profile", "wire"),
    [
        ("gs1-128", SSCC, ScannerProfile(), b"]C100106141411234567897\r"),
        ("gs1-datamatrix", GTIN_LOT_EXPIRY, ScannerProfile(terminator=b"\r\n"),
         b"]d2010950600013435210LOT42\x1d17270131\r\n"),
        ("gs1-qr", "(10)A(21)B", ScannerProfile(terminator=b"\n"), b"]Q310A\x1d21B\n"),
        ("ean13", "5901234123457", ScannerProfile(aim=False, terminator=b""), b"5901234123457"),
        ("ean13", "5901234123457", ScannerProfile(prefix=b"\x02", suffix=b"\x03"),
         b"\x02]E05901234123457\x03\r"),
        ("code128", "BIN-A01{GS}X", ScannerProfile(), b"]C0BIN-A01\x1dX\r"),
    ],
)
def test_format_scan(symbology: str, text: str, profile: ScannerProfile, wire: bytes) -> None:
    assert format_scan(make_scan(symbology, text), profile) == wire


@pytest.mark.parametrize(
    "script",
    ["pdf417 123", "gs1-128 (0)12", "gs1-128 (01)123(", "wait soon", "wait -1", "ean13"],
)
def test_bad_script_lines_name_the_line(script: str) -> None:
    with pytest.raises(ScriptError, match="line 2"):
        parse_script("# header\n" + script)


def test_script_steps() -> None:
    steps = parse_script(f"gs1-128 {SSCC}\n\nwait 0.25\n# c\nean13 5901234123457\n")
    assert steps[1] == Wait(0.25)
    assert [s.data for s in steps if not isinstance(s, Wait)] == [
        "00106141411234567897", "5901234123457"]


@pytest.fixture
def dev_scanner_port() -> Iterator[tuple[PtyScanner, serial.Serial]]:
    with PtyScanner(ScannerProfile(terminator=b"\r\n")) as scanner:
        port = serial.Serial(scanner.path, baudrate=9600, timeout=2)
        try:
            yield scanner, port
        finally:
            port.close()


@pytest.mark.integration
def test_pyserial_reads_scans_byte_exact_including_gs(dev_scanner_port) -> None:
    scanner, port = dev_scanner_port
    steps = parse_script(f"gs1-128 {SSCC}\ngs1-datamatrix {GTIN_LOT_EXPIRY}\nean13 5901234123457")
    assert scanner.play(steps) == 3
    lines = [port.read_until(b"\r\n") for _ in range(3)]
    assert lines == [
        b"]C100106141411234567897\r\n",
        b"]d2010950600013435210LOT42\x1d17270131\r\n",
        b"]E05901234123457\r\n",
    ]


@pytest.mark.integration
def test_every_byte_value_but_nothing_else_passes_the_pty(dev_scanner_port) -> None:
    scanner, port = dev_scanner_port
    payload = bytes(range(256)) * 4
    scanner.send_raw(payload)
    assert port.read(len(payload)) == payload
    port.timeout = 0.1
    assert port.read(1) == b""  # no echo, no translation, nothing added


@pytest.mark.integration
def test_inter_character_delay_spreads_a_scan_out() -> None:
    profile = ScannerProfile(char_delay=0.01)
    with PtyScanner(profile) as scanner, serial.Serial(scanner.path, timeout=2) as port:
        started = time.monotonic()
        sender = threading.Thread(target=scanner.send, args=(make_scan("ean13", "5901234123457"),))
        sender.start()
        data = port.read_until(b"\r")
        sender.join(timeout=5)
        assert data == b"]E05901234123457\r"
        assert time.monotonic() - started >= 17 * 0.01 * 0.9


@pytest.mark.integration
def test_command_line_emulator_sends_stdin_scans_to_a_pyserial_reader() -> None:
    command = [sys.executable, "-m", "firmware_bridge.scanner_emulator", "--stdin",
               "--start-delay", "0", "--exit-when-done", "--terminator", "LF",
               "--prefix", r"\x02"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None and proc.stdin is not None
        path = proc.stdout.readline().strip().removeprefix("SCANNER_PORT=")
        with serial.Serial(path, timeout=5) as port:
            proc.stdin.write(f"gs1-128 {GTIN_LOT_EXPIRY}\n")
            proc.stdin.flush()
            assert port.read_until(b"\n") == b"\x02]C1010950600013435210LOT42\x1d17270131\n"
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0


@pytest.mark.integration
def test_sigterm_stops_an_emulator_waiting_for_stdin_scans() -> None:
    # The demo's supervisor stops its children with SIGTERM while it still holds their stdin.
    command = [sys.executable, "-m", "firmware_bridge.scanner_emulator", "--stdin",
               "--start-delay", "0"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("SCANNER_PORT=")
        proc.terminate()
        assert proc.wait(timeout=10) == 0
