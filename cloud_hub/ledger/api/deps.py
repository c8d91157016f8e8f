"""What routes that write to or read from the ledger declare: the apply service (the one apply
path, built by cloud_hub.main) and the ledger's things looked up by id for the access guard."""

from __future__ import annotations

import uuid
from typing import Annotated

import psycopg
from fastapi import Depends

from cloud_hub.auth.api.access import Found, Resource, by_sql
from cloud_hub.http.services import Slot
from cloud_hub.ledger.pg.apply import ApplyService
from cloud_hub.ledger.pg.queries import where_is

APPLY: Slot[ApplyService] = Slot("apply service (the ledger's one apply path)")
ApplyDep = Annotated[ApplyService, Depends(APPLY.dependency)]


def _unit(conn: psycopg.Connection, key: str) -> Found:
    """A unit by SSCC, EPC or key, read exactly as queries.where_is reads it."""
    unit = where_is(conn, key)
    return (False, None) if unit is None else (True, unit.warehouse)


UNIT = Resource("unit", "identifier", _unit)
REJECTED_MOVE = Resource("rejected_move", "event_id", by_sql(
    "SELECT warehouse FROM rejected_moves WHERE event_id = %s", uuid.UUID))
