"""A simulated shift for the demo: a manager books receipts and orders, a picker works the tasks.

Run: python -m deploy.picker --hub http://127.0.0.1:8000 (passwords in DEMO_MANAGER_PASSWORD
and DEMO_PICKER_PASSWORD). Rule kept here: everything goes through the hub's public task API,
as the PDA app would; a refused confirmation puts the task aside (skip), it never loops.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from deploy.system import sscc

SKUS = ("SKU-COFFEE", "SKU-TEA", "SKU-MUG", "SKU-KETTLE")


def now() -> str:
    return datetime.now(UTC).isoformat()


class Shift:
    """One manager client and one picker client against the hub, and what they do."""

    def __init__(self, hub: str, warehouse: str, manager: httpx.Client, picker: httpx.Client,
                 seed: int, dock: str = "DOCK-1-IN", staging: str = "STAGING-OUT") -> None:
        self.hub, self.warehouse = hub, warehouse
        self.manager, self.picker = manager, picker
        self.rng = random.Random(seed)
        self.run = uuid.uuid4().hex[:6]
        self.serial = self.rng.randrange(10**6, 10**8)
        self.dock, self.staging = dock, staging
        self.receipts = self.orders = self.confirmed = self.refused = 0

    def book_receipt(self) -> None:
        self.receipts += 1
        self.serial += 1
        sku = self.rng.choice(SKUS)
        qty = self.rng.randint(10, 60)
        body = {"receipt_id": f"R-{self.run}-{self.receipts}", "warehouse": self.warehouse,
                "dock": self.dock, "supplier": "Demo Supplies",
                "lines": [{"line_id": "1", "sku": sku, "lot": f"L{self.run}{self.receipts}",
                           "quantity": qty,
                           "units": [{"unit": {"sscc": sscc(self.serial)}, "quantity": qty}]}]}
        _ok(self.manager.post("/api/v1/receipts", json=body), 201)
        print(f"manager: receipt {body['receipt_id']}: {qty} x {sku}", flush=True)

    def book_order(self) -> bool:
        """An order for some stock that sits in a bin, a wave for it; False when none."""
        sku = self.rng.choice(SKUS)
        stock = _ok(self.manager.get("/api/v1/stock", params={"warehouse": self.warehouse,
                                                              "sku": sku}))
        binned = [r for r in stock if r["location"].startswith("A") and r["status"] ==
                  "available" and float(r["quantity"]) >= 2]
        if not binned:
            return False
        row = self.rng.choice(binned)
        self.orders += 1
        order_id = f"O-{self.run}-{self.orders}"
        qty = max(1, min(5, int(float(row["quantity"]) // 2)))
        _ok(self.manager.post("/api/v1/orders", json={
            "order_id": order_id, "warehouse": self.warehouse, "carrier": "DemoExpress",
            "lines": [{"line_no": 1, "sku": row["sku"], "quantity": qty}]}), 201)
        _ok(self.manager.post("/api/v1/waves", json={
            "warehouse": self.warehouse, "staging": self.staging, "max_orders": 10}), 201)
        print(f"manager: order {order_id}: {qty} x {row['sku']}, wave released", flush=True)
        return True

    def ship_picked(self) -> None:
        for n in range(1, self.orders + 1):
            order_id = f"O-{self.run}-{n}"
            order = _ok(self.manager.get(f"/api/v1/orders/{order_id}"))
            if order.get("state") == "picked":
                _ok(self.manager.post(f"/api/v1/orders/{order_id}/ship", json={
                    "occurred_at": now(), "device_id": "demo-shipping"}))
                print(f"manager: order {order_id} shipped", flush=True)

    def work(self, stop: threading.Event, limit: int = 10) -> int:
        """Take the next tasks (up to `limit`) and do them step by step."""
        done = 0
        while done < limit and not stop.is_set():
            r = self.picker.get("/api/v1/tasks/next", params={"warehouse": self.warehouse})
            if r.status_code == 204:
                break
            task = _ok(r)
            task = _ok(self.picker.post(f"/api/v1/tasks/{task['task_id']}/claim", json={
                "device_id": "pda-demo"}))
            self._do(task)
            done += 1
        return done

    def _do(self, task: dict[str, Any]) -> None:
        for step in sorted(task["steps"], key=lambda s: s["sequence"]):
            if step["state"] not in ("pending", "partial"):
                continue
            body = self._confirmation(task, step)
            got = _ok(self.picker.post(
                f"/api/v1/tasks/{task['task_id']}/steps/{step['step_id']}/confirm", json=body))
            if got["status"] != "accepted":
                self.refused += 1
                print(f"picker: {task['kind']} {task['task_id']} refused: {got['message']}",
                      flush=True)
                _ok(self.picker.post(f"/api/v1/tasks/{task['task_id']}/skip", json={
                    "idempotency_key": str(uuid.uuid4()), "reason": "other",
                    "note": got["message"][:900], "occurred_at": now(),
                    "device_id": "pda-demo"}))
                return
            self.confirmed += 1
        print(f"picker: {task['kind']} {task['task_id']} done", flush=True)

    def _confirmation(self, task: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
        """What a careful picker scans and keys for this step."""
        body: dict[str, Any] = {"idempotency_key": str(uuid.uuid4()), "task_id": task["task_id"],
                                "step_id": step["step_id"], "occurred_at": now(),
                                "device_id": "pda-demo"}
        where = step.get("to_location") if task["kind"] == "putaway" else step.get("location")
        if where:
            body["scanned_location"] = where
        if step.get("unit"):
            body["scanned_unit"] = step["unit"]
        if step.get("sku") and "scan_item" in step["instructions"]:
            body["scanned_sku"] = step["sku"]
        if step.get("lot"):
            body["lot"] = step["lot"]
        if "enter_quantity" in step["instructions"]:
            body["quantity"] = self._quantity(step)
        return body

    def _quantity(self, step: dict[str, Any]) -> float:
        for key in ("remaining_quantity", "expected_quantity"):
            if step.get(key) is not None:
                return float(step[key])
        rows = _ok(self.manager.get("/api/v1/stock", params={  # a blind count: count it
            "warehouse": self.warehouse, "location": step.get("location"),
            "sku": step.get("sku")}))
        return sum(float(r["quantity"]) for r in rows)


def _ok(r: httpx.Response, status: int = 200) -> Any:
    if r.status_code != status:
        raise RuntimeError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text}")
    return r.json()


def login(hub: str, name: str, password: str) -> httpx.Client:
    r = httpx.post(f"{hub}/api/v1/auth/token", json={"username": name, "password": password},
                   timeout=30)
    token = _ok(r)["access_token"]
    return httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def run(args: argparse.Namespace, stop: threading.Event) -> int:
    manager = login(args.hub, args.manager, os.environ["DEMO_MANAGER_PASSWORD"])
    picker = login(args.hub, args.picker, os.environ["DEMO_PICKER_PASSWORD"])
    shift = Shift(args.hub, args.warehouse, manager, picker, args.seed)
    cycle = 0
    while not stop.is_set():
        cycle += 1
        try:
            shift.book_receipt()
            if cycle % 2 == 0:
                shift.book_order()
            shift.work(stop)
            shift.ship_picked()
        except (httpx.HTTPError, RuntimeError) as exc:  # the hub restarting: carry on
            print(f"picker: {exc}", file=sys.stderr, flush=True)
        stop.wait(args.every)
    print(f"picker: {shift.receipts} receipts, {shift.orders} orders, "
          f"{shift.confirmed} confirmations, {shift.refused} refused", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m deploy.picker", description=__doc__)
    p.add_argument("--hub", default="http://127.0.0.1:8000")
    p.add_argument("--warehouse", default="WH1")
    p.add_argument("--manager", default="manager")
    p.add_argument("--picker", default="picker")
    p.add_argument("--every", type=float, default=4.0, help="seconds between work cycles")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return run(args, stop)


if __name__ == "__main__":
    sys.exit(main())
