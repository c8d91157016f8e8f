"""Issue 18's data findings, replayed over HTTP as a careless integrator would: location CSVs
with loops, unknown warehouses and duplicates, hostile paths and rule text, unknown SKUs, and
the three acceptance defects that corrupted stock figures (a closed receipt receiving again,
FEFO and expiry alerts blind to half the lots, rules on facts nobody supplies)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from protocol import Channel, encode_batch, encode_event, topic
from tests.system.probe_kit import SKU, Evidence, Probe, item, until

CSV = {"content-type": "text/csv"}
RULES = """
rules:
  - name: near expiry
    when: days_to_expiry <= 30
    then: [alert: supervisors]
  - name: probe recount
    when: on_hand == 777
    then: [schedule_recount]
  - name: idle and dear
    when: idle_days > 30 and stock_value > 100
    then: [alert: managers]
  - name: count far off
    when: count_variance_pct < -5
    then: [alert: supervisors]
"""


def _import(c: httpx.Client, text: str) -> httpx.Response:
    return c.post("/api/v1/locations/import", content=text.encode(), headers=CSV)


def location_loops(p: Probe, ev: Evidence) -> None:
    """High 7 (and medium: a 2-cycle CSV answered 500 and lost its good rows): CSV import
    stored a parent cycle; the recursive stock query over it ran unbounded."""
    wh = p.wh1
    z, r, b = f"{wh}-TZ", f"{wh}-TR", f"{wh}-TB"
    with p.http() as admin:
        admin.post("/api/v1/locations", json=[
            {"code": z, "warehouse": wh, "kind": "zone"},
            {"code": r, "warehouse": wh, "kind": "rack", "parent": z},
            {"code": b, "warehouse": wh, "kind": "bin", "parent": r}]).raise_for_status()
        closing = _import(admin, f"code,warehouse,kind,parent\n{z},{wh},zone,{b}\n")
        report = closing.json() if closing.status_code == 200 else {}
        ev.check(closing.status_code == 200 and report.get("written") == 0
                 and report.get("rejected") == 1,
                 f"CSV closing a loop through stored locations: {closing.status_code} "
                 f"{str(report.get('errors'))[:160]}")
        parent = admin.get(f"/api/v1/locations/{z}").json().get("parent")
        ev.check(parent is None, f"{z} keeps no parent: {parent}")
        two = _import(admin, "code,warehouse,kind,parent\n"
                             f"{wh}-CX,{wh},rack,{wh}-CY\n{wh}-CY,{wh},rack,{wh}-CX\n"
                             f"{wh}-COK,{wh},bin,{r}\n")
        body = two.json() if two.status_code == 200 else {}
        ev.check(two.status_code == 200 and body.get("written") == 1
                 and body.get("rejected") == 2,
                 f"CSV with a 2-cycle: {two.status_code}, written {body.get('written')}, "
                 f"errors {str(body.get('errors'))[:160]}")
        started = time.monotonic()
        stock = admin.get("/api/v1/stock", params={"location": z, "include_children": True})
        ev.check(stock.status_code == 200 and time.monotonic() - started < 5,
                 f"stock under {z}: {stock.status_code} in {time.monotonic() - started:.2f} s")


def csv_careless_rows(p: Probe, ev: Evidence) -> None:
    """Medium: an unknown warehouse in a CSV was accepted silently; a duplicate code in one
    CSV was dropped silently."""
    wh = p.wh1
    with p.http() as admin:
        r = _import(admin, "code,warehouse,kind\n"
                           f"{wh}-D1,{wh},bin\n{wh}-D1,{wh},rack\n{wh}-D2,NO-SUCH-WH,bin\n")
        body = r.json() if r.status_code == 200 else {}
        columns = sorted(e.get("column", "") for e in body.get("errors", []))
        ev.check(r.status_code == 200 and body.get("written") == 0
                 and body.get("rejected") == 3 and "warehouse" in columns,
                 f"{r.status_code}: written {body.get('written')}, rejected "
                 f"{body.get('rejected')}, columns {columns}")
        warehouses = admin.get("/api/v1/map/warehouses").json().get("warehouses", [])
    ev.check("NO-SUCH-WH" not in warehouses, "no warehouse NO-SUCH-WH was made")


BAD_PATHS = ["/web/%00", "/web/js/%00.js", "/web/" + "a" * 300, "/web/" + "a/" * 3000,
             "/map%00", "/api/v1/locations/%00", "/%01"]


def no_500s(p: Probe, ev: Evidence) -> None:
    """Medium: 500s on %00, on long /web/ paths and on lone surrogates in rules."""
    with p.http() as c:
        codes = {path[:24]: c.get(path).status_code for path in BAD_PATHS}
        plain = {"content-type": "text/plain"}
        for text in ('rules: [{name: "x\\ud800", when: on_hand < 1, then: [alert: a]}]',
                     "rules: [{name: x, when: on_hand < 1, message: \"\\udfff\", "
                     "then: [alert: a]}]"):
            codes[f"rules {text[8:30]}"] = c.put("/api/v1/planning/rules", content=text,
                                                 headers=plain).status_code
    ev.check(all(400 <= code < 500 for code in codes.values()), f"answers: {codes}")


def unknown_skus(p: Probe, ev: Evidence) -> None:
    """Medium: moves of SKUs the catalog does not know were accepted silently."""
    sku, other = (f"NEVER-MADE-{uuid.uuid4().hex[:6].upper()}" for _ in range(2))
    with p.http(p.tokens[p.gw_a.username]) as device:
        r = device.post("/api/v1/moves", content=encode_batch([
            item(p.wh1, sku, 3, p.bins(p.wh1)[0]), item(p.wh1, SKU, 1, p.bins(p.wh1)[0])]))
    body = r.json() if r.status_code == 200 else {}
    ev.check(body.get("unknown_skus") == [sku],
             f"REST: {r.status_code}, applied {body.get('applied')}, unknown_skus "
             f"{body.get('unknown_skus')}")
    gw = p.mqtt(p.gw_a)
    gw.result()
    gw.publish(topic(p.wh1, p.gw_a.gateway, Channel.MOVES),
               encode_event(item(p.wh1, other, 1, p.bins(p.wh1)[0])))
    said = until(lambda: [line for line in p.hub.log.read_text(errors="replace").splitlines()
                          if other in line], 15)
    ev.check(said, f"MQTT: the hub's log says so: {said[0][:160] if said else None}")
    gw.close()


def _ok(r: httpx.Response, *codes: int) -> Any:
    if r.status_code not in (codes or (200,)):
        raise AssertionError(f"{r.request.method} {r.request.url.path}: {r.status_code} "
                             f"{r.text[:200]}")
    return r.json()


def _on_hand(c: httpx.Client, wh: str, sku: str) -> float:
    rows = _ok(c.get("/api/v1/stock", params={"warehouse": wh, "sku": sku}))
    return sum(float(r["quantity"]) for r in rows)


def closed_receipt(p: Probe, ev: Evidence) -> None:
    """Stock defect 1: a closed receipt's PDA task stayed open; confirming it booked again."""
    wh, sku, now = p.wh1, "SKU-RCPT", datetime.now(UTC).isoformat()
    _, picker = p.user("picker", [wh])
    with p.http() as admin, p.http(picker) as pda:
        task = _ok(admin.post("/api/v1/receipts", json={
            "receipt_id": f"RC-{wh}", "warehouse": wh, "dock": f"{wh}-DOCK",
            "lines": [{"line_id": "1", "sku": sku, "lot": "LR", "quantity": 50}]}), 201)
        _ok(admin.post(f"/api/v1/receipts/RC-{wh}/arrivals", json={
            "event_id": str(uuid.uuid4()), "sku": sku, "lot": "LR", "quantity": 50,
            "occurred_at": now, "device_id": "dock-scanner"}))
        _ok(admin.post(f"/api/v1/receipts/RC-{wh}/close"))
        task_id = task["task_id"]
        late = pda.post(f"/api/v1/tasks/{task_id}/steps/1/confirm", json={
            "idempotency_key": str(uuid.uuid4()), "task_id": task_id, "step_id": "1",
            "occurred_at": now, "device_id": "pda-7", "scanned_sku": sku, "lot": "LR",
            "quantity": 60}).json()
        ev.check(late.get("status") == "rejected", f"confirming the closed receipt's task: "
                 f"{late.get('status')} {late.get('code')} {late.get('message', '')[:80]}")
        held = _on_hand(admin, wh, sku)
        matches = [a["match"] for a in _ok(admin.get(f"/api/v1/receipts/RC-{wh}"))["arrivals"]]
    ev.check(held == 50 and "over" not in matches, f"on hand {held} of 50; arrivals {matches}")


def fefo_and_expiry_alerts(p: Probe, ev: Evidence) -> None:
    """Stock defect 2: FEFO read expiry from receipts only, expiry alerts from event items
    only: a wave picked a 2027 lot before one expiring this month; received lots never raised
    expiry alerts."""
    wh, sku, today = p.wh1, "SKU-FEFO", datetime.now(UTC).date()
    soon, later = today + timedelta(days=10), date(2027, 12, 31)
    dock, bins = f"{wh}-DOCK", p.bins(wh)
    with p.http() as admin:
        _ok(admin.put("/api/v1/planning/rules", content=RULES,
                      headers={"content-type": "text/plain"}))
        _ok(admin.post("/api/v1/moves", content=encode_batch([
            item(wh, sku, 10, bins[2], lot="SOON", expiry=soon, kind="system")])))
        for rid, lot, expiry, line_sku in ((f"RF-{wh}", "LR", later, sku),
                                           (f"RE-{wh}", "LX", soon, "SKU-EXP")):
            _ok(admin.post("/api/v1/receipts", json={
                "receipt_id": rid, "warehouse": wh, "dock": dock, "lines": [{
                    "line_id": "1", "sku": line_sku, "lot": lot, "quantity": 10,
                    "expiry": expiry.isoformat()}]}), 201)
            _ok(admin.post(f"/api/v1/receipts/{rid}/arrivals", json={
                "event_id": str(uuid.uuid4()), "sku": line_sku, "lot": lot, "quantity": 10,
                "occurred_at": datetime.now(UTC).isoformat(), "device_id": "dock-scanner"}))
        _ok(admin.post("/api/v1/moves", content=encode_batch([
            item(wh, sku, 10, bins[0], dock, lot="LR", kind="system")])))
        _ok(admin.post("/api/v1/orders", json={"order_id": f"OF-{wh}", "warehouse": wh,
                                               "lines": [{"line_no": 1, "sku": sku,
                                                          "quantity": 4}]}), 201)
        wave = _ok(admin.post("/api/v1/waves", json={"warehouse": wh, "wave_id": f"WF-{wh}",
                                                      "today": today.isoformat()}), 201)
        steps = [s for t in wave["task_ids"]
                 for s in _ok(admin.get(f"/api/v1/tasks/{t}"))["steps"] if s.get("sku") == sku]
        lots = [(s.get("lot"), s.get("expiry")) for s in steps]
        ev.check(lots and lots[0][0] == "SOON", f"the wave picks {lots} (SOON expires {soon})")

        def expiry_alerts() -> list[str]:
            found = admin.get("/api/v1/planning/alerts", params={"warehouse": wh}).json()
            return sorted(a["subject"] for a in found if a["rule"] == "near expiry")

        alerted = until(lambda: (a := expiry_alerts()) and "lot:SKU-EXP/LX" in a and a, 20)
        ev.check(alerted, f"expiry alerts: {alerted or expiry_alerts()} (want the received "
                          "lot SKU-EXP/LX)")


def rule_facts(p: Probe, ev: Evidence) -> None:
    """Stock defect 3: rules on facts nobody supplies were accepted and never fired;
    schedule_recount wrote a table nothing read."""
    wh = p.wh1
    plain = {"content-type": "text/plain"}
    with p.http() as admin:
        bad = admin.put("/api/v1/planning/rules", headers=plain,
                        content="rules: [{name: x, when: on_order > 0, then: [alert: a]}]")
        ev.check(bad.status_code == 422 and "on_order" in bad.text,
                 f"a rule on on_order: {bad.status_code} {bad.text[:120]}")
        good = admin.put("/api/v1/planning/rules", headers=plain, content=RULES)
        ev.check(good.status_code == 200, f"rules on idle_days, stock_value, "
                                          f"count_variance_pct: {good.status_code}")
        _ok(admin.post("/api/v1/moves", content=encode_batch([
            item(wh, "SKU-RECOUNT", 777, p.bins(wh)[1], kind="system")])))

        def recounts() -> list[dict[str, Any]]:
            page = admin.get("/api/v1/tasks", params={"warehouse": wh, "kind": "count"}).json()
            return [t for t in page["tasks"] if "probe recount" in (t.get("reference") or "")]

        made = until(recounts, 20)
        ev.check(made, f"schedule_recount made count task(s): "
                       f"{[t['task_id'] for t in made] if made else None}")
    if made:
        _, picker = p.user("picker", [wh])
        with p.http(picker) as pda:
            nxt = pda.get("/api/v1/tasks/next", params={"warehouse": wh, "kind": "count"})
        ev.check(nxt.status_code == 200 and nxt.json() is not None,
                 f"a picker's PDA is handed a count task: {nxt.status_code}")

