"""Webhooks' rules, with no I/O: event types, which subscription wants what, the retry
schedule, the message body, and which URLs a hub may post to.

Rule kept here: a URL whose host is (or resolves to) a loopback, private, link-local,
multicast, reserved or unspecified address is refused unless an admin allowed private targets
for that subscription — a hub must not become a way into the network it sits in (SSRF). The
check runs when a subscription is saved and again before every delivery (DNS can change).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

MAX_URL = 2048
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0
DEFAULT_MAX_ATTEMPTS = 24  # 1 s doubling to 5 min: ~78 min of retries before "dead"


class EventType(StrEnum):
    MOVE_APPLIED = "move.applied"  # every move the ledger recorded (applied or late)
    UNIT_MOVED = "unit.moved"  # a move of a handling unit (pallet, case)
    ALERT_RAISED = "alert.raised"  # a rule raised a new alert
    ORDER_SHIPPED = "order.shipped"  # an order left: what, from where, to whom
    RECEIPT_CLOSED = "receipt.closed"  # a receipt was closed, with its discrepancies
    COUNT_APPROVED = "count.approved"  # a supervisor accepted a count's variance


class UrlRefused(ValueError):
    """The URL may not be a webhook target; the message says why."""


@dataclass(frozen=True, slots=True)
class Filter:
    warehouse: str | None = None
    sku: str | None = None
    location_prefix: str | None = None

    def matches(self, warehouse: str, sku: str | None, locations: Iterable[str | None]) -> bool:
        if self.warehouse is not None and warehouse != self.warehouse:
            return False
        if self.sku is not None and sku != self.sku:
            return False
        if self.location_prefix is not None:
            return any(loc is not None and loc.startswith(self.location_prefix)
                       for loc in locations)
        return True


def backoff_s(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed try (1, 2, 4, … up to 5 minutes)."""
    return min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))


def after_failure(attempts: int, max_attempts: int) -> tuple[str, float]:
    """(the delivery's state, seconds to the next try) after its `attempts`-th failure."""
    if attempts >= max_attempts:
        return "dead", 0.0
    return "pending", backoff_s(attempts)


def body(event_type: str, at: datetime, data: dict[str, object]) -> bytes:
    """The Standard Webhooks payload: {"type", "timestamp", "data"}."""
    return json.dumps({"type": event_type, "timestamp": at.isoformat(), "data": data},
                      separators=(",", ":"), default=str).encode()


Resolver = Callable[[str], list[str]]  # host -> its IP addresses


def check_url(url: str, resolve: Resolver, *, allow_private: bool = False) -> str:
    """`url` when a hub may post to it; UrlRefused otherwise."""
    if len(url) > MAX_URL:
        raise UrlRefused(f"the URL has {len(url)} characters, more than {MAX_URL}")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused("a webhook URL is http:// or https://")
    if not parts.hostname:
        raise UrlRefused("the URL names no host")
    if parts.username or parts.password:
        raise UrlRefused("credentials do not belong in the URL: the messages are signed")
    if port == 0:
        raise UrlRefused("port 0 is not a port")
    if allow_private:
        return url
    try:
        addresses = resolve(parts.hostname)
    except (OSError, UnicodeError, ValueError) as exc:  # gaierror; a label IDNA refuses
        raise UrlRefused(f"the host {parts.hostname!r} does not resolve: {exc}") from None
    if not addresses:
        raise UrlRefused(f"the host {parts.hostname!r} does not resolve")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise UrlRefused(
                f"{parts.hostname} is {address}, a loopback, private or reserved address: "
                "refused unless an admin allows private targets for this subscription")
    return url
