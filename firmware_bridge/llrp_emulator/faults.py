"""ReaderFaults: an emulated reader that misbehaves the ways real ones do, on the wire.

Rule kept here (pure): a fault rewrites the RO_ACCESS_REPORTs the reader session built, so the
session itself stays a correct reader; with no fault set, reports pass unchanged. Faults: a
clock that is off (or counts from boot: LLRP 1.0.1 §16.2.7.3 Uptime timestamps), a timestamp
now and then from 1970 or from next year, a cut antenna cable, reads claimed by an antenna the
client never asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from firmware_bridge import llrp as L

YEAR_US = 365 * 86_400 * 1_000_000
_STAMP_FIELDS = ("first_seen_utc", "last_seen_utc")


@dataclass(frozen=True)
class ReaderFaults:
    clock_offset_us: int = 0  # added to every timestamp the reader sends
    uptime_boot_us: int | None = None  # set: timestamps are µs since this UTC time (no RTC)
    bad_time_every: int = 0  # every Nth tag report stamped 1970, the next such one next year
    silent_antennas: frozenset[int] = frozenset()  # cut cables: these antennas report nothing
    rogue_antenna: tuple[int, int] | None = None  # (from, to): reads of `from` claimed by `to`

    @property
    def any(self) -> bool:
        return self != ReaderFaults()


class FaultyReports:
    """Applies one reader's faults to its reports, counting tag reports as they go by."""

    def __init__(self, faults: ReaderFaults) -> None:
        self.faults = faults
        self._seen = 0
        self._bad = 0

    def event_stamp(self, now_us: int) -> L.UTCTimestamp | L.Uptime:
        """The timestamp of a reader event (LLRP 1.0.1 §16.2.7.6): the same clock as reads."""
        now_us += self.faults.clock_offset_us
        if self.faults.uptime_boot_us is not None:
            return L.Uptime(max(1, now_us - self.faults.uptime_boot_us))
        return L.UTCTimestamp(now_us)

    def apply(self, report: L.ROAccessReport) -> L.ROAccessReport | None:
        tags = tuple(t for t in (self._tag(tag) for tag in report.tags) if t is not None)
        return replace(report, tags=tags) if tags else None

    def _tag(self, tag: L.TagReportData) -> L.TagReportData | None:
        f = self.faults
        if tag.antenna_id in f.silent_antennas:
            return None
        if f.rogue_antenna is not None and tag.antenna_id == f.rogue_antenna[0]:
            tag = replace(tag, antenna_id=f.rogue_antenna[1])
        self._seen += 1
        stamps = {name: getattr(tag, name) for name in _STAMP_FIELDS}
        if f.bad_time_every and self._seen % f.bad_time_every == 0:
            self._bad += 1
            wrong = 1_000_000 if self._bad % 2 else (stamps["last_seen_utc"] or 0) + YEAR_US
            stamps = {k: None if v is None else wrong for k, v in stamps.items()}
        elif f.clock_offset_us:
            stamps = {k: None if v is None else v + f.clock_offset_us for k, v in stamps.items()}
        if f.uptime_boot_us is not None:
            first, last = (stamps[k] for k in _STAMP_FIELDS)
            boot = f.uptime_boot_us
            return replace(tag, first_seen_utc=None, last_seen_utc=None,
                           first_seen_uptime=None if first is None else max(1, first - boot),
                           last_seen_uptime=None if last is None else max(1, last - boot))
        return replace(tag, **stamps)
