"""Single-use tickets for the live WebSocket: a browser cannot send a header with a WebSocket,
and a bearer token in its URL ends up in access logs; a ticket there is worth nothing later.

Rule kept here: a ticket is stored hashed, is good for seconds, is used at most once (deleted as
it is read), and stands for its bearer token as that token is when the ticket is used.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import psycopg

from cloud_hub.auth.pg.store import AuthError, authenticate_hash, token_hash
from cloud_hub.auth.policy import Principal


def issue_ticket(conn: psycopg.Connection, bearer_token: str, warehouse: str | None, *,
                 now: datetime, ttl: timedelta, secret_key: str) -> tuple[str, datetime]:
    conn.execute("DELETE FROM live_tickets WHERE expires_at <= %s", (now,))
    ticket = secrets.token_urlsafe(32)
    expires = now + ttl
    conn.execute("INSERT INTO live_tickets (ticket_hash, token_hash, warehouse, expires_at) "
                 "VALUES (%s, %s, %s, %s)", (token_hash(ticket, secret_key),
                                             token_hash(bearer_token, secret_key),
                                             warehouse, expires))
    return ticket, expires


def redeem_ticket(conn: psycopg.Connection, ticket: str, *, now: datetime,
                  secret_key: str) -> tuple[Principal, str | None]:
    """The caller and the warehouse the ticket was bought for (None: every warehouse)."""
    row = conn.execute("DELETE FROM live_tickets WHERE ticket_hash = %s "
                       "RETURNING token_hash, warehouse, expires_at",
                       (token_hash(ticket, secret_key),)).fetchone()
    if row is None:
        raise AuthError("unknown or already used ticket")
    hashed, warehouse, expires_at = row
    if expires_at <= now:
        raise AuthError("ticket expired")
    return authenticate_hash(conn, hashed, now=now), warehouse
