"""Sans-IO splitting of a scanner's serial byte stream into scan lines.

Rule kept here: a scan ends at CR, LF, CRLF or TAB; bytes that no barcode can contain
(controls other than GS, non-ASCII) are line noise, dropped and counted; a line longer
than the limit is discarded whole. Feeding the bytes in any chunking gives the same lines.
"""

from __future__ import annotations

from dataclasses import dataclass

GS = 0x1D
TERMINATORS = frozenset(b"\r\n\t")
MAX_LINE = 512


@dataclass(frozen=True, slots=True)
class ScanLine:
    text: str


class LineSplitter:
    """feed(bytes) -> complete scan lines; partial input is kept until its terminator."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._buffer = bytearray()
        self._overflowing = False
        self.noise_bytes = 0
        self.overlong_lines = 0

    def feed(self, data: bytes) -> list[ScanLine]:
        lines: list[ScanLine] = []
        for byte in data:
            if byte in TERMINATORS:
                self._end_line(lines)
            elif byte == GS or 0x20 <= byte < 0x7F:
                self._keep(byte)
            else:
                self.noise_bytes += 1
        return lines

    def _keep(self, byte: int) -> None:
        if self._overflowing:
            return
        if len(self._buffer) >= self.max_line:
            self._overflowing = True
            self._buffer.clear()
            return
        self._buffer.append(byte)

    def _end_line(self, lines: list[ScanLine]) -> None:
        if self._overflowing:
            self.overlong_lines += 1
        elif self._buffer:
            lines.append(ScanLine(self._buffer.decode("ascii")))
        self._buffer.clear()
        self._overflowing = False

    def reset(self) -> None:
        """The port was reopened: a half-received scan cannot be completed any more."""
        self._buffer.clear()
        self._overflowing = False
