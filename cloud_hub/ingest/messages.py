"""Sorting one window of MQTT messages into events to apply, dead letters, and gateway news.

Rule kept here (pure): every message ends as applied events, a dead letter with its reason,
or a gateway update — none is dropped, and none can stop the others: a message that cannot be
read for any reason, expected or not, is a dead letter. An event whose warehouse is not its
topic's is a dead letter (a gateway may only speak for its own warehouse), and so is one
dated further ahead of the hub's clock than the tolerance allows (it would make every real
move of its unit "late").
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from protocol.codec import decode_message, event_to_dict
from protocol.devices import ReadingMessage, decode_device_message, implausible
from protocol.errors import ContractError
from protocol.events import StockMoved
from protocol.gateway import GatewayHeartbeat, GatewayStatus, decode_heartbeat, decode_status
from protocol.topics import Channel, parse_topic


@dataclass(frozen=True, slots=True)
class DeadLetter:
    topic: str
    reason: str
    raw: bytes
    warehouse: str | None  # the topic's; None when the topic is not one of ours


@dataclass(frozen=True, slots=True)
class GatewayNews:
    warehouse: str
    gateway: str
    channel: Channel
    body: GatewayStatus | GatewayHeartbeat | None  # None: a cleared retained status
    raw: bytes = b""  # as it came


@dataclass
class Sorted:
    events_by_sender: dict[str, list[StockMoved]] = field(default_factory=lambda: defaultdict(list))
    dead: list[DeadLetter] = field(default_factory=list)
    news: list[GatewayNews] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)  # sender -> its moves topic
    readings: list[ReadingMessage] = field(default_factory=list)
    device_notes: int = 0  # acks and rejected commands: counted (pick-to-light reads them)
    per_device: dict[tuple[str, str, int], int] = field(default_factory=dict)  # readings kept
    flooded: int = 0  # readings over a device's cap after its one dead letter

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events_by_sender.values())


def sender_of(warehouse: str, gateway: str) -> str:
    """The name a gateway's events are applied by (moves.applied_by)."""
    return f"gateway:{warehouse}/{gateway}"


def event_raw(event: StockMoved) -> bytes:
    """An event's JSON, as a dead letter keeps it."""
    return json.dumps(event_to_dict(event), separators=(",", ":")).encode()


def ahead_of_clock(event: StockMoved, now: datetime, tolerance: timedelta) -> str | None:
    """Why `event` is refused as dated in the future, or None. `now` is the hub's clock."""
    if event.occurred_at <= now + tolerance:
        return None
    ahead = event.occurred_at - now
    return (f"occurred_at {event.occurred_at.isoformat()} is {_span(ahead)} ahead of the hub's "
            f"clock (tolerance {tolerance.total_seconds():g} s): is the device's clock wrong? "
            "Applied, it would make every later real move of its stock look late")


def _span(delta: timedelta) -> str:
    if delta.days >= 2:
        return f"{delta.days:,} days"
    return f"{delta.total_seconds():,.0f} s"


def unregistered_reason(warehouse: str, gateway: str) -> str:
    return (f"gateway {gateway!r} of warehouse {warehouse!r} is not registered, so its moves "
            f"are not applied: register it (python -m cloud_hub gateways add {warehouse} "
            f"{gateway}), then replay this dead letter")


def moves_senders(topic_names: Iterable[str]) -> set[tuple[str, str]]:
    """(warehouse, gateway) of every moves topic among `topic_names`."""
    found = set()
    for name in topic_names:
        try:
            topic = parse_topic(name)
        except ContractError:
            continue
        if topic.channel is Channel.MOVES and topic.gateway is not None:
            found.add((topic.warehouse, topic.gateway))
    return found


def sort_messages(messages: list[tuple[str, bytes]], now: datetime | None = None,
                  clock_tolerance: timedelta = timedelta(minutes=5),
                  refused: Collection[tuple[str, str]] = ()) -> Sorted:
    """With `now`, events dated beyond now + `clock_tolerance` are dead letters; so is each
    moves message of a gateway in `refused` (warehouse, gateway): not registered."""
    out = Sorted()
    for topic_name, payload in messages:
        try:
            _sort_one(out, topic_name, payload, now, clock_tolerance, refused)
        except Exception as exc:  # a reader's bug must cost one message, never the window
            out.dead.append(DeadLetter(topic_name, f"the hub could not read this message "
                                       f"({type(exc).__name__}: {exc})", payload,
                                       _warehouse_of(topic_name)))
    return out


def _warehouse_of(topic_name: str) -> str | None:
    try:
        return parse_topic(topic_name).warehouse
    except ContractError:
        return None


def _sort_one(out: Sorted, topic_name: str, payload: bytes, now: datetime | None,
              tolerance: timedelta, refused: Collection[tuple[str, str]]) -> None:
    try:
        topic = parse_topic(topic_name)
    except ContractError as exc:
        out.dead.append(DeadLetter(topic_name, str(exc), payload, None))
        return
    if topic.channel is Channel.MOVES and (topic.warehouse, topic.gateway) in refused:
        out.dead.append(DeadLetter(topic_name, unregistered_reason(topic.warehouse,
                                                                   str(topic.gateway)),
                                   payload, topic.warehouse))
    elif topic.channel is Channel.MOVES and topic.gateway is not None:
        _sort_moves(out, topic_name, topic.warehouse, topic.gateway, payload, now, tolerance)
    elif topic.channel in (Channel.STATUS, Channel.HEARTBEAT) and topic.gateway is not None:
        _sort_news(out, topic_name, topic.warehouse, topic.gateway, topic.channel, payload)
    elif topic.channel is Channel.READINGS and topic.gateway is not None:
        _sort_reading(out, topic_name, topic.warehouse, topic.gateway, payload)
    else:
        out.dead.append(DeadLetter(topic_name, f"the hub does not read {topic.channel.value} "
                                   "messages on this topic", payload, topic.warehouse))


MAX_READINGS_PER_DEVICE = 600  # in one window (~0.1-1 s): a device sending more floods


def _sort_reading(out: Sorted, topic_name: str, warehouse: str, gateway: str,
                  payload: bytes) -> None:
    try:
        message = decode_device_message(payload)
    except ContractError as exc:
        out.dead.append(DeadLetter(topic_name, f"device message refused: {exc}", payload,
                                   warehouse))
        return
    if (message.warehouse, message.gateway) != (warehouse, gateway):
        out.dead.append(DeadLetter(topic_name, f"a device message of {message.warehouse}/"
                                   f"{message.gateway} came on a topic of {warehouse}/{gateway}",
                                   payload, warehouse))
        return
    if not isinstance(message, ReadingMessage):
        out.device_notes += 1
        return
    reason = implausible(message)
    if reason is not None:
        out.dead.append(DeadLetter(topic_name, f"reading refused: {reason}", payload, warehouse))
        return
    device = (warehouse, gateway, message.device_id)
    kept = out.per_device.get(device, 0)
    if kept > MAX_READINGS_PER_DEVICE:
        out.flooded += 1
    elif kept == MAX_READINGS_PER_DEVICE:  # one letter says so; the rest are only counted
        out.per_device[device] = kept + 1
        out.dead.append(DeadLetter(
            topic_name, f"device {message.device_id} of {warehouse}/{gateway} sent more than "
            f"{MAX_READINGS_PER_DEVICE} readings in one window: flooding; the rest of this "
            "window's readings of it are counted, not kept", payload, warehouse))
    else:
        out.per_device[device] = kept + 1
        out.readings.append(message)


def _sort_moves(out: Sorted, topic_name: str, warehouse: str, gateway: str, payload: bytes,
                now: datetime | None, tolerance: timedelta) -> None:
    try:
        decoded = decode_message(payload)
    except ContractError as exc:
        out.dead.append(DeadLetter(topic_name, str(exc), payload, warehouse))
        return
    if not decoded.events and len(decoded.rejected) > 1:  # nothing good: one letter, whole
        reasons = "; ".join(f"event {r.index}: {r.reason}" for r in decoded.rejected[:3])
        more = len(decoded.rejected) - 3
        out.dead.append(DeadLetter(
            topic_name, f"every event of the batch was refused: {reasons}"
            + (f" (and {more} more)" if more > 0 else ""), payload, warehouse))
        return
    for bad in decoded.rejected:
        raw = bad.raw if isinstance(bad.raw, bytes) else \
            json.dumps(bad.raw, default=str).encode()
        out.dead.append(DeadLetter(topic_name, f"event {bad.index} of batch: {bad.reason}", raw,
                                   warehouse))
    sender = sender_of(warehouse, gateway)
    for event in decoded.events:
        reason = None
        if event.warehouse != warehouse:
            reason = (f"event {event.event_id} is for warehouse {event.warehouse!r} but came on "
                      f"a topic of warehouse {warehouse!r}")
        elif now is not None:
            reason = ahead_of_clock(event, now, tolerance)
        if reason is None:
            out.events_by_sender[sender].append(event)
            out.topics[sender] = topic_name
        else:
            out.dead.append(DeadLetter(topic_name, reason, event_raw(event), warehouse))


def _sort_news(out: Sorted, topic_name: str, warehouse: str, gateway: str, channel: Channel,
               payload: bytes) -> None:
    if not payload:  # a cleared retained status
        out.news.append(GatewayNews(warehouse, gateway, channel, None, payload))
        return
    try:
        body = decode_status(payload) if channel is Channel.STATUS else \
            decode_heartbeat(payload)
    except ContractError as exc:
        out.dead.append(DeadLetter(topic_name, f"{channel.value} refused: {exc}", payload,
                                   warehouse))
        return
    out.news.append(GatewayNews(warehouse, gateway, channel, body, payload))


def gateway_row(news: GatewayNews, now: datetime) -> tuple[Any, ...]:
    """(warehouse, gateway, state, last_heartbeat, last_status_at, queue_depth, info): every
    value bounded by the protocol's models."""
    body = news.body
    if body is None:
        return (news.warehouse, news.gateway, "removed", None, now, None, {"state": "removed"})
    info = body.stored()
    if isinstance(body, GatewayStatus):
        return (news.warehouse, news.gateway, body.state, None, now, body.queue_depth, info)
    return (news.warehouse, news.gateway, "online", now, None, body.queue_depth, info)
