"""Replaying a dead letter: the good events of a stored moves message, applied on a
supervisor's word.

Rule kept here: a replay reads the stored payload by the rules of ingest — the topic's
warehouse, the clock tolerance, each event validated alone — with only one MQTT message's size
limits lifted (a message refused as too big is just what a replay is for); every good event
goes through the one apply path, failures isolated per event. Events still bad are reported,
not dead-lettered again; the letter is resolved once nothing of it is left unapplied. A
letter stored truncated cannot be replayed: part of it is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cloud_hub.ingest.messages import ahead_of_clock
from cloud_hub.ingest.pg.isolate import apply_isolated
from cloud_hub.ledger.pg.apply import ApplyService
from protocol.codec import decode_message
from protocol.errors import ContractError
from protocol.events import StockMoved
from protocol.topics import Channel, parse_topic

MAX_REPLAY_EVENTS = 100_000
CHUNK_EVENTS = 1000  # events per ledger transaction while replaying


class NotReplayable(Exception):
    """The letter cannot be replayed as it is; the message says why."""


@dataclass(frozen=True, slots=True)
class Invalid:
    index: int
    reason: str


@dataclass(slots=True)
class ReplayReport:
    applied: int = 0
    late: int = 0
    rejected: int = 0  # kept by the ledger with a reason (the rejected-moves queue)
    duplicates: int = 0  # applied before
    invalid: list[Invalid] = field(default_factory=list)

    @property
    def settled(self) -> bool:
        return not self.invalid


def replayable_events(topic_name: str | None, raw: bytes, now: datetime, tolerance: timedelta
                      ) -> tuple[list[tuple[int, StockMoved]], list[Invalid]]:
    """The good events of a stored moves message (with their index in it), and the bad ones
    with their reasons."""
    try:
        topic = parse_topic(topic_name or "")
    except ContractError as exc:
        raise NotReplayable(f"not a moves topic of ours: {exc}") from None
    if topic.channel is not Channel.MOVES or topic.gateway is None:
        raise NotReplayable(f"only moves can be replayed, not a {topic.channel.value} message")
    try:
        decoded = decode_message(raw, max_bytes=len(raw), max_events=MAX_REPLAY_EVENTS)
    except ContractError as exc:
        raise NotReplayable(f"the payload holds no event that can be read: {exc}") from None
    invalid = [Invalid(r.index, r.reason) for r in decoded.rejected]
    bad = {r.index for r in invalid}
    positions = [i for i in range(len(decoded.events) + len(bad)) if i not in bad]
    good: list[tuple[int, StockMoved]] = []
    for index, event in zip(positions, decoded.events, strict=True):
        if event.warehouse != topic.warehouse:
            reason: str | None = (f"event {event.event_id} is for warehouse "
                                  f"{event.warehouse!r} but came on a topic of warehouse "
                                  f"{topic.warehouse!r}")
        else:
            reason = ahead_of_clock(event, now, tolerance)
        if reason is None:
            good.append((index, event))
        else:
            invalid.append(Invalid(index, reason))
    return good, invalid


async def replay(service: ApplyService, topic_name: str | None, raw: bytes, now: datetime,
                 tolerance: timedelta, applied_by: str) -> ReplayReport:
    """Apply the good events of a stored message, in chunks; report what happened."""
    good, invalid = replayable_events(topic_name, raw, now, tolerance)
    report = ReplayReport(invalid=invalid)
    index_of = {event.event_id: index for index, event in good}
    events = [event for _, event in good]
    for start in range(0, len(events), CHUNK_EVENTS):
        result, failed = await apply_isolated(service, events[start:start + CHUNK_EVENTS],
                                              applied_by)
        report.applied += result.applied
        report.late += result.late
        report.rejected += result.rejected
        report.duplicates += len(result.duplicates)
        report.invalid += [Invalid(index_of[e.event_id], reason) for e, reason in failed]
    report.invalid.sort(key=lambda i: i.index)
    return report
