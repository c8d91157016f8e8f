"""A serial barcode scanner on a pseudo-terminal: scans go out as a real scanner sends them.

Rule kept here: the bytes on the wire are exactly prefix + AIM symbology identifier + data
(GS1 element strings with GS, 0x1D, after variable-length fields) + suffix + terminator.
Run: python -m firmware_bridge.scanner_emulator --scan "gs1-128 (00)106141411234567897"
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import os
import re
import signal
import sys
import threading
import tty
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from protocol.labels import element_string as gs1_element_string

GS = "\x1d"
TERMINATORS = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t", "NONE": b""}


@dataclass(frozen=True, slots=True)
class Symbology:
    name: str
    aim: str  # ISO/IEC 15424 symbology identifier
    gs1: bool


SYMBOLOGIES = {
    s.name: s
    for s in (
        Symbology("gs1-128", "]C1", True),
        Symbology("code128", "]C0", False),
        Symbology("gs1-datamatrix", "]d2", True),
        Symbology("datamatrix", "]d1", False),
        Symbology("gs1-qr", "]Q3", True),
        Symbology("qr", "]Q1", False),
        Symbology("ean13", "]E0", False),
        Symbology("ean8", "]E4", False),
    )
}
_HRI = re.compile(r"\((\d{2,4})\)([^()]*)")


class ScriptError(ValueError):
    """A scan script or scan text that cannot be sent; names the line."""


@dataclass(frozen=True, slots=True)
class Scan:
    symbology: Symbology
    data: str  # as transmitted: GS1 element string with GS separators, or plain text


@dataclass(frozen=True, slots=True)
class Wait:
    seconds: float


@dataclass(frozen=True, slots=True)
class ScannerProfile:
    """How this scanner is configured to transmit (what a setup barcode would set)."""

    prefix: bytes = b""
    suffix: bytes = b""
    terminator: bytes = b"\r"
    aim: bool = True
    char_delay: float = 0.0  # seconds between characters, as slow scanners/USB-serial do


def element_string(hri: str) -> str:
    """'(01)09506000134352(10)ABC(17)260101' -> '0109506000134352' '10ABC' GS '17260101'."""
    fields = _HRI.findall(hri)
    if not fields or "".join(f"({ai}){value}" for ai, value in fields) != hri:
        raise ScriptError(f"{hri!r} is not GS1 '(AI)value(AI)value' text")
    # GS only after variable-length data (GS1 General Specifications §7.8.5, Figure 7.8.5-2);
    # values are not checked: a test may send a wrong check digit on purpose.
    return gs1_element_string(fields)


def make_scan(symbology: str, text: str) -> Scan:
    """A scan from a symbology name and its text (GS1 as '(AI)value...'; '{GS}' for a raw GS)."""
    sym = SYMBOLOGIES.get(symbology.lower())
    if sym is None:
        raise ScriptError(f"unknown symbology {symbology!r}; known: {', '.join(SYMBOLOGIES)}")
    data = text.replace("{GS}", GS)
    if sym.gs1 and data.startswith("("):
        data = element_string(data)
    if not data:
        raise ScriptError(f"a {sym.name} scan needs data")
    return Scan(sym, data)


def format_scan(scan: Scan, profile: ScannerProfile) -> bytes:
    """The exact bytes a scanner configured with `profile` sends for `scan`."""
    aim = scan.symbology.aim if profile.aim else ""
    return profile.prefix + (aim + scan.data).encode() + profile.suffix + profile.terminator


def parse_script(text: str) -> list[Scan | Wait]:
    """One step a line: 'SYMBOLOGY DATA' or 'wait SECONDS'; '#' starts a comment line."""
    steps: list[Scan | Wait] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head, _, rest = line.partition(" ")
        try:
            if head.lower() == "wait":
                seconds = float(rest)
                if not 0 <= seconds <= 3600:
                    raise ScriptError(f"wait {seconds} is not between 0 and 3600 seconds")
                steps.append(Wait(seconds))
            else:
                steps.append(make_scan(head, rest.strip()))
        except (ScriptError, ValueError) as exc:
            raise ScriptError(f"line {number}: {exc}") from None
    return steps


class PtyScanner:
    """The emulated scanner: owns a pty pair; readers open `path` (e.g. serial.Serial(path))."""

    def __init__(self, profile: ScannerProfile | None = None) -> None:
        self.profile = profile or ScannerProfile()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation: bytes pass as sent
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()

    def send(self, scan: Scan) -> bytes:
        """Transmit one scan (honouring the inter-character delay); returns the bytes sent."""
        return self.send_raw(format_scan(scan, self.profile))

    def send_raw(self, data: bytes) -> bytes:
        if self.profile.char_delay <= 0:
            os.write(self._master, data)
            return data
        for index in range(len(data)):
            if self._stop.wait(self.profile.char_delay):
                break
            os.write(self._master, data[index : index + 1])
        return data

    def play(self, steps: Iterable[Scan | Wait], interval: float = 0.0) -> int:
        """Send scripted steps, `interval` seconds apart; returns the scans sent."""
        sent = 0
        for step in steps:
            if self._stop.is_set():
                break
            if isinstance(step, Wait):
                self._stop.wait(step.seconds)
                continue
            if sent and interval > 0 and self._stop.wait(interval):
                break
            self.send(step)
            sent += 1
        return sent

    def close(self) -> None:
        self._stop.set()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyScanner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _escaped(text: str) -> bytes:
    return codecs.decode(text, "unicode_escape").encode("latin-1")


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.scanner_emulator",
                                     description=__doc__)
    parser.add_argument("--script", type=Path, help="file of 'SYMBOLOGY DATA' / 'wait S' lines")
    parser.add_argument("--scan", action="append", default=[], metavar="'SYMBOLOGY DATA'")
    parser.add_argument("--stdin", action="store_true", help="read scan lines from stdin")
    parser.add_argument("--prefix", default="", help=r"e.g. '\x02'")
    parser.add_argument("--suffix", default="", help=r"e.g. '\x03'")
    parser.add_argument("--terminator", default="CR", choices=sorted(TERMINATORS))
    parser.add_argument("--no-aim", action="store_true", help="do not send ]C1-style ids")
    parser.add_argument("--char-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--interval", type=float, default=0.5, metavar="SECONDS")
    parser.add_argument("--start-delay", type=float, default=1.0, metavar="SECONDS",
                        help="time for the reader to open the port (opening flushes input)")
    parser.add_argument("--link", type=Path, help="also make this symlink to the pty")
    parser.add_argument("--exit-when-done", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    try:
        steps = parse_script(args.script.read_text()) if args.script else []
        steps += parse_script("\n".join(args.scan))
        profile = ScannerProfile(_escaped(args.prefix), _escaped(args.suffix),
                                 TERMINATORS[args.terminator], not args.no_aim, args.char_delay)
    except (OSError, ScriptError, UnicodeError) as exc:
        print(f"scanner_emulator: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def _terminate(_signum: int, _frame: object) -> None:
        # A read of stdin is retried after a handler returns (PEP 475), so setting `done`
        # alone would leave a --stdin emulator blocked until its parent closes the pipe.
        done.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:  # Ctrl-C or SIGTERM at any point ends it quietly, the pty closed
        with PtyScanner(profile) as scanner:
            if args.link:
                args.link.unlink(missing_ok=True)
                args.link.symlink_to(scanner.path)
            print(f"SCANNER_PORT={scanner.path}", flush=True)
            done.wait(args.start_delay)
            scanner.play(steps, args.interval)
            if args.stdin:
                _relay_stdin(scanner)
            if not args.exit_when_done:
                done.wait()
    except KeyboardInterrupt:
        pass
    return 0


def _relay_stdin(scanner: PtyScanner) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            scanner.play(parse_script(line))
        except ScriptError as exc:
            print(f"scanner_emulator: {exc}", file=sys.stderr, flush=True)
            continue
        print("SENT", flush=True)


if __name__ == "__main__":
    sys.exit(main())
