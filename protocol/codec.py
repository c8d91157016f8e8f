"""JSON encoding and strict decoding of messages that carry one StockMoved or a batch.

Rule kept here: a whole message is refused only when it cannot be read at all (too big,
not JSON, not an event or batch); inside a batch each bad event is rejected alone with
its reason and index, and every good one is returned — an event nested too deep to parse
included (it is cut out of the batch's text, protocol/bounds.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from protocol.bounds import MAX_DEPTH, as_bytes, loads_shallow, shape
from protocol.errors import ContractError
from protocol.events import StockMoved

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_BATCH_EVENTS = 5_000


@dataclass(frozen=True, slots=True)
class EventRejection:
    """One event of a message that did not validate, with the raw JSON it came as (parsed,
    or its bytes when it could not be parsed)."""

    index: int
    reason: str
    raw: object


@dataclass(frozen=True, slots=True)
class DecodedMessage:
    events: tuple[StockMoved, ...]
    rejected: tuple[EventRejection, ...]


def describe(error: ValidationError, whole: str = "event") -> str:
    """One line per problem, naming the field: 'occurred_at: Input should have timezone info'
    (`whole` names a problem of the whole object)."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"]) or whole
        msg = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def decode_event(obj: object) -> StockMoved:
    """Validate one already-parsed JSON object as a StockMoved; ContractError otherwise."""
    if not isinstance(obj, dict):
        raise ContractError(f"an event must be a JSON object, not {type(obj).__name__}")
    if _has_nul(obj):
        raise ContractError("text may not contain NUL (\\u0000) characters: the ledger's "
                            "database cannot store them")
    try:
        return StockMoved.model_validate(obj)
    except ValidationError as exc:
        raise ContractError(describe(exc)) from None
    except (ValueError, TypeError, RecursionError) as exc:  # pydantic internals on odd input
        raise ContractError(f"invalid event: {exc}") from None


def _has_nul(obj: object, depth: int = 0) -> bool:
    if isinstance(obj, str):
        return "\x00" in obj
    if depth > MAX_DEPTH:
        return False  # deeper than any event; validation refuses it anyway
    if isinstance(obj, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_has_nul(v, depth + 1) for v in obj)
    return False


class _Envelope(BaseModel):
    events: list[StockMoved] = Field(min_length=1)


_LIST = TypeAdapter(list[StockMoved])


def _fast_path(payload: bytes | str, max_events: int) -> DecodedMessage | None:
    """All-valid messages validated straight from JSON in pydantic's Rust core; None sends
    the message down the careful path that finds and names each bad event."""
    head = payload[:16].lstrip()
    start = head[:1] if isinstance(head, str) else head[:1].decode("latin-1")
    try:
        if start == "[":
            events = _LIST.validate_json(payload)
            if not 0 < len(events) <= max_events:
                return None
            return DecodedMessage(tuple(events), ())
        if start == "{":
            text = payload if isinstance(payload, str) else payload[:24].decode("latin-1")
            if text.lstrip().startswith(('{"events"', '{ "events"')):
                events = _Envelope.model_validate_json(payload).events
                return DecodedMessage(tuple(events), ()) if len(events) <= max_events else None
            return DecodedMessage((StockMoved.model_validate_json(payload),), ())
    except (ValidationError, ValueError):
        return None
    return None


class _Unreadable:
    """A batch element that was not parsed: nested too deep (its bytes are kept)."""

    __slots__ = ("raw", "reason")

    def __init__(self, raw: bytes, reason: str) -> None:
        self.raw, self.reason = raw, reason


def decode_message(payload: bytes | str, *, max_bytes: int = MAX_PAYLOAD_BYTES,
                   max_events: int = MAX_BATCH_EVENTS) -> DecodedMessage:
    """A message is an event object, a JSON array of events, or {"events": [...]}. The
    limits are the MQTT message's; REST and the replay of a dead letter pass their own."""
    size = len(payload.encode() if isinstance(payload, str) else payload)
    nul = b"\\u0000" if isinstance(payload, bytes) else "\\u0000"
    if size <= max_bytes and nul not in payload:  # type: ignore[operator]
        fast = _fast_path(payload, max_events)
        if fast is not None:
            return fast
    if size > max_bytes:
        raise ContractError(f"payload is {size} bytes, over the {max_bytes // 1024} KiB limit")
    raw = as_bytes(payload)
    found = shape(raw)
    if found.depth <= MAX_DEPTH:
        try:
            data = loads_shallow(raw)
        except ContractError:
            if found.elements is None:
                raise
            # a batch the parser refuses whole (an event with a 5,000-digit number, a stray
            # byte in one event): read each event alone, so the others are not lost with it
            data = [_element(raw, *element) for element in found.elements]
    elif found.elements is not None:  # a batch holding deep events: read each one alone
        data = [_element(raw, *element) for element in found.elements]
    else:
        raise ContractError(f"JSON nested {found.depth} levels deep; at most {MAX_DEPTH} "
                            "are read")
    return _decode_parsed(data, max_events)


def _element(raw: bytes, start: int, end: int, depth: int) -> object:
    if depth > MAX_DEPTH:
        return _Unreadable(raw[start:end].strip(), f"nested {depth} levels deep; an event "
                                                   f"may nest at most {MAX_DEPTH}")
    try:
        return loads_shallow(raw[start:end])
    except ContractError as exc:
        return _Unreadable(raw[start:end].strip(), str(exc))


def _decode_parsed(data: object, max_events: int) -> DecodedMessage:
    if isinstance(data, dict) and "events" in data and "event_id" not in data:
        data = data["events"]
        if not isinstance(data, list):
            raise ContractError("'events' must be a JSON array of events")
    if isinstance(data, dict):
        return DecodedMessage((decode_event(data),), ())
    if not isinstance(data, list):
        raise ContractError(f"a message must be an event or a batch, not {type(data).__name__}")
    if not data:
        raise ContractError("a batch must hold at least one event")
    if len(data) > max_events:
        raise ContractError(f"a batch holds at most {max_events} events, not {len(data)}")
    events: list[StockMoved] = []
    rejected: list[EventRejection] = []
    for index, obj in enumerate(data):
        if isinstance(obj, _Unreadable):
            rejected.append(EventRejection(index, obj.reason, obj.raw))
            continue
        try:
            events.append(decode_event(obj))
        except ContractError as exc:
            rejected.append(EventRejection(index, str(exc), obj))
    return DecodedMessage(tuple(events), tuple(rejected))


def event_to_dict(event: StockMoved) -> dict[str, object]:
    """The JSON-ready dict of one event, extras included, unset optionals left out."""
    return event.model_dump(mode="json", by_alias=True, exclude_none=True,
                            exclude_defaults=False)


def encode_event(event: StockMoved) -> bytes:
    return json.dumps(event_to_dict(event), separators=(",", ":")).encode()


def encode_batch(events: Iterable[StockMoved]) -> bytes:
    """{"events": [...]} — what a gateway with a backlog publishes as one MQTT message."""
    body = [event_to_dict(e) for e in events]
    return json.dumps({"events": body}, separators=(",", ":")).encode()
