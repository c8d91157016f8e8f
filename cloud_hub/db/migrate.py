"""Versioned SQL migrations: files NNN_name.sql applied in order, each once, recorded.

Rule kept here: re-running is a no-op; a file whose text changed after it was applied is an
error (history is never rewritten). TimescaleDB hypertables are switched on only when the
extension is available on the server.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

MIGRATION_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
LOCK_KEY = 0x5350_4D49  # "SPMI": one migrator at a time


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """Every migration shipped in cloud_hub/storage/migrations, in version order."""
    found: dict[int, Migration] = {}
    for entry in resources.files("cloud_hub.storage.migrations").iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if not match:
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations share version {version:03d}: "
                                 f"{found[version].name} and {match.group(2)}")
        found[version] = Migration(version, match.group(2), entry.read_text())
    return [found[v] for v in sorted(found)]


def migrate(conn: psycopg.Connection) -> list[Migration]:
    """Apply what is missing; return what was applied now."""
    applied_now: list[Migration] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {v: c for v, c in conn.execute("SELECT version, checksum FROM schema_migrations")}
        for mig in available():
            if mig.version in done:
                if done[mig.version] != mig.checksum:
                    raise MigrationError(f"migration {mig.version:03d}_{mig.name} changed "
                                         "after it was applied; add a new migration instead")
                continue
            conn.execute(mig.sql.encode())
            conn.execute("INSERT INTO schema_migrations (version, name, checksum) "
                         "VALUES (%s, %s, %s)", (mig.version, mig.name, mig.checksum))
            applied_now.append(mig)
        enable_timescale(conn)
    return applied_now


def timescale_available(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()
    return row is not None


def enable_timescale(conn: psycopg.Connection) -> bool:
    """Turn `moves` into a hypertable when TimescaleDB exists (not testable on this machine:
    no TimescaleDB package here; on plain PostgreSQL this does nothing)."""
    if not timescale_available(conn):
        return False
    conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    conn.execute("SELECT create_hypertable('moves', 'occurred_at', migrate_data => true, "
                 "if_not_exists => true)")
    return True
