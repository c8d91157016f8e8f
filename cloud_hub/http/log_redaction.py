"""Access logs without secrets: uvicorn logs each request's path with its query string (and
each WebSocket's, on uvicorn.error), so query parameters that carry credentials are blanked.

Rule kept here: a parameter named token, ticket, access_token, password or secret never reaches
a log handler with its value, however it is spelt (case, percent-encoding of its name).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote

SECRET_NAMES = frozenset({"token", "ticket", "access_token", "password", "secret"})
QUERY_PAIR = re.compile(r"([?&;])([^=&;#\s\"]*)=([^&;#\s\"]*)")
LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with the values of secret query parameters replaced by `***`."""
    def blank(match: re.Match[str]) -> str:
        sep, name, _value = match.groups()
        if unquote(name).strip().lower() in SECRET_NAMES:
            return f"{sep}{name}=***"
        return match.group(0)
    return QUERY_PAIR.sub(blank, text) if "=" in text else text


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install() -> None:
    """Add the filter to uvicorn's loggers (once: a second app in the process adds nothing)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
