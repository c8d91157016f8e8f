"""Issue 18's access findings, replayed over HTTP and the live WebSocket: gateway A's device
token on work endpoints, tokens outliving the user's changes, users not scoped to warehouses,
tokens in the access log, sign-in without limits, and the HTTP hardening items."""

from __future__ import annotations

import statistics
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime

from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from protocol import encode_batch
from tests.system.probe_kit import PASSWORD, SKU, Evidence, Probe, item, until


def _work_site(p: Probe, wh: str) -> None:
    """A receipt and an order in `wh`, made by the admin (idempotent per warehouse)."""
    with p.http() as admin:
        if admin.get(f"/api/v1/receipts/R-{wh}").status_code == 404:
            admin.post("/api/v1/receipts", json={
                "receipt_id": f"R-{wh}", "warehouse": wh, "dock": f"{wh}-DOCK",
                "lines": [{"line_id": "1", "sku": SKU, "quantity": 10}]}).raise_for_status()
            admin.post("/api/v1/orders", json={
                "order_id": f"O-{wh}", "warehouse": wh,
                "lines": [{"line_no": 1, "sku": SKU, "quantity": 1}]}).raise_for_status()


def device_token_on_work(p: Probe, ev: Evidence) -> None:
    """High 4: gateway A's device token booked a receipt of 7 units in warehouse 2."""
    now = datetime.now(UTC)
    for wh in (p.wh1, p.wh2):
        _work_site(p, wh)
    calls = []
    for wh in (p.wh2, p.wh1):
        bins = p.bins(wh)
        calls += [
            ("POST", f"/api/v1/receipts/R-{wh}/arrivals", {
                "event_id": str(uuid.uuid4()), "sku": SKU, "quantity": 7,
                "location": f"{wh}-DOCK", "occurred_at": now.isoformat(), "device_id": "gw",
                "source_kind": "rfid"}),
            ("POST", f"/api/v1/orders/O-{wh}/ship", {"occurred_at": now.isoformat(),
                                                     "device_id": "gw"}),
            ("POST", "/api/v1/waves", {"warehouse": wh}),
            ("POST", "/api/v1/counts", {"warehouse": wh, "locations": [bins[0]]}),
            ("POST", "/api/v1/counts/plan", {"warehouse": wh, "classes": {SKU: "A"},
                                             "today": now.date().isoformat()}),
            ("POST", "/api/v1/replenishments", {"warehouse": wh, "sku": SKU, "quantity": 1,
                                                "from_location": bins[0],
                                                "to_location": bins[1]})]
    with p.http(p.tokens[p.gw_a.username]) as device:
        answers = [(path, device.request(method, path, json=body).status_code)
                   for method, path, body in calls]
        other = device.post("/api/v1/moves", content=encode_batch([
            item(p.wh2, SKU, 1, p.bins(p.wh2)[0])]))
    allowed = [(path, code) for path, code in answers if code < 400]
    ev.check(not allowed, f"work calls answered: {sorted({c for _, c in answers})}; "
                          f"let through: {allowed}")
    ev.check(other.status_code == 403, f"moves for warehouse 2: {other.status_code}")
    with p.http() as admin:
        arrivals = [admin.get(f"/api/v1/receipts/R-{wh}").json()["arrivals"]
                    for wh in (p.wh1, p.wh2)]
    ev.check(arrivals == [[], []], f"receipts' arrivals afterwards: {arrivals}")


def _status(p: Probe, token: str) -> int:
    with p.http(token) as c:
        return c.post("/api/v1/skus", json={"sku": f"S-{uuid.uuid4().hex[:6]}"}).status_code


def tokens_outlive_changes(p: Probe, ev: Evidence) -> None:
    """High 5: tokens survived demotion, a new password and deactivation; no revocation."""
    changes = {"deactivated": {"active": False}, "demoted to picker": {"roles": ["picker"]},
               "given a new password": {"password": PASSWORD + "-new"}, "revoked": None}
    for what, change in changes.items():
        name, token = p.user("admin", [])
        ev.check(_status(p, token) == 201, f"an admin's token creates a SKU (before {what})")
        with p.http() as admin:
            if change is None:
                done = admin.post(f"/api/v1/users/{name}/revoke")
            else:
                done = admin.patch(f"/api/v1/users/{name}", json=change)
        ev.check(done.status_code == 200, f"admin API: {what}: {done.status_code}")
        after = _status(p, token)
        ev.check(after == 401, f"the old token once the user was {what}: {after}")


def users_scoped(p: Probe, ev: Evidence) -> None:
    """High 6: a picker read warehouse 2's stock and live feed; a supervisor posted its moves."""
    _, picker = p.user("picker", [p.wh1])
    _, supervisor = p.user("supervisor", [p.wh1])
    with p.http() as admin:  # stock of the SKU in both warehouses
        admin.post("/api/v1/moves", content=encode_batch([
            item(wh, SKU, 2, p.bins(wh)[2], kind="system") for wh in (p.wh1, p.wh2)])
                   ).raise_for_status()
    with p.http(picker) as c:
        stock = c.get("/api/v1/stock", params={"warehouse": p.wh2})
        mine = c.get("/api/v1/stock", params={"sku": SKU})
        ticket = c.post("/api/v1/live/tickets", json={"warehouse": p.wh2})
        own = c.post("/api/v1/live/tickets", json={}).json()
    ev.check(stock.status_code in (403, 404), f"picker, stock of warehouse 2: "
                                               f"{stock.status_code}")
    seen = {r.get("warehouse") for r in mine.json()} if mine.status_code == 200 else set()
    ev.check(mine.status_code == 200 and seen == {p.wh1},
             f"picker, {SKU} in every warehouse: rows of {seen or mine.status_code}")
    ev.check(ticket.status_code == 403, f"picker, live ticket for warehouse 2: "
                                        f"{ticket.status_code}")
    with p.http(supervisor) as c:
        posted = c.post("/api/v1/moves", content=encode_batch([
            item(p.wh2, SKU, 1, p.bins(p.wh2)[0])]))
    ev.check(posted.status_code == 403, f"supervisor of 1, a move in 2: {posted.status_code}")
    live = p.hub.api.base_url.replace("http://", "ws://") + "/api/v1/live"
    with ws_connect(f"{live}?ticket={own['ticket']}", open_timeout=10) as ws:
        with p.http() as admin:
            for wh in (p.wh2, p.wh1):
                admin.post("/api/v1/moves", content=encode_batch([
                    item(wh, SKU, 1, p.bins(wh)[0], kind="system")])).raise_for_status()
        first = ws.recv(timeout=10)
    ev.check(p.wh1 in str(first) and p.wh2 not in str(first),
             f"picker's live feed: first message is about {p.wh1}: {str(first)[:100]}")


def token_in_access_log(p: Probe, ev: Evidence) -> None:
    """High 8: bearer tokens were written to the access log; the map page put them in the
    WebSocket URL."""
    token = p.hub.api.token
    live = p.hub.api.base_url.replace("http://", "ws://") + "/api/v1/live"
    try:
        ws_connect(f"{live}?warehouse={p.wh1}&token={token}", open_timeout=10).close()
        ev.check(False, "the bearer token in the URL opened the live feed")
    except InvalidStatus as exc:
        ev.check(True, f"the bearer token in the URL: {exc.response.status_code}")
    with p.http() as admin:
        ticket = admin.post("/api/v1/live/tickets", json={"warehouse": p.wh1}).json()["ticket"]
    with ws_connect(f"{live}?ticket={ticket}", open_timeout=10):
        pass
    with p.http(bare=True) as c:
        scripts = c.get("/web/js/live.js").text + c.get("/web/js/map.js").text
        c.get(f"/api/v1/auth/me?token={token}", headers={"Authorization": f"Bearer {token}"})
    ev.check("token=" not in scripts, "the map page's scripts never put a token in a URL")
    text = until(lambda: (t := p.hub.log.read_text(errors="replace"))
                 .count("/api/v1/auth/me") and t.count("WebSocket /api/v1/live") >= 2 and t, 10)
    ev.check(text, "the hub's access log shows the live feed and /auth/me requests")
    log = text or p.hub.log.read_text(errors="replace")
    leaked = [name for name, secret in [("the admin's token", token), ("the ticket", ticket),
                                        ("gateway A's token", p.tokens[p.gw_a.username])]
              if secret in log]
    ev.check(not leaked, f"secrets in the access log: {leaked or 'none'}")


def _sign_in(p: Probe, name: str, password: str) -> tuple[int, float]:
    started = time.perf_counter()
    with p.http(bare=True) as c:
        r = c.post("/api/v1/auth/token", json={"username": name, "password": password})
    return r.status_code, time.perf_counter() - started


def login_limits(p: Probe, ev: Evidence) -> None:
    """Medium: 200 wrong passwords, then the right one worked; unknown users answered 20×
    faster than known ones."""
    name, _ = p.user("picker", [p.wh1])
    wrong = [_sign_in(p, name, "wrong-password")[0] for _ in range(6)]
    right = _sign_in(p, name, PASSWORD)[0]
    ev.check(wrong[-1] == 429 and right == 429,
             f"known user, 6 wrong passwords: {wrong}, then the right one: {right}")
    unknown = f"nobody-{uuid.uuid4().hex[:6]}"
    answers = [_sign_in(p, unknown, "wrong-password")[0] for _ in range(6)]
    ev.check(answers[-1] == 429, f"unknown user, 6 attempts: {answers}")
    known = [p.user("picker", [p.wh1])[0] for _ in range(3)]
    t_known = statistics.median(_sign_in(p, n, "wrong-password")[1] for n in known)
    t_unknown = statistics.median(_sign_in(p, f"nobody-{uuid.uuid4().hex[:6]}", "x")[1]
                                  for _ in range(3))
    ev.check(t_unknown > 0.3 * t_known, f"a wrong password takes {t_known * 1000:.0f} ms for "
             f"a known user, {t_unknown * 1000:.0f} ms for an unknown one")
    _burst_leaves_others_served(p, ev)


def _burst_leaves_others_served(p: Probe, ev: Evidence, threads: int = 16) -> None:
    """48 sign-in threads slowed everybody else's requests 100×: while 16 hammer the sign-in
    (distinct unknown names: the per-address limit allows 50 failures), an admin's reads
    stay quick."""
    def other_request() -> float:
        started = time.perf_counter()
        with p.http() as admin:
            admin.get("/api/v1/skus", params={"limit": 10}).raise_for_status()
        return time.perf_counter() - started

    before = statistics.median(other_request() for _ in range(3))
    go = threading.Event()
    answers: list[int] = []

    def hammer() -> None:
        go.wait()
        answers.append(_sign_in(p, f"nobody-{uuid.uuid4().hex[:8]}", "wrong")[0])

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for w in workers:
        w.start()
    go.set()
    during = statistics.median(other_request() for _ in range(3))
    for w in workers:
        w.join(60)
    ev.check(during < max(10 * before, 1.0),
             f"an admin's read took {before * 1000:.0f} ms, {during * 1000:.0f} ms during "
             f"{threads} concurrent sign-ins (answered {sorted(set(answers))})")


HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
           "x-frame-options": "DENY"}


def security_headers(p: Probe, ev: Evidence) -> None:
    """Medium: no security headers."""
    with p.http(bare=True) as c:
        for path in ("/map", "/login", "/healthz", "/api/v1/stock", "/no-such-page"):
            r = c.get(path)
            csp = r.headers.get("content-security-policy", "")
            missing = [h for h, v in HEADERS.items() if r.headers.get(h) != v]
            ok = ("frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
                  and not missing)
            ev.check(ok, f"{path}: CSP {csp[:60]!r}…, missing {missing}")


def docs_and_metrics(p: Probe, ev: Evidence) -> None:
    """Medium: /docs, /openapi.json and /metrics were public."""
    for token in (None, p.hub.api.token):
        with (p.http(token) if token else p.http(bare=True)) as c:
            for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
                r = c.get(path)
                ev.check(r.status_code in (401, 403, 404) and "stockpulse_" not in r.text,
                         f"{path} {'with the admin token' if token else 'bare'}: "
                         f"{r.status_code}")


def weak_secret_key(p: Probe, ev: Evidence) -> None:
    """Medium: HUB_SECRET_KEY of 32 × "a" was accepted in production."""
    for key in ("a" * 32, "stockpulse-production-secret-key-2026"):
        started = time.monotonic()
        try:  # a hub that accepts the key serves until killed
            done = p.hub.cli("serve", "--port", "0", timeout=15, HUB_SECRET_KEY=key)
        except subprocess.TimeoutExpired:
            ev.check(False, "serve with a guessable key was still serving after 15 s")
            continue
        said = done.stderr.strip().splitlines()[-1:] if done.stderr else []
        ev.check(done.returncode == 2 and "HUB_SECRET_KEY is too weak" in done.stderr
                 and key not in done.stderr,
                 f"serve with a guessable key exits {done.returncode} in "
                 f"{time.monotonic() - started:.1f} s: {said}")


def picker_acknowledges_alert(p: Probe, ev: Evidence) -> None:
    """Medium: a picker could acknowledge planning alerts (needs an open alert in warehouse 1,
    which the expiry case raises)."""
    with p.http() as admin:
        alerts = until(lambda: admin.get("/api/v1/planning/alerts",
                                         params={"warehouse": p.wh1}).json(), 20)
    if not ev.check(alerts, "an open alert of warehouse 1 to try"):
        return
    _, picker = p.user("picker", [p.wh1])
    with p.http(picker) as c:
        r = c.post(f"/api/v1/planning/alerts/{alerts[0]['id']}/acknowledge")
    ev.check(r.status_code == 403, f"picker acknowledges alert {alerts[0]['id']}: "
                                   f"{r.status_code}")
    with p.http() as admin:
        still = [a["id"] for a in admin.get("/api/v1/planning/alerts",
                                            params={"warehouse": p.wh1}).json()]
    ev.check(alerts[0]["id"] in still, "the alert is still open")
