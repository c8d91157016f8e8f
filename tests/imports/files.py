"""Real files for the import tests: CSV in a chosen encoding, XLSX written by openpyxl."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8") -> Path:
    text = "\r\n".join(",".join("" if c is None else str(c) for c in row) for row in rows)
    path.write_bytes(text.encode(encoding) + b"\r\n")
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[object]], sheet: str = "Sheet1") -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    book.save(path)
    return path


def fake_encrypted_workbook(path: Path) -> Path:
    """What Excel saves for a workbook with a password: an OLE compound file (not a zip)
    whose directory names an EncryptionInfo and an EncryptedPackage stream."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    directory = ("Root Entry".encode("utf-16-le").ljust(128, b"\x00")
                 + "EncryptionInfo".encode("utf-16-le").ljust(128, b"\x00")
                 + "EncryptedPackage".encode("utf-16-le").ljust(128, b"\x00"))
    path.write_bytes(header + directory + b"\x00" * 4096)
    return path
