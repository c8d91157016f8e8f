"""Users, device credentials and tokens in PostgreSQL; passwords with scrypt, tokens hashed.

Rule kept here: no secret is stored in the clear — a token is shown once, when it is made; a
user's token holds only while the user is unchanged (users.token_version, migration 012).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from cloud_hub.auth.policy import ALL_WAREHOUSES, Principal, Scope
from cloud_hub.auth.roles import Role

__all__ = ["AuthError", "IssuedToken", "Principal", "authenticate", "create_gateway_credential",
           "create_user", "login", "revoke_tokens"]

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AuthError(Exception):
    """Bad credentials or an invalid token (the message is safe to show)."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    principal: Principal


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    roles: tuple[str, ...]
    warehouses: tuple[str, ...]
    active: bool


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


@functools.cache
def _decoy_hash() -> str:
    """A hash nobody's password matches: unknown and inactive users are checked against it, so
    they cost the same scrypt work as real ones and answer no faster (no user enumeration)."""
    return hash_password(secrets.token_hex(16))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def token_hash(token: str, secret_key: str) -> str:
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


WAREHOUSE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


def check_roles(roles: Sequence[str]) -> tuple[str, ...]:
    bad = [r for r in roles if r not in {x.value for x in Role} or r == Role.DEVICE]
    if bad or not roles:
        raise ValueError(f"roles must be some of picker, supervisor, manager, admin; got {roles}")
    return tuple(roles)


def warehouse_codes(warehouses: Sequence[str]) -> tuple[str, ...]:
    """Warehouse codes (as locations name them) or `*` for every warehouse."""
    bad = [w for w in warehouses if w != ALL_WAREHOUSES and not WAREHOUSE_CODE.match(w)]
    if bad or len(warehouses) > 1000:
        raise ValueError(f"warehouses must be warehouse codes or '*'; got {list(warehouses)[:5]}")
    return tuple(sorted(set(warehouses)))


def check_password(password: str) -> str:
    if not 8 <= len(password) <= 1024:
        raise ValueError("a password needs 8 to 1024 characters")
    return password


def create_user(conn: psycopg.Connection, name: str, password: str, roles: Sequence[str],
                warehouses: Sequence[str] = ()) -> None:
    """Create or replace a user (its old tokens end: the password hash changed)."""
    conn.execute(
        "INSERT INTO users (name, password_hash, roles, warehouses) VALUES (%s, %s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash, "
        "roles = EXCLUDED.roles, warehouses = EXCLUDED.warehouses, active = true",
        (name, hash_password(check_password(password)), list(check_roles(roles)),
         list(warehouse_codes(warehouses))))


def update_user(conn: psycopg.Connection, name: str, *, roles: Sequence[str] | None = None,
                warehouses: Sequence[str] | None = None, active: bool | None = None,
                password: str | None = None) -> UserInfo | None:
    """Change what is given; None when there is no such user. Tokens end (migration 012)."""
    row = conn.execute(
        "UPDATE users SET roles = coalesce(%s, roles), warehouses = coalesce(%s, warehouses), "
        "active = coalesce(%s, active), password_hash = coalesce(%s, password_hash) "
        "WHERE name = %s RETURNING name, roles, warehouses, active",
        (list(check_roles(roles)) if roles is not None else None,
         list(warehouse_codes(warehouses)) if warehouses is not None else None, active,
         hash_password(check_password(password)) if password is not None else None,
         name)).fetchone()
    return None if row is None else UserInfo(row[0], tuple(row[1]), tuple(row[2]), row[3])


def list_users(conn: psycopg.Connection) -> list[UserInfo]:
    return [UserInfo(n, tuple(r), tuple(w), a) for n, r, w, a in conn.execute(
        "SELECT name, roles, warehouses, active FROM users ORDER BY name")]


def _issue(conn: psycopg.Connection, principal: Principal, ttl: timedelta, now: datetime,
           secret_key: str, version: int | None = None) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    conn.execute(
        "INSERT INTO api_tokens (token_hash, principal, kind, roles, warehouse, gateway, "
        "expires_at, token_version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (token_hash(token, secret_key), principal.name, principal.kind, list(principal.roles),
         principal.warehouse, principal.gateway, expires, version))
    return IssuedToken(token, expires, principal)


@dataclass(frozen=True, slots=True)
class StoredLogin:
    """What checking a password needs, read before hashing (no connection is held while the
    hash runs)."""

    name: str
    password_hash: str
    roles: tuple[str, ...]
    warehouses: tuple[str, ...]
    token_version: int
    active: bool


def stored_login(conn: psycopg.Connection, name: str) -> StoredLogin | None:
    row = conn.execute("SELECT password_hash, roles, warehouses, token_version, active "
                       "FROM users WHERE name = %s", (name,)).fetchone()
    return None if row is None else StoredLogin(name, row[0], tuple(row[1]), tuple(row[2]),
                                                row[3], row[4])


def check_login(stored: StoredLogin | None, password: str) -> StoredLogin:
    """The user when the password is right and the user active, else AuthError; the same scrypt
    work whether or not there is such a user (see _decoy_hash)."""
    matches = verify_password(password, stored.password_hash if stored else _decoy_hash())
    if stored is None or not stored.active or not matches:
        raise AuthError("unknown user or wrong password")
    return stored


def issue_login_token(conn: psycopg.Connection, user: StoredLogin, *, now: datetime,
                      ttl: timedelta, secret_key: str) -> IssuedToken:
    principal = Principal(user.name, user.roles, scope=Scope.of(user.warehouses, user.roles))
    return _issue(conn, principal, ttl, now, secret_key, version=user.token_version)


def login(conn: psycopg.Connection, name: str, password: str, *, now: datetime,
          ttl: timedelta, secret_key: str) -> IssuedToken:
    user = check_login(stored_login(conn, name), password)
    return issue_login_token(conn, user, now=now, ttl=ttl, secret_key=secret_key)


def gateway_principal(warehouse: str, gateway: str) -> Principal:
    return Principal(f"gateway:{warehouse}/{gateway}", (Role.DEVICE.value,), "device",
                     warehouse, gateway, Scope(frozenset({warehouse})))


def create_gateway_credential(conn: psycopg.Connection, warehouse: str, gateway: str, *,
                              now: datetime, ttl: timedelta, secret_key: str) -> IssuedToken:
    conn.execute("INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING", (warehouse,))
    # registered from now on (a row may exist already, made by its status or heartbeat)
    conn.execute("INSERT INTO gateways (warehouse, gateway, registered_at) VALUES (%s, %s, %s) "
                 "ON CONFLICT (warehouse, gateway) DO UPDATE SET registered_at = "
                 "COALESCE(gateways.registered_at, EXCLUDED.registered_at)",
                 (warehouse, gateway, now))
    return _issue(conn, gateway_principal(warehouse, gateway), ttl, now, secret_key)


AUTH_SQL = """
SELECT t.principal, t.kind, t.warehouse, t.gateway, t.expires_at, t.revoked_at,
       t.token_version, u.roles, u.warehouses, u.active, u.token_version
FROM api_tokens t LEFT JOIN users u ON t.kind = 'user' AND u.name = t.principal
WHERE t.token_hash = %s"""


def authenticate(conn: psycopg.Connection, token: str, *, now: datetime,
                 secret_key: str) -> Principal:
    return authenticate_hash(conn, token_hash(token, secret_key), now=now)


def authenticate_hash(conn: psycopg.Connection, hashed: str, *, now: datetime) -> Principal:
    """The caller a stored token stands for, as the user is now (roles, warehouses)."""
    row = conn.execute(AUTH_SQL, (hashed,)).fetchone()
    if row is None:
        raise AuthError("unknown token")
    name, kind, warehouse, gateway, expires_at, revoked_at, version = row[:7]
    if revoked_at is not None:
        raise AuthError("token revoked")
    if expires_at <= now:
        raise AuthError("token expired")
    if kind == "device":
        return gateway_principal(warehouse, gateway)
    roles, warehouses, active, current = row[7:]
    if roles is None or not active:
        raise AuthError("this user is no longer active")
    if version != current:
        raise AuthError("token revoked: the user's password, roles or warehouses changed; "
                        "sign in again")
    return Principal(name, tuple(roles), scope=Scope.of(warehouses, roles))


def revoke_tokens(conn: psycopg.Connection, principal: str, now: datetime) -> int:
    cur = conn.execute("UPDATE api_tokens SET revoked_at = %s WHERE principal = %s "
                       "AND revoked_at IS NULL", (now, principal))
    return cur.rowcount


def revoke_user(conn: psycopg.Connection, name: str, now: datetime) -> int | None:
    """End every token of a user (tokens issued in a race with this end too: the version moved
    on). The number of tokens revoked, or None when there is no such user."""
    with conn.transaction():
        row = conn.execute("UPDATE users SET token_version = token_version + 1 WHERE name = %s "
                           "RETURNING name", (name,)).fetchone()
        return None if row is None else revoke_tokens(conn, name, now)


def revoke_gateway(conn: psycopg.Connection, warehouse: str, gateway: str,
                   now: datetime) -> int:
    return revoke_tokens(conn, gateway_principal(warehouse, gateway).name, now)


def bootstrap_admin(conn: psycopg.Connection, password: str) -> bool:
    """Create the first admin (`admin`) when there are no users yet; False if there were."""
    if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
        return False
    create_user(conn, "admin", password, ["admin"])
    return True
