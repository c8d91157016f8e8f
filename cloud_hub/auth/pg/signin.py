"""Signing in with limits: per-user and per-address failure counts (auth.throttle) kept in
PostgreSQL around store.login, so every hub replica sees the same lockouts.

Rule kept here: a locked-out attempt does no password work and says only how long to wait;
a user name nobody has is counted and locked like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from psycopg_pool import ConnectionPool

from cloud_hub.auth.pg.store import (
    AuthError,
    IssuedToken,
    check_login,
    issue_login_token,
    stored_login,
)
from cloud_hub.auth.throttle import Count, Limits, after_failure, locked_for

STALE_AFTER = timedelta(days=1)


class LockedOut(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SignInLimits:
    per_user: Limits
    per_address: Limits


def _counts(conn: psycopg.Connection, keys: list[str]) -> dict[str, Count]:
    return {key: Count(*rest) for key, *rest in conn.execute(
        "SELECT key, failures, window_start, locked_until FROM login_failures "
        "WHERE key = ANY(%s)", (keys,))}


def _record_failure(conn: psycopg.Connection, keys: dict[str, Limits], now: datetime) -> None:
    with conn.transaction():
        for key in sorted(keys):  # one order for every writer: no deadlocks
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
        counts = _counts(conn, list(keys))
        for key, limits in keys.items():
            count = after_failure(counts.get(key), now, limits)
            conn.execute(
                "INSERT INTO login_failures (key, failures, window_start, locked_until) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET "
                "failures = EXCLUDED.failures, window_start = EXCLUDED.window_start, "
                "locked_until = EXCLUDED.locked_until",
                (key, count.failures, count.window_start, count.locked_until))
        conn.execute("DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures "
                     "WHERE window_start < %s AND coalesce(locked_until, window_start) < %s "
                     "LIMIT 100)", (now - STALE_AFTER, now))


def sign_in(pool: ConnectionPool, name: str, password: str, address: str, *,
            now: datetime, ttl: timedelta, secret_key: str,
            limits: SignInLimits) -> IssuedToken:
    """A token, or AuthError (wrong name or password) or LockedOut (wait `retry_after`).
    No database connection is held while the password hash runs."""
    keys = {f"user:{name}": limits.per_user, f"address:{address}": limits.per_address}
    with pool.connection() as conn:
        waits = [w for c in _counts(conn, list(keys)).values() if (w := locked_for(c, now))]
        if waits:
            raise LockedOut(max(waits))
        stored = stored_login(conn, name)
    try:
        user = check_login(stored, password)
    except AuthError:
        with pool.connection() as conn:
            _record_failure(conn, keys, now)
        raise
    with pool.connection() as conn:
        conn.execute("DELETE FROM login_failures WHERE key = %s", (f"user:{name}",))
        return issue_login_token(conn, user, now=now, ttl=ttl, secret_key=secret_key)
