"""The pure rules of access: scopes and policy checks, sign-in throttling, the hash gate and
access-log redaction — table-driven, no services."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta

import pytest

from cloud_hub.auth.api.hash_gate import GateFull, HashGate
from cloud_hub.auth.policy import (
    Principal,
    Refused,
    Scope,
    check_everywhere,
    check_permission,
    check_resource,
    effective_warehouse,
)
from cloud_hub.auth.roles import Permission
from cloud_hub.auth.throttle import Count, Limits, after_failure, locked_for
from cloud_hub.http.log_redaction import redact

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def who(roles: tuple[str, ...], warehouses: tuple[str, ...] = ()) -> Principal:
    return Principal("u", roles, scope=Scope.of(warehouses, roles))


def refusal(call: object) -> int | None:
    try:
        call()  # type: ignore[operator]
    except Refused as exc:
        return exc.status
    return None


@pytest.mark.parametrize(("roles", "stored", "everything", "allows_wh2"), [
    (("admin",), (), True, True),
    (("picker",), ("*",), True, True),
    (("picker",), ("WH1",), False, False),
    (("manager",), ("WH1", "WH2"), False, True),
    (("picker",), (), False, False),
])
def test_scopes(roles: tuple[str, ...], stored: tuple[str, ...], everything: bool,
                allows_wh2: bool) -> None:
    scope = Scope.of(stored, roles)
    assert (scope.everything, scope.allows("WH2")) == (everything, allows_wh2)


@pytest.mark.parametrize(("roles", "permission", "status"), [
    (("device",), Permission.POST_MOVES, None),
    (("device",), Permission.RUN_WORK, 403),  # a gateway books no receipts, waves, counts
    (("device",), Permission.READ, 403),
    (("picker",), Permission.RESOLVE, 403),  # e.g. acknowledging planning alerts
    (("picker",), Permission.MONITOR, 403),
    (("supervisor",), Permission.RESOLVE, None),
    (("supervisor",), Permission.PLAN, 403),
    (("manager",), Permission.ADMINISTER, 403),
    (("picker",), None, None),  # any signed-in caller
])
def test_permissions(roles: tuple[str, ...], permission: Permission | None,
                     status: int | None) -> None:
    assert refusal(lambda: check_permission(who(roles, ("WH1",)), permission)) == status


@pytest.mark.parametrize(("warehouses", "named", "result"), [
    (("WH1",), None, "WH1"),  # the only one: taken as meant
    (("WH1",), "WH1", "WH1"),
    (("WH1",), "WH2", 403),
    (("WH1", "WH2"), None, 422),  # several: the caller must say which
    (("WH1", "WH2"), "WH2", "WH2"),
    ((), None, 403),
    (("*",), None, None),  # every warehouse
    (("*",), "WH9", "WH9"),
])
def test_the_warehouse_a_request_is_about(warehouses: tuple[str, ...], named: str | None,
                                          result: str | int | None) -> None:
    caller = who(("picker",), warehouses)
    if isinstance(result, int):
        assert refusal(lambda: effective_warehouse(caller, named)) == result
    else:
        assert effective_warehouse(caller, named) == result


def test_things_of_other_warehouses_are_not_found_and_shared_changes_need_all() -> None:
    one, every = who(("manager",), ("WH1",)), who(("manager",), ("*",))
    assert refusal(lambda: check_resource(one, "task 't'", "WH1")) is None
    assert refusal(lambda: check_resource(one, "task 't'", "WH2")) == 404
    assert refusal(lambda: check_resource(one, "letter 1", None)) == 404  # nobody's: all only
    assert refusal(lambda: check_resource(every, "letter 1", None)) is None
    assert refusal(lambda: check_everywhere(one, "putaway rules")) == 403
    assert refusal(lambda: check_everywhere(every, "putaway rules")) is None


LIMITS = Limits(max_failures=3, window=timedelta(minutes=15), lockout=timedelta(minutes=5))


def test_failures_lock_a_key_out_until_the_lock_ends() -> None:
    count = None
    for minute in range(3):
        assert locked_for(count, T0 + timedelta(minutes=minute)) is None
        count = after_failure(count, T0 + timedelta(minutes=minute), LIMITS)
    assert count is not None and count.failures == 3
    assert locked_for(count, T0 + timedelta(minutes=2)) == timedelta(minutes=5)
    assert locked_for(count, T0 + timedelta(minutes=6)) == timedelta(minutes=1)
    assert locked_for(count, T0 + timedelta(minutes=7)) is None  # the lock ran out
    fresh = after_failure(count, T0 + timedelta(minutes=7), LIMITS)
    assert (fresh.failures, fresh.locked_until) == (1, None)  # and counting starts again


def test_failures_count_within_their_window_only() -> None:
    old = Count(2, T0)
    assert after_failure(old, T0 + timedelta(minutes=15), LIMITS) == Count(
        1, T0 + timedelta(minutes=15))
    assert after_failure(old, T0 + timedelta(minutes=14), LIMITS).locked_until is not None


def test_the_hash_gate_bounds_work_and_turns_the_surplus_away() -> None:
    release, running, peak = threading.Event(), [0], [0]

    def work() -> str:
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        release.wait(10)
        running[0] -= 1
        return "hashed"

    async def burst() -> list[object]:
        gate = HashGate(slots=1, queue=1)
        first = asyncio.ensure_future(gate.run(work))
        second = asyncio.ensure_future(gate.run(work))
        await asyncio.sleep(0)  # both admitted: one running, one waiting
        with pytest.raises(GateFull):
            await gate.run(work)
        release.set()
        return [await first, await second, gate.turned_away]
    assert asyncio.run(burst()) == ["hashed", "hashed", 1]
    assert peak[0] == 1


@pytest.mark.parametrize(("line", "clean"), [
    ("GET /api/v1/live?ticket=abc&zone=Z HTTP/1.1", "GET /api/v1/live?ticket=***&zone=Z HTTP/1.1"),
    ("/api/v1/live?warehouse=WH1&token=s3cr3t", "/api/v1/live?warehouse=WH1&token=***"),
    ("/x?Access_Token=a&TOKEN=b&%74oken=c", "/x?Access_Token=***&TOKEN=***&%74oken=***"),
    ("/x?tokens=kept&q=token", "/x?tokens=kept&q=token"),
    ("no query at all", "no query at all"),
])
def test_secret_query_parameters_are_blanked(line: str, clean: str) -> None:
    assert redact(line) == clean


def test_a_feed_of_one_warehouse_shows_nothing_else() -> None:
    from cloud_hub.live.messages import LiveFilter
    mine = LiveFilter("WH1")
    assert mine.wants({"type": "move", "warehouse": "WH1"})
    assert not mine.wants({"type": "move", "warehouse": "WH2"})
    assert not mine.wants({"type": "balance", "warehouse": None})  # could be anybody's
    assert LiveFilter(None).wants({"type": "gateway", "warehouse": "WH2"})  # callers of all
