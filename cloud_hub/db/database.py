"""Where the ledger lives: HUB_DATABASE_URL when set, else an embedded PostgreSQL.

Rule kept here: the embedded server (the pgserver wheel, PostgreSQL 16) keeps its data
under the user's data directory, so a demo's ledger survives restarts of the hub.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import psycopg
from psycopg_pool import ConnectionPool

from cloud_hub.db.migrate import migrate


class DatabaseUnavailable(RuntimeError):
    pass


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "stockpulse" / "pgdata"


def start_embedded(data_dir: Path | None = None) -> str:
    """Start (or reuse) the embedded PostgreSQL and return its URI (Unix socket)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs' runtime-dir notice, harmless here
            import pgserver
    except ImportError as exc:
        raise DatabaseUnavailable("no HUB_DATABASE_URL and the pgserver wheel is not installed "
                                  "(pip install 'stockpulse[hub]')") from exc
    path = data_dir or default_data_dir()
    path.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(path.parent / "run"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs' runtime-dir notice, harmless here
        server = pgserver.get_server(path, cleanup_mode="stop")
    return str(server.get_uri())


def resolve_url(url: str | None = None, data_dir: Path | None = None) -> str:
    """The database URL to use: the one given, HUB_DATABASE_URL, or the embedded server's."""
    return url or os.environ.get("HUB_DATABASE_URL") or start_embedded(data_dir)


def connect(url: str, migrate_schema: bool = True) -> psycopg.Connection:
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"cannot reach PostgreSQL at {url}: {exc}") from exc
    if migrate_schema:
        migrate(conn)
    return conn


def open_pool(url: str, min_size: int = 1, max_size: int = 8,
              statement_timeout_ms: int = 0) -> ConnectionPool:
    """A pool of autocommit connections; the schema is migrated before it opens. With
    `statement_timeout_ms`, PostgreSQL cancels any statement of its connections that runs
    longer (QueryCanceled); `pool.conninfo` does not carry it, so connections made from it
    elsewhere (the ledger pipeline's) are not bound."""
    with connect(url) as conn:
        migrate(conn)
    kwargs: dict[str, object] = {"autocommit": True}
    if statement_timeout_ms:
        kwargs["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=False,
                          kwargs=kwargs)
    pool.open(wait=True, timeout=30)
    return pool
