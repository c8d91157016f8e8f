"""Users, device credentials and tokens in PostgreSQL; passwords with scrypt, tokens hashed.

Rule kept here: no secret is stored in the clear — a token is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from cloud_hub.auth.roles import Role

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AuthError(Exception):
    """Bad credentials or an invalid token (the message is safe to show)."""


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    roles: tuple[str, ...]
    kind: str = "user"  # user | device
    warehouse: str | None = None
    gateway: str | None = None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_at: datetime
    principal: Principal


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


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


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    bad = [r for r in roles if r not in {x.value for x in Role} or r == Role.DEVICE]
    if bad or not roles:
        raise ValueError(f"roles must be some of picker, supervisor, manager, admin; got {roles}")
    return tuple(roles)


def create_user(conn: psycopg.Connection, name: str, password: str,
                roles: list[str] | tuple[str, ...]) -> None:
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    conn.execute(
        "INSERT INTO users (name, password_hash, roles) VALUES (%s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET password_hash = EXCLUDED.password_hash, "
        "roles = EXCLUDED.roles, active = true",
        (name, hash_password(password), list(check_roles(roles))))


def _issue(conn: psycopg.Connection, principal: Principal, ttl: timedelta, now: datetime,
           secret_key: str) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires = now + ttl
    conn.execute(
        "INSERT INTO api_tokens (token_hash, principal, kind, roles, warehouse, gateway, "
        "expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (token_hash(token, secret_key), principal.name, principal.kind, list(principal.roles),
         principal.warehouse, principal.gateway, expires))
    return IssuedToken(token, expires, principal)


def login(conn: psycopg.Connection, name: str, password: str, *, now: datetime,
          ttl: timedelta, secret_key: str) -> IssuedToken:
    row = conn.execute("SELECT password_hash, roles FROM users WHERE name = %s AND active",
                       (name,)).fetchone()
    if row is None or not verify_password(password, row[0]):
        raise AuthError("unknown user or wrong password")
    return _issue(conn, Principal(name, tuple(row[1])), ttl, now, secret_key)


def create_gateway_credential(conn: psycopg.Connection, warehouse: str, gateway: str, *,
                              now: datetime, ttl: timedelta, secret_key: str) -> IssuedToken:
    conn.execute("INSERT INTO warehouses (code) VALUES (%s) ON CONFLICT DO NOTHING", (warehouse,))
    conn.execute("INSERT INTO gateways (warehouse, gateway) VALUES (%s, %s) "
                 "ON CONFLICT DO NOTHING", (warehouse, gateway))
    principal = Principal(f"gateway:{warehouse}/{gateway}", (Role.DEVICE.value,), "device",
                          warehouse, gateway)
    return _issue(conn, principal, ttl, now, secret_key)


def authenticate(conn: psycopg.Connection, token: str, *, now: datetime,
                 secret_key: str) -> Principal:
    row = conn.execute(
        "SELECT principal, kind, roles, warehouse, gateway, expires_at, revoked_at "
        "FROM api_tokens WHERE token_hash = %s", (token_hash(token, secret_key),)).fetchone()
    if row is None:
        raise AuthError("unknown token")
    name, kind, roles, warehouse, gateway, expires_at, revoked_at = row
    if revoked_at is not None:
        raise AuthError("token revoked")
    if expires_at <= now:
        raise AuthError("token expired")
    return Principal(name, tuple(roles), kind, warehouse, gateway)


def revoke_tokens(conn: psycopg.Connection, principal: str, now: datetime) -> int:
    cur = conn.execute("UPDATE api_tokens SET revoked_at = %s WHERE principal = %s "
                       "AND revoked_at IS NULL", (now, principal))
    return cur.rowcount


def bootstrap_admin(conn: psycopg.Connection, password: str) -> bool:
    """Create the first admin (`admin`) when there are no users yet; False if there were."""
    if conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
        return False
    create_user(conn, "admin", password, ["admin"])
    return True
