"""Bounded JSON: nesting depth measured without recursion before any parser recurses, and
limits on the size, depth and range of free-form values (extra fields, gateway health).

Rule kept here: no payload nested deeper than MAX_DEPTH reaches `json.loads` (its C scanner
recurses once per level and fails near 1,000, pydantic's at 255); a batch too deep as a whole is
cut into its events first, so a deep event costs only itself. Every free-form value that is
kept is finite, NUL-free, encodable text, and small.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from protocol.errors import ContractError

# Deeper than any message of the contract (an event with extras is ~12 levels); shallow
# enough that no parser's recursion comes near its limit.
MAX_DEPTH = 32

# JSON strings (RFC 8259 §7: a quote, then anything but an unescaped quote) and the
# characters that open, close or separate values. Colons and scalars need no token.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.S)
_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_EVENTS_KEY = b'"events"'


@dataclass(frozen=True, slots=True)
class Shape:
    """How deep a payload nests and, when it is a batch (a JSON array, or an object whose
    "events" key holds one), where each element lies: (start, end, depth below the array)."""

    depth: int
    elements: tuple[tuple[int, int, int], ...] | None


def shape(payload: bytes) -> Shape:
    """One pass over the payload's tokens; never raises. For text that is not JSON the
    answer is a guess, and the parser that follows refuses the text anyway."""
    depth = deepest = 0
    array_depth = 0  # depth inside the batch's array; 0: not found (yet)
    elements: list[tuple[int, int, int]] = []
    start = element_deepest = 0
    previous = b""
    first = True
    for match in _TOKENS.finditer(payload):
        char = payload[match.start()]
        if char in _OPEN:
            if first and char == 0x5B:  # '[': the message is an array of events
                array_depth, start = 1, match.end()
            elif (depth == 1 and char == 0x5B and not array_depth
                  and previous == _EVENTS_KEY):  # {"events": [
                array_depth, start = 2, match.end()
            depth += 1
            deepest = max(deepest, depth)
            if array_depth > 0 and depth > array_depth:
                element_deepest = max(element_deepest, depth - array_depth)
        elif char in _CLOSE:
            if array_depth > 0 and depth == array_depth:
                if elements or payload[start:match.start()].strip():  # "[]" holds none
                    elements.append((start, match.start(), element_deepest))
                array_depth = -1  # closed: later brackets are not the batch's
            depth -= 1
        elif char == 0x2C and array_depth > 0 and depth == array_depth:  # ','
            elements.append((start, match.start(), element_deepest))
            start, element_deepest = match.end(), 0
        previous = match.group() if char == 0x22 else b""
        first = False
    return Shape(deepest, tuple(elements) if array_depth else None)


def as_bytes(payload: bytes | str) -> bytes:
    # surrogatepass: a lone surrogate becomes bytes that are not UTF-8, which the parser refuses
    return payload if isinstance(payload, bytes) else payload.encode("utf-8", "surrogatepass")


def loads_bounded(payload: bytes | str, max_depth: int = MAX_DEPTH) -> object:
    """json.loads, after making sure the payload nests at most `max_depth` levels."""
    raw = as_bytes(payload)
    found = shape(raw)
    if found.depth > max_depth:
        raise ContractError(f"JSON nested {found.depth} levels deep; at most {max_depth} are read")
    return loads_shallow(raw)


def loads_shallow(raw: bytes) -> object:
    """json.loads of text already known to be shallow; ContractError when it is not JSON."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ContractError(f"payload is not JSON: {exc}") from None


@dataclass(frozen=True, slots=True)
class Limits:
    """What one free-form JSON value may hold."""

    depth: int = 8  # levels of objects and arrays, the value itself counting as one
    text: int = 4096  # characters of one string or key
    items: int = 256  # entries of one object or array
    values: int = 4096  # values in all
    integer: int = 2**63 - 1  # largest magnitude of an integer (PostgreSQL's bigint)


EXTRA_LIMITS = Limits()


def check_value(value: object, limits: Limits = EXTRA_LIMITS, where: str = "value") -> None:
    """ValueError naming the first part of `value` that is not small, finite JSON; no
    recursion, so any depth is safe to check."""
    stack: list[tuple[object, str, int]] = [(value, where, 1)]
    seen = 0
    while stack:
        item, path, level = stack.pop()
        seen += 1
        if seen > limits.values:
            raise ValueError(f"{where}: more than {limits.values} values")
        if isinstance(item, str):
            _check_text(item, path, limits)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if abs(item) > limits.integer:
                raise ValueError(f"{path}: integer out of range (at most {limits.integer})")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{path}: {item} is not a finite number")
        elif isinstance(item, dict | list | tuple):
            if level > limits.depth:
                raise ValueError(f"{path}: nested deeper than {limits.depth} levels")
            if len(item) > limits.items:
                raise ValueError(f"{path}: more than {limits.items} entries")
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise ValueError(f"{path}: keys must be text")
                    _check_text(key, f"{path}.<key>", limits)
                    stack.append((child, f"{path}.{key[:40]}", level + 1))
            else:
                stack.extend((child, f"{path}[{i}]", level + 1) for i, child in enumerate(item))
        else:
            raise ValueError(f"{path}: {type(item).__name__} is not a JSON value")


def _check_text(text: str, path: str, limits: Limits) -> None:
    if len(text) > limits.text:
        raise ValueError(f"{path}: text longer than {limits.text} characters")
    if "\x00" in text:
        raise ValueError(f"{path}: text may not contain NUL (\\u0000) characters")
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            raise ValueError(f"{path}: text holds a lone surrogate (not UTF-8)") from None
