"""One RFID tag observation as the gateway sees it, independent of the reader's wire format.

Rule kept here: time is the reader's own timestamp moved onto the gateway's clock by the
reader's estimated offset (µs since the epoch, UTC; edge/rfid/clock.py): the reader's timing,
true dates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TagRead:
    """A tag heard by one antenna of one reader at one moment."""

    epc_hex: str
    reader_id: str
    antenna_id: int
    rssi_dbm: float
    time_us: int
    seen_count: int = 1
