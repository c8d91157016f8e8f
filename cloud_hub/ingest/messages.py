"""Sorting one window of MQTT messages into events to apply, dead letters, and gateway news.

Rule kept here (pure): every message ends as applied events, a dead letter with its reason,
or a gateway update — none is dropped. An event whose warehouse is not its topic's is a
dead letter: a gateway may only speak for its own warehouse.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from protocol.codec import decode_message
from protocol.errors import ContractError
from protocol.events import StockMoved
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
    body: dict[str, Any]


@dataclass
class Sorted:
    events_by_sender: dict[str, list[StockMoved]] = field(default_factory=lambda: defaultdict(list))
    dead: list[DeadLetter] = field(default_factory=list)
    news: list[GatewayNews] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events_by_sender.values())


def sort_messages(messages: list[tuple[str, bytes]]) -> Sorted:
    out = Sorted()
    for topic_name, payload in messages:
        try:
            topic = parse_topic(topic_name)
        except ContractError as exc:
            out.dead.append(DeadLetter(topic_name, str(exc), payload, None))
            continue
        if topic.channel is Channel.MOVES and topic.gateway is not None:
            _sort_moves(out, topic_name, topic.warehouse, topic.gateway, payload)
        elif topic.channel in (Channel.STATUS, Channel.HEARTBEAT) and topic.gateway is not None:
            _sort_news(out, topic_name, topic.warehouse, topic.gateway, topic.channel, payload)
    return out


def _sort_moves(out: Sorted, topic_name: str, warehouse: str, gateway: str,
                payload: bytes) -> None:
    try:
        decoded = decode_message(payload)
    except ContractError as exc:
        out.dead.append(DeadLetter(topic_name, str(exc), payload, warehouse))
        return
    for bad in decoded.rejected:
        raw = json.dumps(bad.raw, default=str).encode()
        out.dead.append(DeadLetter(topic_name, f"event {bad.index} of batch: {bad.reason}", raw,
                                   warehouse))
    sender = f"gateway:{warehouse}/{gateway}"
    for event in decoded.events:
        if event.warehouse != warehouse:
            out.dead.append(DeadLetter(
                topic_name, f"event {event.event_id} is for warehouse {event.warehouse!r} but "
                f"came on a topic of warehouse {warehouse!r}",
                json.dumps(event.model_dump(mode="json", by_alias=True)).encode(), warehouse))
        else:
            out.events_by_sender[sender].append(event)


def _sort_news(out: Sorted, topic_name: str, warehouse: str, gateway: str, channel: Channel,
               payload: bytes) -> None:
    if not payload:  # a cleared retained status
        out.news.append(GatewayNews(warehouse, gateway, channel, {"state": "removed"}))
        return
    try:
        body = json.loads(payload)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        out.dead.append(DeadLetter(topic_name, f"{channel.value} payload is not a JSON object: "
                                               f"{exc}", payload, warehouse))
        return
    out.news.append(GatewayNews(warehouse, gateway, channel, body))


def gateway_row(news: GatewayNews, now: datetime) -> tuple[Any, ...]:
    """(warehouse, gateway, state, last_heartbeat, last_status_at, queue_depth, info)."""
    body = news.body
    depth = body.get("queue_depth")
    depth = int(depth) if isinstance(depth, int | float) and not isinstance(depth, bool) else None
    if news.channel is Channel.STATUS:
        state = str(body.get("state", "unknown"))[:32]
        return (news.warehouse, news.gateway, state, None, now, depth, body)
    return (news.warehouse, news.gateway, "online", now, None, depth, body)
