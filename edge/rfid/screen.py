"""ReadScreen: readers' raw tag reports -> TagReads on the gateway's clock, or counted refusals.

Rule kept here (pure): only a read with a believable timestamp, from a mapped antenna, of a tag
naming a unit (or of an unknown EPC where the site tracks those) reaches the portal and zone
logic. Every other read is counted per reader and described in a Notice (the adapter logs each
kind at most once a while). A location tag (SGLN) never moves: it tells which door an antenna
sees and that the antenna is alive. Memory is bounded by the configuration.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from edge.epc import EpcError, EpcRole, decode_epc
from edge.reads import TagRead
from edge.rfid.antennas import AntennaKey, AntennaWatch
from edge.rfid.clock import ClockKind, ClockParams, ReaderClock
from edge.rfid.config import ReadChecks, ReaderConfig

EPC_CACHE = 50_000  # EPCs whose decoding is remembered (cleared when full)
UNMAPPED = "unmapped"  # a location tag the config names for no door


@dataclass(frozen=True, slots=True)
class RawRead:
    """One tag report as the reader sent it, its time by the reader's own clock."""

    epc_hex: str
    antenna_id: int
    rssi_dbm: float
    reader_us: int
    kind: ClockKind = ClockKind.UTC
    seen_count: int = 1


@dataclass(frozen=True, slots=True)
class Notice:
    key: str  # what it is about: the adapter logs one key at most once a while
    message: str


@dataclass(slots=True)
class _Reader:
    config: ReaderConfig
    clock: ReaderClock
    counts: Counter[str] = field(default_factory=Counter)
    unknown_antennas: set[int] = field(default_factory=set)
    sees: dict[int, Counter[str]] = field(default_factory=dict)  # antenna -> marker's door


class ReadScreen:
    """One per gateway; `screen` runs on the RFID worker thread only."""

    def __init__(self, readers: Sequence[ReaderConfig], points: Mapping[AntennaKey, str],
                 checks: ReadChecks, clock: ClockParams | None = None) -> None:
        self._readers = {r.reader_id: _Reader(r, ReaderClock(clock)) for r in readers}
        self._points = dict(points)
        self._markers = dict(checks.location_tags)
        self._track_unknown = checks.unknown_epcs == "track"
        self._watch = AntennaWatch(points, checks.silent_antenna_tags)
        self._roles: dict[str, tuple[EpcRole, str]] = {}  # epc -> (role, uri or why not)

    def screen(self, reader_id: str, raws: Sequence[RawRead], received_us: int
               ) -> tuple[list[TagRead], list[Notice]]:
        reader = self._readers[reader_id]
        reads: list[TagRead] = []
        notices: list[Notice] = []
        for raw in raws:
            at = reader.clock.stamp(raw.reader_us, received_us, raw.kind)
            if at is None:
                reader.counts["bad_timestamps"] += 1
                notices.append(Notice(f"time:{reader_id}", (
                    f"reader {reader_id}: read of {raw.epc_hex} stamped {raw.reader_us} µs "
                    f"({raw.kind.value}) fits neither its clock nor ours: read ignored")))
                continue
            key = (reader_id, raw.antenna_id)
            if raw.antenna_id not in reader.config.antennas:
                reader.counts["unknown_antenna"] += 1
                if len(reader.unknown_antennas) < 16:
                    reader.unknown_antennas.add(raw.antenna_id)
                notices.append(Notice(f"antenna:{reader_id}", (
                    f"reader {reader_id}: read on antenna {raw.antenna_id}, which the config "
                    f"does not map (mapped: {list(reader.config.antennas)}): read ignored")))
                continue
            role, detail = self._role(raw.epc_hex)
            if role is EpcRole.LOCATION:
                notices += self._marker(reader, raw, detail)
            elif role is EpcRole.UNKNOWN and not self._track_unknown:
                reader.counts["unknown_epc"] += 1
                notices.append(Notice(f"epc:{reader_id}", (
                    f"reader {reader_id}: {detail}; not a unit this gateway moves, read "
                    "ignored (rfid.unknown_epcs: track moves such tags by their raw EPC)")))
                continue
            marker = role is EpcRole.LOCATION
            notices += [Notice(f"silent:{k[0]}:{k[1]}", text)
                        for k, text in self._watch.heard(key, raw.epc_hex, marker)]
            if role is EpcRole.LOCATION:
                continue
            reader.counts["accepted"] += 1
            reads.append(TagRead(raw.epc_hex, reader_id, raw.antenna_id, raw.rssi_dbm, at,
                                 raw.seen_count))
        return reads, notices

    def clock_sample(self, reader_id: str, reader_us: int, kind: ClockKind,
                     received_us: int) -> None:
        """A reader event's timestamp: the reader's clock at that moment, nothing to move."""
        self._readers[reader_id].clock.stamp(reader_us, received_us, kind)

    def status(self, reader_id: str, now_us: int) -> dict[str, object]:
        """The reader's part of the heartbeat (bounded by its configured antennas)."""
        reader = self._readers[reader_id]
        clock = reader.clock.status(now_us)
        antennas = {}
        for number in reader.config.antennas:
            key = (reader_id, number)
            seen = reader.sees.get(number)
            antennas[str(number)] = {
                "state": self._watch.state(key).value if key in self._points else "unmapped",
                "reads": self._watch.reads(key) if key in self._points else 0,
                "door": self._points.get(key),
                "sees": seen.most_common(1)[0][0] if seen else None,
            }
        return {
            "clock": {
                "kind": clock.kind.value if clock.kind else None,
                "offset_s": None if clock.offset_us is None else round(clock.offset_us / 1e6, 3),
                "state": clock.state.value, "jumps": clock.jumps,
                "last_jump_s": (None if clock.last_jump_us is None
                                else round(clock.last_jump_us / 1e6, 3)),
            },
            "antennas": antennas,
            "bad_timestamps": reader.counts["bad_timestamps"],
            "unknown_antenna_reads": reader.counts["unknown_antenna"],
            "unknown_antennas": sorted(reader.unknown_antennas),
            "unknown_epc_reads": reader.counts["unknown_epc"],
            "location_tag_reads": reader.counts["location_tag"],
        }

    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for reader in self._readers.values():
            out.update(reader.counts)
        return out

    def _role(self, epc: str) -> tuple[EpcRole, str]:
        known = self._roles.get(epc)
        if known is None:
            try:
                identity = decode_epc(epc)
                known = (identity.role, identity.uri)
            except EpcError as exc:
                known = (EpcRole.UNKNOWN, str(exc))
            if len(self._roles) >= EPC_CACHE:
                self._roles.clear()
            self._roles[epc] = known
        return known

    def _marker(self, reader: _Reader, raw: RawRead, uri: str) -> list[Notice]:
        """A location tag heard: which door this antenna sees, against the config."""
        reader.counts["location_tag"] += 1
        door = self._markers.get(uri, UNMAPPED)
        tally = reader.sees.setdefault(raw.antenna_id, Counter())
        before = tally.most_common(1)[0][0] if tally else None
        tally[door] += 1
        after = tally.most_common(1)[0][0]
        mapped = self._points.get((reader.config.reader_id, raw.antenna_id))
        if door == UNMAPPED:
            return [Notice(f"marker:{reader.config.reader_id}", (
                f"reader {reader.config.reader_id}: antenna {raw.antenna_id} hears location tag "
                f"{uri}, which no rfid.portals[].location_tag or zones[].location_tag names"))]
        if after in (before, mapped):
            return []
        return [Notice(f"location:{reader.config.reader_id}:{raw.antenna_id}", (
            f"antenna {raw.antenna_id} of reader {reader.config.reader_id} mostly hears the "
            f"location tag of {after} ({uri}) but the config maps it to {mapped}: a swapped "
            "cable or a wrong config?"))]
