"""Planning on a schedule per warehouse: set through REST, run by the hub's own thread when due
without anyone calling /run, last and next run visible; a due schedule is claimed once, a missed
slot runs once, and a failing warehouse does not stop the others."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloud_hub.db.database import connect
from cloud_hub.planning.pg.runs import run_planning
from cloud_hub.supply.pg.schedules import get_schedule, put_schedule, run_due
from cloud_hub.supply.schedule import next_run
from tests.hub_fixtures import Hub
from tests.supply.site import ok, problem, seed

T = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.mark.parametrize(("due", "now", "after"), [
    (T, T - H, T),  # not yet due: stays
    (T, T, T + H),
    (T, T + 0.5 * H, T + H),
    (T, T + 5.5 * H, T + 6 * H),  # down for five hours: one run, back on the grid
])
def test_next_run_keeps_the_grid(due: datetime, now: datetime, after: datetime) -> None:
    assert next_run(due, H, now) == after


@pytest.mark.integration
def test_the_hub_plans_a_warehouse_when_its_schedule_is_due(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        problem(api.get(f"/api/v1/planning/schedules/{wh}"), 404, "has no planning schedule")
        problem(api.put(f"/api/v1/planning/schedules/{wh}", json={"every_minutes": 1}), 422,
                "every_minutes")
        assert ok(api.get("/api/v1/planning/suggestions", params={"warehouse": wh})) == []
        put = ok(api.put(f"/api/v1/planning/schedules/{wh}", json={
            "every_minutes": 60, "days": 60}))
        assert put["last_run_at"] is None
        got = _until_run(api, wh)  # the PUT woke the scheduler: it runs at once
        assert got["last_error"] is None and got["last_series"] == 1
        assert got["last_suggestions"] == 1
        assert datetime.fromisoformat(got["next_run_at"]) > datetime.fromisoformat(
            got["last_run_at"]) + timedelta(minutes=59)
        (s,) = ok(api.get("/api/v1/planning/suggestions", params={"warehouse": wh}))
        assert s["sku"] == "S1"
        listed = ok(api.get("/api/v1/planning/schedules", params={"warehouse": wh}))
        assert [x["warehouse"] for x in listed] == [wh]


def _until_run(api: Any, wh: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        got: dict[str, Any] = ok(api.get(f"/api/v1/planning/schedules/{wh}"))
        if got["last_run_at"] is not None:
            return got
        assert time.monotonic() < deadline, f"planning did not run within {timeout}s: {got}"
        time.sleep(0.1)  # polling the API: the hub's thread has no event the test can await


@pytest.mark.integration
def test_a_due_schedule_runs_once_and_a_failure_is_recorded(fresh_db_url: str) -> None:
    seed(fresh_db_url, "WA")
    seed(fresh_db_url, "WB")
    now = datetime.now(UTC)

    def plan(conn: Any, today: Any, at: Any, *, days: int, warehouse: str) -> Any:
        if warehouse == "WA":
            raise RuntimeError("no demand aggregate")
        return run_planning(conn, today, at, days=days, warehouse=warehouse)

    with connect(fresh_db_url) as conn:
        for wh in ("WA", "WB"):
            put_schedule(conn, wh, 60, 60, True, now - 3 * H, now)
        assert run_due(conn, now, plan) == ["WA", "WB"]
        assert run_due(conn, now, plan) == []  # both claimed: nothing runs twice
        failed, good = get_schedule(conn, "WA"), get_schedule(conn, "WB")
        assert failed["last_error"] == "RuntimeError: no demand aggregate"
        assert good["last_error"] is None and good["last_suggestions"] == 1
        assert good["next_run_at"] == now - 3 * H + 4 * H  # one run for three missed slots
