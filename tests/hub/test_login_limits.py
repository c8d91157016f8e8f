"""Sign-in on a real hub (issue 18, medium): wrong passwords lock a user name and an address out
for a while (429 + Retry-After, even for the right password then), unknown names are treated
like known ones, and a burst of sign-ins is bounded instead of starving the hub."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cloud_hub.auth.pg import store
from cloud_hub.auth.pg.store import AuthError, create_user, login
from cloud_hub.db.database import connect
from tests.hub_fixtures import Hub, running_hub

pytestmark = pytest.mark.integration
PASSWORD = "the-right-password"


@pytest.fixture
def limited(fresh_db_url: str) -> Iterator[Callable[..., Hub]]:
    """A hub with the given sign-in settings, and users ann and bob."""
    with connect(fresh_db_url) as conn:
        for name in ("ann", "bob"):
            create_user(conn, name, PASSWORD, ["picker"], ["WH1"])
    stack: list[Any] = []

    def start(**settings: object) -> Hub:
        running = running_hub(fresh_db_url, mqtt_enabled=False, rules_enabled=False,
                              **settings)
        stack.append(running)
        return running.__enter__()
    yield start
    for running in reversed(stack):
        running.__exit__(None, None, None)


def sign_in(hub: Hub, name: str, password: str) -> httpx.Response:
    return httpx.post(f"{hub.base_url}/api/v1/auth/token",
                      json={"username": name, "password": password}, timeout=30)


def test_wrong_passwords_lock_a_name_out_known_or_not(limited: Callable[..., Hub]) -> None:
    hub = limited(login_max_failures=3, login_lockout_s=120)
    for name in ("ann", "nobody-by-that-name"):
        assert [sign_in(hub, name, "wrong").status_code for _ in range(3)] == [401] * 3
        locked = sign_in(hub, name, "wrong")
        assert locked.status_code == 429, locked.text
        assert 0 < int(locked.headers["retry-after"]) <= 120
        assert locked.headers["content-type"].startswith("application/problem+json")
    assert sign_in(hub, "ann", PASSWORD).status_code == 429  # the right one waits too
    assert sign_in(hub, "bob", PASSWORD).status_code == 200  # others from here still get in


def test_one_address_is_limited_across_names(limited: Callable[..., Hub]) -> None:
    hub = limited(login_max_failures=100, login_max_failures_per_address=4)
    statuses = [sign_in(hub, f"guess-{i}", "wrong").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert sign_in(hub, "ann", PASSWORD).status_code == 429


def test_unknown_users_cost_the_same_password_work(fresh_db_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No answer comes faster for a name nobody has: scrypt runs once per attempt either way."""
    with connect(fresh_db_url) as conn:
        create_user(conn, "ann", PASSWORD, ["picker"], ["WH1"])
        create_user(conn, "gone", PASSWORD, ["picker"], ["WH1"])
        conn.execute("UPDATE users SET active = false WHERE name = 'gone'")
        store._decoy_hash()  # made once per process, before counting
        calls: list[int] = []
        real = hashlib.scrypt

        def counted(*args: Any, **kwargs: Any) -> bytes:
            calls.append(1)
            return real(*args, **kwargs)
        monkeypatch.setattr(hashlib, "scrypt", counted)
        work = {}
        for name in ("ann", "nobody", "gone"):
            calls.clear()
            with pytest.raises(AuthError):
                login(conn, name, "wrong", now=datetime.now(UTC), ttl=timedelta(minutes=5),
                      secret_key="k")
            work[name] = len(calls)
    assert work == {"ann": 1, "nobody": 1, "gone": 1}


def test_a_burst_of_sign_ins_is_bounded_not_queued_without_end(
        limited: Callable[..., Hub]) -> None:
    hub = limited(login_hash_slots=1, login_hash_queue=1)
    start = threading.Barrier(12)
    answers: list[httpx.Response] = []

    def one() -> None:
        start.wait(10)
        answers.append(sign_in(hub, "ann", PASSWORD))
    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(a.status_code for a in answers)
    assert len(statuses) == 12 and set(statuses) <= {200, 503}
    busy = [a for a in answers if a.status_code == 503]
    assert busy and all(a.headers["retry-after"] == "1" for a in busy), statuses
    assert 200 in statuses  # the gate lets work through, it does not stop it
