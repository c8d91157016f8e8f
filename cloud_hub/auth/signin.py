"""Signing in with limits: per-user and per-address failure counts (auth.throttle) kept in
PostgreSQL around store.login, so every hub replica sees the same lockouts.

Rule kept here: a locked-out attempt does no password work and says only how long to wait;
a user name nobody has is counted and locked like a real one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from cloud_hub.auth.store import IssuedToken, login
from cloud_hub.auth.throttle import Count, Limits, charge, refund

STALE_AFTER = timedelta(days=1)


class LockedOut(Exception):
    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many failed sign-ins: try again in {retry_after}")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SignInLimits:
    per_user: Limits
    per_address: Limits


def _load(conn: psycopg.Connection, key: str) -> Count | None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (key,))
    row = conn.execute("SELECT failures, window_start, locked_until FROM login_failures "
                       "WHERE key = %s", (key,)).fetchone()
    return None if row is None else Count(*row)


def _save(conn: psycopg.Connection, key: str, count: Count) -> None:
    conn.execute(
        "INSERT INTO login_failures (key, failures, window_start, locked_until) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (key) DO UPDATE SET failures = EXCLUDED.failures, "
        "window_start = EXCLUDED.window_start, locked_until = EXCLUDED.locked_until",
        (key, count.failures, count.window_start, count.locked_until))


def _charge(conn: psycopg.Connection, keys: dict[str, Limits], now: datetime) -> None:
    """Charge every key for this attempt, or raise LockedOut charging none (locks are kept)."""
    with conn.transaction():
        charged = {key: charge(_load(conn, key), now, limits)
                   for key, limits in sorted(keys.items())}
        refused = {k: c for k, c in charged.items() if c.retry_after is not None}
        for key, result in (refused or charged).items():
            _save(conn, key, result.count)
        conn.execute("DELETE FROM login_failures WHERE key IN (SELECT key FROM login_failures "
                     "WHERE window_start < %s AND coalesce(locked_until, window_start) < %s "
                     "LIMIT 100)", (now - STALE_AFTER, now))
    if refused:
        raise LockedOut(max(c.retry_after for c in refused.values() if c.retry_after))


def _succeeded(conn: psycopg.Connection, user_key: str, address_key: str) -> None:
    with conn.transaction():
        conn.execute("DELETE FROM login_failures WHERE key = %s", (user_key,))
        count = _load(conn, address_key)
        if count is not None:
            _save(conn, address_key, refund(count))


def sign_in(conn: psycopg.Connection, name: str, password: str, address: str, *,
            now: datetime, ttl: timedelta, secret_key: str,
            limits: SignInLimits) -> IssuedToken:
    """A token, or AuthError (wrong name or password) or LockedOut (wait `retry_after`)."""
    user_key, address_key = f"user:{name}", f"address:{address}"
    _charge(conn, {user_key: limits.per_user, address_key: limits.per_address}, now)
    issued = login(conn, name, password, now=now, ttl=ttl, secret_key=secret_key)
    _succeeded(conn, user_key, address_key)
    return issued
