"""The valuation's page cursors: the last row's key, opaque to the caller.

Rule kept here: a cursor is only ever one the hub handed out; anything else is refused with a
clear error (422), never read as a different position.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from fastapi import HTTPException

from cloud_hub.valuation.pg.drill import Key


def cursor_of(key: Key) -> str:
    at, seq, warehouse, sku = key
    text = json.dumps([at.isoformat(), seq, warehouse, sku], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def key_of(cursor: str | None) -> Key | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, seq, warehouse, sku = json.loads(raw)
        when = datetime.fromisoformat(at)
        if when.tzinfo is None or not isinstance(seq, int) or isinstance(seq, bool) or \
                not isinstance(warehouse, str) or not isinstance(sku, str):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(422, "cursor is not one this route handed out: pass the `next` of "
                                 "the previous page unchanged") from None
    return when, seq, warehouse, sku
