"""Every route of the real app, walked from /openapi.json: without a token it is 401; with the
token of a role that lacks its permission, 403; with a token scoped to warehouse A asking for
warehouse B (in the query, the body, the path or the thing looked up by id), 403/404 and none
of B's data. A route that declares no policy fails here, as does one whose published policy
differs from the one it declared.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from cloud_hub.auth.api.access import OPS_ROUTES, declared_policy
from cloud_hub.auth.pg.store import create_gateway_credential, create_user
from cloud_hub.auth.roles import GRANTS, Permission, Role
from cloud_hub.db.database import connect
from cloud_hub.main import create_app
from protocol import encode_batch
from tests.hub_fixtures import Hub, running_hub
from tests.ledger.factories import item_move, line, unit_move

pytestmark = pytest.mark.integration
PASSWORD = "a-long-enough-password"
SKU = "SKU-RP"
METHODS = ("get", "post", "put", "patch", "delete")
SCOPE_404 = "in the warehouses of"  # the guard's words for a thing of another warehouse


@dataclass
class Site:
    hub: Hub
    a: str
    b: str
    params: dict[str, dict[str, str]]  # per warehouse: a value for every path parameter
    tokens: dict[str, str]  # role (and "device") -> a token scoped to warehouse a


def _seed_warehouse(admin: httpx.Client, db_url: str, wh: str, tag: str) -> dict[str, str]:
    """Locations, stock, a pallet, a rejected move, a dead letter, a receipt, an order, a count
    task, a suggestion and an alert, all in `wh`: ids for every path parameter."""
    def ok(r: httpx.Response) -> Any:
        assert r.status_code < 300, r.text
        return r.json()
    ok(admin.post("/api/v1/locations", json=[
        {"code": f"{wh}-DOCK", "warehouse": wh, "kind": "dock_door"},
        {"code": f"{wh}-BIN", "warehouse": wh, "kind": "bin"}]))
    sscc = f"{uuid.uuid4().int % 10**18:018d}"
    refused = item_move(SKU, 1, None, f"NOWHERE-{wh}", wh=wh)
    ok(admin.post("/api/v1/moves", content=encode_batch([
        item_move(SKU, 7, None, f"{wh}-BIN", wh=wh),
        unit_move(sscc, None, f"{wh}-BIN", contents=(line(SKU, 5),), wh=wh), refused])))
    receipt = ok(admin.post("/api/v1/receipts", json={
        "receipt_id": f"R-{wh}", "warehouse": wh, "dock": f"{wh}-DOCK",
        "lines": [{"line_id": "1", "sku": SKU, "quantity": 3}]}))
    ok(admin.post("/api/v1/orders", json={"order_id": f"O-{wh}", "warehouse": wh,
                                          "lines": [{"line_no": 1, "sku": SKU, "quantity": 1}]}))
    # Suppliers are shared master data (one for both warehouses); a PO belongs to `wh`.
    admin.post("/api/v1/suppliers", json={"code": f"SUP-{tag}"})
    ok(admin.put(f"/api/v1/suppliers/SUP-{tag}/skus/{SKU}", json={"lead_time_days": 5}))
    ok(admin.post("/api/v1/purchase-orders", json={
        "po_id": f"PO-{wh}", "supplier": f"SUP-{tag}", "warehouse": wh,
        "lines": [{"sku": SKU, "quantity": 2}]}))
    # A transfer from `wh` and one to it, each with a warehouse of its own (neither A nor B
    # ships or receives the other's).
    ok(admin.post("/api/v1/locations", json=[{"code": f"{wh}X-BIN", "warehouse": f"{wh}X",
                                               "kind": "bin"}]))
    ok(admin.post("/api/v1/transfers", json={
        "transfer_id": f"TO-{wh}", "warehouse": wh, "to_warehouse": f"{wh}X",
        "lines": [{"sku": SKU, "quantity": 1, "from_location": f"{wh}-BIN"}]}))
    ok(admin.post("/api/v1/transfers", json={
        "transfer_id": f"TI-{wh}", "warehouse": f"{wh}X", "to_warehouse": wh,
        "lines": [{"sku": SKU, "quantity": 1, "from_location": f"{wh}X-BIN"}]}))
    (count_id,) = ok(admin.post("/api/v1/counts", json={
        "warehouse": wh, "locations": [f"{wh}-BIN"]}))["task_ids"]
    step_id = ok(admin.get(f"/api/v1/tasks/{count_id}"))["steps"][0]["step_id"]
    now = datetime.now(UTC)
    with connect(db_url) as conn:
        letter = conn.execute("INSERT INTO dead_letters (topic, warehouse, reason, raw) VALUES "
                              "(%s, %s, 'unreadable', %s) RETURNING id",
                              (f"stockpulse/v1/{wh}/gw/moves", wh, b"\xff")).fetchone()[0]
        suggestion = conn.execute(
            "INSERT INTO planning_suggestions (kind, warehouse, sku, quantity, "
            "suggested_quantity, reason, created_on) VALUES ('purchase', %s, %s, 5, 5, 'low', "
            "%s) RETURNING id", (wh, SKU, date.today())).fetchone()[0]
        alert = conn.execute(
            "INSERT INTO planning_alerts (rule, warehouse, subject, sku, severity, message, "
            "raised_at, last_seen_at) VALUES ('low', %s, %s, %s, 'warning', 'low', %s, %s) "
            "RETURNING id", (wh, SKU, SKU, now, now)).fetchone()[0]
        recall = conn.execute(
            "INSERT INTO recalls (recall_id, warehouse, sku, lot, reason, created_by, created_at) "
            "VALUES (%s, %s, %s, 'LRC', 'seeded', 'admin', %s) RETURNING recall_id",
            (f"RC-{wh}", wh, SKU, now)).fetchone()[0]
    return {"code": f"{wh}-BIN", "identifier": sscc, "task_id": count_id, "step_id": step_id,
            "receipt_id": receipt["receipt_id"], "order_id": f"O-{wh}",
            "event_id": str(refused.event_id), "letter_id": str(letter),
            "suggestion_id": str(suggestion), "alert_id": str(alert), "warehouse": wh,
            "recall_id": recall, "customer_id": "C-SHARED",
            "gateway": f"gw-{tag}", "name": f"nobody-{tag}", "decision": "reject",
            "scope": "sku", "key": SKU, "sku": SKU, "supplier": f"SUP-{tag}",
            "po_id": f"PO-{wh}", "action": "send", "transfer_id": f"TO-{wh}",
            "incoming_id": f"TI-{wh}",
            "kind": "locations"}  # an import kind whose rows name warehouses (the rows below)


@pytest.fixture(scope="module")
def site(pg_server_url: str) -> Iterator[Site]:
    from tests.conftest import scratch_database
    tag = uuid.uuid4().hex[:8]
    a, b = f"PA{tag}", f"PB{tag}"
    with scratch_database() as url, running_hub(url, mqtt_enabled=False,
                                                rules_enabled=False) as hub:
        with hub.client() as admin:
            admin.post("/api/v1/skus", json={"sku": SKU}).raise_for_status()
            admin.put("/api/v1/customers/C-SHARED", json={"name": "Shared", "address": {
                "lines": ["1 Quay"], "city": "Rotterdam", "country": "NL"}}).raise_for_status()
            params = {wh: _seed_warehouse(admin, url, wh, tag) for wh in (a, b)}
            # The lot master is shared (SKU + lot, no warehouse): one lot with an exception.
            admin.post("/api/v1/lots/import", json={"rows": [
                {"sku": SKU, "lot": "LRP", "expiry": "2027-01-01"},
                {"sku": SKU, "lot": "LRP", "expiry": "2027-02-01"}]}).raise_for_status()
            (conflict,) = admin.get("/api/v1/lots/exceptions").json()["exceptions"]
            for wh in (a, b):
                params[wh] |= {"lot": "LRP", "exception_id": str(conflict["exception_id"]),
                               "serial": f"SN-{wh}"}
                admin.post("/api/v1/moves", json={
                    "event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
                    "warehouse": wh, "source": {"kind": "barcode", "device_id": "scan-1"},
                    "item": {"sku": SKU, "serial": f"SN-{wh}", "quantity": 1},
                    "to_location": f"{wh}-BIN", "reason": "receive"}).raise_for_status()
        tokens = {}
        with connect(url) as conn:
            for role in ("picker", "supervisor", "manager"):
                create_user(conn, f"{role}-{tag}", PASSWORD, [role], [a])
            tokens["device"] = create_gateway_credential(
                conn, a, f"gw-{tag}", now=datetime.now(UTC), ttl=timedelta(hours=1),
                secret_key=hub.settings.secret_key).token
        for role in ("picker", "supervisor", "manager"):
            tokens[role] = hub.login(f"{role}-{tag}", PASSWORD)
        tokens["admin"] = hub.token
        yield Site(hub, a, b, params, tokens)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    permission: str
    where: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} [{self.permission}, {self.where}]"


def operations(site: Site) -> list[Operation]:
    with site.hub.client() as admin:
        doc = admin.get("/openapi.json").json()
    found = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            spec = item[method]
            security = spec.get("security")
            if not security:
                assert _public(path), f"{method.upper()} {path} declares no access policy"
                continue
            (scopes,) = [s for entry in security for s in entry.values()]
            permission, where = scopes[0], scopes[1].removeprefix("warehouse:")
            found.append(Operation(method, path, permission, where, spec))
    assert len(found) > 60, "the walk should see every secured route"
    return found


def _public(path: str) -> bool:
    """Declared public on purpose (pages, sign-in) or an ops route outside the policy."""
    if path in OPS_ROUTES:
        return True
    app = create_app(_settings_for_introspection())
    for route in iter_route_contexts(app.routes):
        if route.path == path:
            policy = declared_policy(route)
            return policy is not None and policy.where is None
    return False


def _settings_for_introspection() -> Any:
    from cloud_hub.settings import HubSettings
    return HubSettings(mqtt_enabled=False, rules_enabled=False)


def request(client: httpx.Client, op: Operation, params: dict[str, str],
            with_warehouse: bool = True) -> httpx.Response:
    """`op` about the warehouse whose ids `params` holds: named where the route takes it."""
    wh = params["warehouse"]
    path = op.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    query: dict[str, str] = {}
    for p in op.spec.get("parameters", []):
        if p["in"] == "query" and p["name"] == "warehouse":
            if with_warehouse:
                query["warehouse"] = wh
        elif p["in"] == "query" and p.get("required"):
            query[p["name"]] = SKU
    kwargs: dict[str, Any] = {"params": query}
    content = op.spec.get("requestBody", {}).get("content", {})
    if op.where == "events":  # the route admits what it decodes: send a real event
        kwargs["content"] = encode_batch([item_move(SKU, 1, None, f"{wh}-DOCK", wh=wh)])
    elif op.where == "rows":
        kwargs["content"] = f"code,warehouse,kind\n{wh}-NEW,{wh},bin\n".encode()
        kwargs["headers"] = {"content-type": "text/csv"}
    elif "text/plain" in content:
        kwargs["content"] = b"rules: []"
        kwargs["headers"] = {"content-type": "text/plain"}
    elif op.method in ("post", "put", "patch"):
        kwargs["json"] = {"warehouse": wh}
    return client.request(op.method.upper(), path, **kwargs)


def lacking_role(permission: str) -> str | None:
    """The strongest of our callers whose roles do not grant `permission`."""
    if permission == "signed_in":
        return None
    for role in ("manager", "supervisor", "picker", "device"):
        if Permission(permission) not in GRANTS[Role(role)]:
            return role
    return None


def test_every_route_declares_a_policy_and_publishes_it() -> None:
    app = create_app(_settings_for_introspection())
    undeclared, published = [], {}
    for route in iter_route_contexts(app.routes):
        policy = declared_policy(route)
        if policy is None and route.path not in OPS_ROUTES:
            undeclared.append(f"{sorted(route.methods or ['WS'])} {route.path}")
        elif policy is not None and policy.where is not None:
            published[route.path] = policy
    assert undeclared == [], f"routes without an access policy: {undeclared}"
    schema = app.openapi()
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item and path in published and "security" in item[method]:
                (scopes,) = [s for e in item[method]["security"] for s in e.values()]
                assert scopes[1].startswith("warehouse:"), (method, path, scopes)


def test_without_a_token_every_route_is_401(site: Site) -> None:
    wrong = []
    with httpx.Client(base_url=site.hub.base_url, timeout=30) as bare:
        for op in operations(site):
            r = request(bare, op, site.params[site.a])
            if r.status_code != 401 or r.headers.get("www-authenticate") != "Bearer":
                wrong.append(f"{op}: {r.status_code} {r.text[:120]}")
    assert wrong == []


def test_a_role_without_the_permission_is_403(site: Site) -> None:
    wrong, checked = [], 0
    for op in operations(site):
        role = lacking_role(op.permission)
        if role is None:
            continue
        with site.hub.client(site.tokens[role]) as client:
            r = request(client, op, site.params[site.a])
        checked += 1
        if r.status_code != 403:
            wrong.append(f"{op} as {role}: {r.status_code} {r.text[:120]}")
    assert wrong == [] and checked > 60


def test_a_caller_of_warehouse_a_gets_nothing_of_warehouse_b(site: Site) -> None:
    wrong, checked = [], 0
    with site.hub.client(site.tokens["manager"]) as manager:
        for op in operations(site):
            if op.where in ("none",):
                continue  # shared data (SKUs, rules): no warehouse to ask for
            r = request(manager, op, site.params[site.b])
            checked += 1
            text = r.text  # less the ids we sent (they name B): nothing of B may show
            for value in site.params[site.b].values():
                text = text.replace(value, "") if value != site.b else text
            leaked = op.where.startswith("resource") and site.b in text
            if r.status_code not in (403, 404) or leaked:
                wrong.append(f"{op}: {r.status_code} {r.text[:160]}")
    assert wrong == [] and checked > 50


def test_reads_without_a_warehouse_show_only_the_callers(site: Site) -> None:
    """A caller of one warehouse who names none gets its own, never another's rows."""
    leaks = []
    with site.hub.client(site.tokens["manager"]) as manager:
        for op in operations(site):
            if op.method != "get" or op.where not in ("none", "query") or \
                    lacking_role(op.permission) == "manager":
                continue
            r = request(manager, op, site.params[site.a], with_warehouse=False)
            if r.status_code >= 400 and r.status_code != 422:
                leaks.append(f"{op}: refused its own warehouse: {r.status_code} {r.text[:120]}")
            if site.b in r.text:
                leaks.append(f"{op}: shows {site.b}: {r.text[:160]}")
    assert leaks == []


def test_the_same_calls_in_the_callers_own_warehouse_are_let_through(site: Site) -> None:
    """The refusals above are about the warehouse, not refusals of everything."""
    refused = []
    ordered = sorted(operations(site), key=lambda op: op.method == "delete")  # deletes last
    for op in ordered:
        everywhere = op.where == "all" or op.permission == Permission.ADMINISTER.value
        with site.hub.client(site.tokens["admin" if everywhere else "manager"]) as client:
            r = request(client, op, site.params[site.a])
        if r.status_code in (401, 403) or SCOPE_404 in r.text:
            refused.append(f"{op}: {r.status_code} {r.text[:160]}")
    assert refused == []


def test_the_live_feed_shows_only_the_tickets_warehouse(site: Site) -> None:
    base = site.hub.base_url.replace("http://", "ws://") + "/api/v1/live"
    manager = site.tokens["manager"]
    with site.hub.client(manager) as client:
        r = client.post("/api/v1/live/tickets", json={"warehouse": site.b})
        assert r.status_code == 403 and site.b in r.json()["detail"]
        ticket = client.post("/api/v1/live/tickets", json={}).json()
    assert ticket["warehouse"] == site.a  # the caller's only warehouse
    with pytest.raises(InvalidStatus):  # a ticket for A does not open B's feed
        ws_connect(f"{base}?ticket={ticket['ticket']}&warehouse={site.b}", open_timeout=10)
    with pytest.raises(InvalidStatus):  # and it was used up by that attempt
        ws_connect(f"{base}?ticket={ticket['ticket']}", open_timeout=10)
    with ws_connect(site.hub.live_url(None, manager), open_timeout=10) as ws:
        with site.hub.client() as admin:  # a move in B, then one in A: only A's arrives
            for wh in (site.b, site.a):
                admin.post("/api/v1/moves", content=encode_batch([
                    item_move(SKU, 1, None, f"{wh}-DOCK", wh=wh)])).raise_for_status()
        first = json.loads(ws.recv(timeout=10))
        assert first.get("warehouse") == site.a, first
