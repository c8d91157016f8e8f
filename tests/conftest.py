"""Shared fixtures: a fresh PostgreSQL database per test session and the real Mosquitto.

Both services are the real ones on 127.0.0.1 (`make test` starts them); nothing here mocks
the database or the broker. Each session gets its own database so parallel runs never meet.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MQTT_HOST = os.environ.get("TEST_MQTT_HOST", "127.0.0.1")
MQTT_PORT = int(os.environ.get("TEST_MQTT_PORT", "1883"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def _create_database() -> str:
    name = f"sp_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def _drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url_for(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new empty database for a module-scoped fixture; dropped afterwards."""
    name = _create_database()
    try:
        yield _url_for(name)
    finally:
        _drop_database(name)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """Admin URL of the real PostgreSQL; fails clearly when it is not answering."""
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not answering at {PG_ADMIN_URL} (run `make services`): {exc}")
    return PG_ADMIN_URL


@pytest.fixture
def fresh_db_url(pg_server_url: str) -> Iterator[str]:
    """A new empty database for one test, dropped afterwards."""
    with scratch_database() as url:
        yield url


@pytest.fixture(scope="session")
def mqtt_broker() -> tuple[str, int]:
    """(host, port) of the real Mosquitto; fails clearly when it is not answering."""
    try:
        with socket.create_connection((MQTT_HOST, MQTT_PORT), timeout=5):
            pass
    except OSError as exc:
        pytest.fail(f"Mosquitto is not answering at {MQTT_HOST}:{MQTT_PORT} "
                    f"(run `make services`): {exc}")
    return MQTT_HOST, MQTT_PORT


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep screenshots and other artifacts (test-artifacts/, kept by CI)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
