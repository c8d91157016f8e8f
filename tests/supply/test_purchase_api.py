"""Purchase orders through REST on a real hub and PostgreSQL: an accepted suggestion becomes a
draft PO of its supplier in one call, the next planning run does not suggest it again, the PO
goes sent → confirmed (changed by the supplier) → partly received → received → closed, and
every illegal step or bad reference is a clear problem that books nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.hub_fixtures import Hub
from tests.supply.site import ok, open_suggestion, problem

pytestmark = pytest.mark.integration
TERMS = {"lead_time_days": 14, "moq": 500, "pack_multiple": 50, "price": 2, "preferred": True}


def _arrive(api: httpx.Client, receipt_id: str, qty: int) -> httpx.Response:
    return api.post(f"/api/v1/receipts/{receipt_id}/arrivals", json={
        "event_id": str(uuid.uuid4()), "sku": "S1", "quantity": qty,
        "occurred_at": datetime.now(UTC).isoformat(), "device_id": "dock-scan-1"})


def _on_hand(api: httpx.Client, wh: str) -> float:
    rows = ok(api.get("/api/v1/stock", params={"warehouse": wh, "sku": "S1"}))
    items = rows["items"] if isinstance(rows, dict) else rows
    return float(sum(r["quantity"] for r in items))


def _po(api: httpx.Client, po_id: str) -> dict[str, Any]:
    return ok(api.get(f"/api/v1/purchase-orders/{po_id}"))  # type: ignore[no-any-return]


def test_suggestion_to_po_to_receipt_to_stock_and_planning_sees_it(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        ok(api.post("/api/v1/suppliers", json={"code": "ACME"}), 201)
        ok(api.put("/api/v1/suppliers/ACME/skus/S1", json=TERMS))
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        s = open_suggestion(api, wh)
        assert s is not None and s["source"] == "ACME"
        ok(api.post(f"/api/v1/planning/suggestions/{s['id']}/accept"))
        made = ok(api.post("/api/v1/purchase-orders/from-suggestions", json={"warehouse": wh}),
                  201)
        (po,) = made["purchase_orders"]
        assert made["skipped"] == []
        assert (po["supplier"], po["warehouse"], po["state"]) == ("ACME", wh, "draft")
        assert [(ln["sku"], ln["quantity"], ln["unit_price"]) for ln in po["lines"]] == [
            ("S1", s["quantity"], 2)]
        # Converted once: a second call makes nothing.
        again = ok(api.post("/api/v1/purchase-orders/from-suggestions", json={"warehouse": wh}),
                   201)
        assert again["purchase_orders"] == []
        # On order now: the next run suggests nothing for S1.
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is None
        po_id = po["po_id"]
        problem(api.post(f"/api/v1/purchase-orders/{po_id}/confirm"), 409,
                "a draft purchase order cannot be confirmed")
        problem(api.post(f"/api/v1/purchase-orders/{po_id}/receipts",
                         json={"dock": f"{wh}-DOCK"}), 409, "goods are received only on a sent")
        assert ok(api.post(f"/api/v1/purchase-orders/{po_id}/send"))["state"] == "sent"
        # The supplier confirms 1000 instead of what was ordered.
        confirmed = ok(api.post(f"/api/v1/purchase-orders/{po_id}/confirm", json={
            "lines": [{"line_no": 1, "quantity": 1000, "expected_on": "2030-01-15"}]}))
        assert confirmed["state"] == "confirmed" and confirmed["lines"][0]["quantity"] == 1000
        assert confirmed["lines"][0]["expected_on"] == "2030-01-15"
        receipt = ok(api.post(f"/api/v1/purchase-orders/{po_id}/receipts",
                              json={"dock": f"{wh}-DOCK"}), 201)
        before = _on_hand(api, wh)
        assert ok(_arrive(api, receipt["receipt_id"], 600))["match"] == "matched"
        part = _po(api, po_id)
        assert part["state"] == "partly_received"
        assert (part["lines"][0]["received"], part["lines"][0]["open_quantity"]) == (600, 400)
        assert _on_hand(api, wh) == before + 600
        # Still 400 on order: planning does not suggest them again.
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is None
        assert ok(_arrive(api, receipt["receipt_id"], 400))["match"] == "matched"
        assert _po(api, po_id)["state"] == "received"
        # A little over, within the receipt's tolerance (10 %): received and reported as over.
        assert ok(_arrive(api, receipt["receipt_id"], 50))["match"] == "over"
        problem(api.post(f"/api/v1/purchase-orders/{po_id}/cancel"), 409,
                "close it instead of cancelling")
        closed = ok(api.post(f"/api/v1/purchase-orders/{po_id}/close"))
        assert closed["state"] == "closed" and closed["lines"][0]["received"] == 1050
        # A closed PO takes nothing more: neither on its receipt nor on a new one.
        on_hand = _on_hand(api, wh)
        problem(_arrive(api, receipt["receipt_id"], 5), 409, "is closed")
        problem(api.post(f"/api/v1/purchase-orders/{po_id}/receipts",
                         json={"dock": f"{wh}-DOCK"}), 409, "is closed")
        assert _on_hand(api, wh) == on_hand
        listed = ok(api.get("/api/v1/purchase-orders", params={"warehouse": wh,
                                                               "state": "closed"}))
        assert [p["po_id"] for p in listed] == [po_id]


def test_a_po_for_an_unknown_supplier_or_sku_books_nothing(hub: Hub, wh: str) -> None:
    with hub.client() as api:
        ok(api.post("/api/v1/suppliers", json={"code": "ACME"}), 201)
        line = {"sku": "S1", "quantity": 10}
        problem(api.post("/api/v1/purchase-orders", json={
            "supplier": "GHOST", "warehouse": wh, "lines": [line]}), 422, "no supplier 'GHOST'")
        problem(api.post("/api/v1/purchase-orders", json={
            "supplier": "ACME", "warehouse": wh,
            "lines": [line, {"sku": "NOPE", "quantity": 1}]}), 422, "unknown SKU(s): NOPE")
        problem(api.post("/api/v1/purchase-orders", json={
            "supplier": "ACME", "warehouse": wh, "lines": []}), 422, "lines")
        problem(api.post("/api/v1/purchase-orders", json={
            "supplier": "ACME", "warehouse": wh, "lines": [{"sku": "S1", "quantity": -3}]}),
            422, "quantity")
        assert ok(api.get("/api/v1/purchase-orders", params={"warehouse": wh})) == []
        problem(api.get("/api/v1/purchase-orders/PO-NONE"), 404, "no purchase order 'PO-NONE'")
        problem(api.post("/api/v1/purchase-orders/PO-NONE/send"), 404, "")
        made = ok(api.post("/api/v1/purchase-orders", json={
            "po_id": "PO-1", "supplier": "ACME", "warehouse": wh, "lines": [line]}), 201)
        assert made["state"] == "draft"
        problem(api.post("/api/v1/purchase-orders", json={
            "po_id": "PO-1", "supplier": "ACME", "warehouse": wh, "lines": [line]}), 409,
            "exists already")
        assert ok(api.post("/api/v1/purchase-orders/PO-1/cancel"))["state"] == "cancelled"
        problem(api.post("/api/v1/purchase-orders/PO-1/send"), 409,
                "a cancelled purchase order cannot be sent")
        # A cancelled PO is not on order any more: planning suggests S1 again.
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is not None


def test_accepted_suggestions_without_a_supplier_are_reported_not_lost(hub: Hub,
                                                                       wh: str) -> None:
    with hub.client() as api:
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        s = open_suggestion(api, wh)
        assert s is not None and s["source"] == ""
        ok(api.post(f"/api/v1/planning/suggestions/{s['id']}/accept"))
        made = ok(api.post("/api/v1/purchase-orders/from-suggestions", json={"warehouse": wh}),
                  201)
        assert made["purchase_orders"] == []
        assert made["skipped"] == [{"suggestion_id": s["id"], "sku": "S1", "reason":
                                    "no supplier: set the SKU's preferred supplier"}]


def test_the_pda_receives_against_a_po_within_the_receipt_tolerance(hub: Hub, wh: str) -> None:
    from cloud_hub.auth.pg.store import create_user
    from cloud_hub.db.database import connect

    with connect(hub.settings.database_url) as conn:
        create_user(conn, "pat", "picker-password", ["picker"], [wh])
    with hub.client() as api:
        ok(api.post("/api/v1/suppliers", json={"code": "ACME"}), 201)
        ok(api.post("/api/v1/purchase-orders", json={
            "po_id": "PO-PDA", "supplier": "ACME", "warehouse": wh,
            "lines": [{"sku": "S1", "quantity": 100}]}), 201)
        ok(api.post("/api/v1/purchase-orders/PO-PDA/send"))
        task_id = ok(api.post("/api/v1/purchase-orders/PO-PDA/receipts",
                              json={"dock": f"{wh}-DOCK"}), 201)["task_id"]

    def scan(qty: int) -> dict[str, Any]:
        return ok(pda.post(f"/api/v1/tasks/{task_id}/steps/1/confirm", json={  # type: ignore[no-any-return]
            "idempotency_key": str(uuid.uuid4()), "task_id": task_id, "step_id": "1",
            "occurred_at": datetime.now(UTC).isoformat(), "device_id": "pda-3",
            "scanned_sku": "S1", "lot": "LOT-9", "quantity": qty}))

    with hub.client(hub.login("pat", "picker-password")) as pda:
        assert scan(60)["status"] == "accepted"
        # 120 of 100 would pass the receipt's 10 %: a picker may not, a supervisor must accept
        assert scan(60)["code"] == "quantity_over"
    with hub.client() as api:
        po = _po(api, "PO-PDA")
        assert po["state"] == "partly_received" and po["lines"][0]["received"] == 60
        at_dock = ok(api.get("/api/v1/stock", params={"warehouse": wh, "sku": "S1",
                                                      "location": f"{wh}-DOCK"}))
        assert [(r["lot"], r["quantity"]) for r in at_dock] == [("LOT-9", 60)]


def test_a_po_placed_by_hand_withdraws_the_open_suggestion(hub: Hub, wh: str) -> None:
    """Nothing can be ordered twice: the suggestion a hand-made PO covers is withdrawn by the
    next run instead of waiting to be accepted."""
    with hub.client() as api:
        ok(api.post("/api/v1/suppliers", json={"code": "ACME"}), 201)
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        s = open_suggestion(api, wh)
        assert s is not None
        ok(api.post("/api/v1/purchase-orders", json={
            "supplier": "ACME", "warehouse": wh,
            "lines": [{"sku": "S1", "quantity": s["quantity"]}]}), 201)
        ok(api.post("/api/v1/planning/run", json={"days": 60}))
        assert open_suggestion(api, wh) is None
        (gone,) = ok(api.get("/api/v1/planning/suggestions",
                             params={"warehouse": wh, "state": "rejected"}))
        assert gone["id"] == s["id"] and gone["note"].startswith("withdrawn")
