"""Issue 18's authorisation findings on a real hub, each as the probe found it: a gateway token
booking work in any warehouse, tokens outliving deactivation, demotion and a new password, and
users who were not scoped to warehouses at all.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cloud_hub.auth.pg.store import create_gateway_credential, create_user
from cloud_hub.db.database import connect
from protocol import encode_batch
from tests.hub_fixtures import ROOT, Hub, hub_env, running_hub
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"


@dataclass
class Two:
    hub: Hub
    db_url: str
    wh1: str
    wh2: str
    receive_tasks: dict[str, str]  # warehouse -> the task its receipt made

    def user(self, role: str, warehouses: list[str]) -> tuple[str, str]:
        """A new user of `role` on `warehouses`, and a token of it."""
        name = f"{role}-{uuid.uuid4().hex[:8]}"
        with connect(self.db_url) as conn:
            create_user(conn, name, PASSWORD, [role], warehouses)
        return name, self.hub.login(name, PASSWORD)

    def gateway(self, wh: str) -> str:
        with connect(self.db_url) as conn:
            return create_gateway_credential(conn, wh, f"gw-{uuid.uuid4().hex[:6]}",
                                             now=datetime.now(UTC), ttl=timedelta(hours=1),
                                             secret_key=self.hub.settings.secret_key).token


def _site(admin: httpx.Client, wh: str) -> str:
    admin.post("/api/v1/locations", json=[
        {"code": f"{wh}-DOCK", "warehouse": wh, "kind": "dock_door"},
        {"code": f"{wh}-BIN", "warehouse": wh, "kind": "bin"},
        {"code": f"{wh}-FACE", "warehouse": wh, "kind": "bin"}]).raise_for_status()
    admin.post("/api/v1/moves", content=encode_batch([
        item_move("SKU-Z", 9, None, f"{wh}-BIN", wh=wh)])).raise_for_status()
    receipt = admin.post("/api/v1/receipts", json={
        "receipt_id": f"R-{wh}", "warehouse": wh, "dock": f"{wh}-DOCK",
        "lines": [{"line_id": "1", "sku": "SKU-Z", "quantity": 10}]})
    admin.post("/api/v1/orders", json={
        "order_id": f"O-{wh}", "warehouse": wh,
        "lines": [{"line_no": 1, "sku": "SKU-Z", "quantity": 1}]}).raise_for_status()
    return str(receipt.json()["task_id"])


@pytest.fixture(scope="module")
def two(pg_server_url: str) -> Iterator[Two]:
    from tests.conftest import scratch_database
    tag = uuid.uuid4().hex[:6]
    with scratch_database() as url, running_hub(url, mqtt_enabled=False,
                                                rules_enabled=False) as hub:
        wh1, wh2 = f"ZA{tag}", f"ZB{tag}"
        with hub.client() as admin:
            admin.post("/api/v1/skus", json={"sku": "SKU-Z"}).raise_for_status()
            tasks = {wh: _site(admin, wh) for wh in (wh1, wh2)}
        yield Two(hub, url, wh1, wh2, tasks)


# --- High 4: a gateway's token is for its own moves only -------------------------------------

def test_a_gateway_token_books_no_work_in_any_warehouse(two: Two) -> None:
    device = two.gateway(two.wh1)
    work = [("POST", f"/api/v1/receipts/R-{wh}/arrivals", {
                "event_id": str(uuid.uuid4()), "sku": "SKU-Z", "quantity": 7,
                "location": f"{wh}-DOCK", "occurred_at": datetime.now(UTC).isoformat(),
                "device_id": "gw", "source_kind": "rfid"}) for wh in (two.wh2, two.wh1)]
    wh = two.wh1
    now = datetime.now(UTC)
    work += [("POST", f"/api/v1/orders/O-{wh}/ship", {"occurred_at": now.isoformat(),
                                                      "device_id": "gw"}),
             ("POST", "/api/v1/waves", {"warehouse": wh}),
             ("POST", "/api/v1/counts", {"warehouse": wh, "locations": [f"{wh}-BIN"]}),
             ("POST", "/api/v1/counts/plan", {"warehouse": wh, "classes": {"SKU-Z": "A"},
                                              "today": now.date().isoformat()}),
             ("POST", "/api/v1/replenishments", {
                 "warehouse": wh, "sku": "SKU-Z", "quantity": 1, "from_location": f"{wh}-BIN",
                 "to_location": f"{wh}-FACE"})]
    with two.hub.client(device) as gateway:
        for method, path, body in work:
            r = gateway.request(method, path, json=body)
            assert r.status_code == 403, (path, r.status_code, r.text)
        own = gateway.post("/api/v1/moves", content=encode_batch([
            item_move("SKU-Z", 1, None, f"{wh}-BIN", wh=wh)]))
        assert own.status_code == 200 and own.json()["applied"] == 1  # its real job still works
    with two.hub.client() as admin:
        for receipt in (f"R-{two.wh1}", f"R-{two.wh2}"):
            assert admin.get(f"/api/v1/receipts/{receipt}").json()["arrivals"] == []


# --- High 5: a change to a user ends its tokens; tokens can be revoked -------------------------

def _can_create_skus(hub: Hub, token: str) -> int:
    with hub.client(token) as c:
        return c.post("/api/v1/skus", json={"sku": f"S-{uuid.uuid4().hex[:6]}"}).status_code


def test_a_deactivated_admins_token_creates_nothing(two: Two) -> None:
    name, token = two.user("admin", [])
    assert _can_create_skus(two.hub, token) == 201
    with connect(two.db_url) as conn:  # however it is done: here straight in SQL
        conn.execute("UPDATE users SET active = false WHERE name = %s", (name,))
    assert _can_create_skus(two.hub, token) == 401


def test_demotion_and_a_new_password_end_the_old_tokens(two: Two) -> None:
    name, token = two.user("manager", [two.wh1])
    assert _can_create_skus(two.hub, token) == 201
    with two.hub.client() as admin:
        r = admin.patch(f"/api/v1/users/{name}", json={"roles": ["picker"]})
        assert r.status_code == 200 and r.json()["roles"] == ["picker"]
    assert _can_create_skus(two.hub, token) == 401
    demoted = two.hub.login(name, PASSWORD)
    assert _can_create_skus(two.hub, demoted) == 403  # signs in again, as what it is now
    with two.hub.client() as admin:
        admin.patch(f"/api/v1/users/{name}", json={"password": "another-long-password"}
                    ).raise_for_status()
    with two.hub.client(demoted) as c:
        assert c.get("/api/v1/auth/me").status_code == 401
    assert httpx.post(f"{two.hub.base_url}/api/v1/auth/token", json={
        "username": name, "password": PASSWORD}).status_code == 401


def test_an_admin_revokes_a_users_and_a_gateways_tokens(two: Two) -> None:
    name, token = two.user("picker", [two.wh1])
    device = two.gateway(two.wh1)
    with two.hub.client(token) as picker, two.hub.client(device) as gateway:
        assert picker.get("/api/v1/auth/me").status_code == 200
        assert gateway.get("/api/v1/auth/me").status_code == 200
        with two.hub.client() as admin:
            assert admin.post(f"/api/v1/users/{name}/revoke").json()["revoked_tokens"] == 1
            gw = gateway.get("/api/v1/auth/me").json()["gateway"]
            revoked = admin.post(f"/api/v1/gateways/{two.wh1}/{gw}/revoke").json()
            assert revoked["revoked_tokens"] == 1
            assert admin.post("/api/v1/users/nobody-at-all/revoke").status_code == 404
        assert picker.get("/api/v1/auth/me").status_code == 401
        assert gateway.get("/api/v1/auth/me").status_code == 401


def test_the_cli_revokes_users_and_gateways(two: Two) -> None:
    name, token = two.user("supervisor", [two.wh1])
    device = two.gateway(two.wh1)
    with two.hub.client(device) as gateway:
        gw = gateway.get("/api/v1/auth/me").json()["gateway"]
    env = hub_env(two.hub.settings)
    for args in (["users", "revoke", name], ["gateways", "revoke", two.wh1, gw]):
        done = subprocess.run([sys.executable, "-m", "cloud_hub", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "1 token(s) revoked" in done.stdout, done.stderr
    for revoked in (token, device):
        with two.hub.client(revoked) as c:
            assert c.get("/api/v1/auth/me").status_code == 401


# --- High 6: users see and act on their warehouses only ----------------------------------------

def test_a_picker_reads_only_its_warehouses_stock(two: Two) -> None:
    _, token = two.user("picker", [two.wh1])
    with two.hub.client(token) as picker:
        assert picker.get("/api/v1/stock", params={"sku": "SKU-Z",
                                                   "warehouse": two.wh2}).status_code == 403
        rows = picker.get("/api/v1/stock", params={"sku": "SKU-Z"}).json()
        assert {r["warehouse"] for r in rows} == {two.wh1}
        assert picker.post("/api/v1/live/tickets",
                           json={"warehouse": two.wh2}).status_code == 403


def test_a_supervisor_posts_moves_only_in_its_warehouses(two: Two) -> None:
    _, token = two.user("supervisor", [two.wh1])
    with two.hub.client(token) as supervisor:
        theirs = supervisor.post("/api/v1/moves", content=encode_batch([
            item_move("SKU-Z", 1, None, f"{two.wh2}-BIN", wh=two.wh2)]))
        assert theirs.status_code == 403 and two.wh2 in theirs.json()["detail"]
        ours = supervisor.post("/api/v1/moves", content=encode_batch([
            item_move("SKU-Z", 1, None, f"{two.wh1}-BIN", wh=two.wh1)]))
        assert ours.json()["applied"] == 1


def test_a_task_of_another_warehouse_is_not_found(two: Two) -> None:
    _, token = two.user("picker", [two.wh1])
    task_id = two.receive_tasks[two.wh2]
    skip = {"idempotency_key": str(uuid.uuid4()), "reason": "other", "device_id": "pda-1",
            "occurred_at": datetime.now(UTC).isoformat()}
    with two.hub.client(token) as picker:
        for r in (picker.get(f"/api/v1/tasks/{task_id}"),
                  picker.post(f"/api/v1/tasks/{task_id}/claim", json={}),
                  picker.post(f"/api/v1/tasks/{task_id}/skip", json=skip)):
            assert r.status_code == 404, r.text
            assert two.wh2 not in r.text.replace(task_id, ""), r.text  # no word of where
    with two.hub.client() as admin:  # nobody holds it: the picker's claim did not take it
        assert admin.get(f"/api/v1/tasks/{task_id}").json().get("assignee") is None


def test_users_get_their_warehouses_from_the_cli_and_the_admin_api(two: Two) -> None:
    name = f"cli-{uuid.uuid4().hex[:6]}"
    env = hub_env(two.hub.settings)
    done = subprocess.run([sys.executable, "-m", "cloud_hub", "users", "add", name, "--role",
                           "picker", "--password", PASSWORD, "--warehouse", two.wh1],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with two.hub.client(two.hub.login(name, PASSWORD)) as picker:
        assert picker.get("/api/v1/auth/me").json()["warehouses"] == [two.wh1]
        assert picker.get("/api/v1/locations", params={"warehouse": two.wh2}).status_code == 403
    with two.hub.client() as admin:
        r = admin.patch(f"/api/v1/users/{name}", json={"warehouses": [two.wh1, two.wh2]})
        assert r.json()["warehouses"] == sorted([two.wh1, two.wh2])
        assert admin.patch(f"/api/v1/users/{name}",
                           json={"warehouses": ["not a code!"]}).status_code == 422
    with two.hub.client(two.hub.login(name, PASSWORD)) as picker:
        assert picker.get("/api/v1/locations", params={"warehouse": two.wh2}).status_code == 200
        # with two warehouses, a read that names none must say which
        assert picker.get("/api/v1/locations").status_code == 422
    unscoped = subprocess.run([sys.executable, "-m", "cloud_hub", "users", "add", name + "x",
                               "--role", "picker", "--password", PASSWORD],
                              env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert unscoped.returncode == 2 and "--warehouse" in unscoped.stderr


# --- Medium: planning alerts are acknowledged by those who resolve, not by pickers -------------

def test_a_picker_cannot_acknowledge_a_planning_alert(two: Two) -> None:
    now = datetime.now(UTC)
    with connect(two.db_url) as conn:
        alert = conn.execute(
            "INSERT INTO planning_alerts (rule, warehouse, subject, severity, message, "
            "raised_at, last_seen_at) VALUES ('low', %s, 'SKU-Z', 'warning', 'low', %s, %s) "
            "RETURNING id", (two.wh1, now, now)).fetchone()[0]
    _, picker = two.user("picker", [two.wh1])
    _, supervisor = two.user("supervisor", [two.wh1])
    with two.hub.client(picker) as c:
        assert c.post(f"/api/v1/planning/alerts/{alert}/acknowledge").status_code == 403
    with two.hub.client(supervisor) as c:
        acked = c.post(f"/api/v1/planning/alerts/{alert}/acknowledge")
        assert acked.status_code == 200 and acked.json()["acknowledged_at"] is not None
    with connect(two.db_url) as conn:
        who = conn.execute("SELECT acknowledged_by FROM planning_alerts WHERE id = %s",
                           (alert,)).fetchone()[0]
    assert who.startswith("supervisor")
