"""What the issue-18 probe works with: a production site (broker + hub) with two warehouses,
the credentials an attacker or an integrator holds, and ways to act and wait over the wire.

Rule kept here: the probe acts only over MQTT and HTTP with what an outsider would hold (one
gateway's broker password and device token, users' tokens) and sets the site up the way an
operator does (the hub's CLI, the admin API). Waiting polls the hub's REST API with a deadline:
there is no event to await from outside.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx

from deploy.gen_mosquitto_auth import GatewayId
from protocol import ItemLine, Source, StockMoved, UnitRef
from tests.hub_fixtures import ROOT
from tests.system.production_site import (
    Client,
    ProductionBroker,
    ProductionHub,
    production_broker,
    production_hub,
)

T = TypeVar("T")
PASSWORD = "probe-password-of-some-length"
SKU = "SKU-P"


class Evidence:
    """What one case saw: every check with its result; the case is broken if any failed."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.failed = False

    def check(self, ok: object, what: str) -> bool:
        self.lines.append(f"{'ok' if ok else 'BROKEN'}: {what}")
        self.failed |= not ok
        return bool(ok)

    def note(self, what: str) -> None:
        self.lines.append(f"note: {what}")


def until(check: Callable[[], T], timeout: float = 15.0, every: float = 0.1) -> T:
    """Poll `check` (the hub's REST API) until it returns something true or time is up; the
    last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


@dataclass
class Probe:
    broker: ProductionBroker
    hub: ProductionHub
    db_url: str
    wh1: str
    wh2: str
    gw_a: GatewayId  # the attacker's: WH1, registered at the hub
    gw_b: GatewayId  # another warehouse's (WH2), registered
    gw_c: GatewayId  # WH1, broker credentials but never registered at the hub
    tokens: dict[str, str] = field(default_factory=dict)  # gateway username -> device token
    _clients: list[Client] = field(default_factory=list)

    # -- HTTP ------------------------------------------------------------------------------
    def http(self, token: str | None = None, *, bare: bool = False) -> httpx.Client:
        """A client of the hub: the admin's token unless another is given; `bare`: none."""
        if bare:
            return httpx.Client(base_url=self.hub.api.base_url, timeout=30)
        return self.hub.api.client(token)

    def user(self, role: str, warehouses: list[str], name: str | None = None) -> tuple[str, str]:
        """A user made through the admin API, and a token it signed in for."""
        name = name or f"{role}-{uuid.uuid4().hex[:6]}"
        with self.http() as admin:
            admin.put(f"/api/v1/users/{name}", json={
                "password": PASSWORD, "roles": [role],
                "warehouses": warehouses}).raise_for_status()
        return name, self.hub.api.login(name, PASSWORD)

    def applied(self, wh: str, ids: Iterable[str]) -> set[str]:
        """Which of `ids` the ledger of `wh` holds (GET /moves, every page)."""
        wanted, found, after = set(ids), set(), 0
        with self.http() as admin:
            while True:
                page = admin.get("/api/v1/moves", params={"warehouse": wh, "after_seq": after,
                                                          "limit": 5000}).json()
                found |= {m["event_id"] for m in page["items"]} & wanted
                if page["next_after_seq"] is None:
                    return found
                after = page["next_after_seq"]

    def wait_applied(self, wh: str, ids: Iterable[str], timeout: float = 15.0
                     ) -> tuple[int, float]:
        """(how many of `ids` applied, seconds waited) once all are or time is up."""
        wanted, start = set(ids), time.monotonic()
        got = until(lambda: (found := self.applied(wh, wanted)) == wanted and found, timeout)
        count = len(got) if got else len(self.applied(wh, wanted))
        return count, time.monotonic() - start

    def health(self) -> dict[str, Any]:
        with self.http(bare=True) as c:
            return c.get("/healthz").json()  # type: ignore[no-any-return]

    def dead_letters(self, wh: str) -> list[dict[str, Any]]:
        with self.http() as admin:
            return admin.get("/api/v1/dead-letters",  # type: ignore[no-any-return]
                             params={"warehouse": wh, "limit": 500}).json()["items"]

    # -- MQTT ------------------------------------------------------------------------------
    def mqtt(self, gw: GatewayId | str, *, client_id: str | None = None, **kw: Any) -> Client:
        """A connection with a gateway's (or another broker user's) generated credentials;
        a gateway uses the one client id it is bound to unless told otherwise."""
        user = gw.username if isinstance(gw, GatewayId) else gw
        made = Client(self.broker, user, self.broker.passwords[user],
                      client_id=client_id or user, **kw)
        self._clients.append(made)
        return made

    def close(self) -> None:
        for c in self._clients:
            c.close()
        self._clients.clear()

    # -- the site --------------------------------------------------------------------------
    def bins(self, wh: str) -> list[str]:
        return [f"{wh}-BIN{i}" for i in range(1, 4)]


def item(wh: str, sku: str, qty: int, to: str | None, frm: str | None = None, *,
         lot: str = "L1", expiry: date | None = None, when: datetime | None = None,
         kind: str = "rfid") -> StockMoved:
    """A move of loose items, observed now by a gateway's reader."""
    return StockMoved(event_id=uuid.uuid4(), occurred_at=when or datetime.now(UTC),
                      warehouse=wh, source=Source(kind=kind, device_id="probe-reader"),
                      item=ItemLine(sku=sku, lot=lot, quantity=Decimal(qty), expiry=expiry),
                      from_location=frm, to_location=to,
                      reason="transfer" if frm and to else "receive")


def pallet(wh: str, sscc: str, to: str | None, frm: str | None = None, *,
           when: datetime | None = None) -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=when or datetime.now(UTC),
                      warehouse=wh, source=Source(kind="rfid", device_id="probe-gate"),
                      unit=UnitRef(sscc=sscc), from_location=frm, to_location=to,
                      reason="portal_pass")


def _seed(probe: Probe) -> None:
    """As an operator would: gateways registered with the CLI, locations and SKUs via the API."""
    for gw in (probe.gw_a, probe.gw_b):
        done = probe.hub.cli("gateways", "add", gw.warehouse, gw.gateway, "--days", "1")
        if done.returncode != 0:
            raise RuntimeError(f"gateways add failed: {done.stderr}")
        probe.tokens[gw.username] = done.stdout.strip().splitlines()[-1]
    with probe.http() as admin:
        admin.post("/api/v1/skus", json=[{"sku": s} for s in (
            SKU, "SKU-FEFO", "SKU-RCPT", "SKU-EXP", "SKU-RECOUNT")]).raise_for_status()
        for wh in (probe.wh1, probe.wh2):
            admin.post("/api/v1/locations", json=[
                {"code": f"{wh}-DOCK", "warehouse": wh, "kind": "dock_door"},
                {"code": f"{wh}-STAGE", "warehouse": wh, "kind": "staging"},
                *({"code": b, "warehouse": wh, "kind": "bin"} for b in probe.bins(wh))]
                       ).raise_for_status()


@contextmanager
def probe_site(workdir: Path, db_url: str, hub_root: Path | None = None) -> Iterator[Probe]:
    """Broker and hub started with production settings; two warehouses seeded. `hub_root`:
    run the hub from that checkout (an older commit's, to see the probe find the findings)."""
    tag = uuid.uuid4().hex[:6].upper()
    wh1, wh2 = f"PA{tag}", f"PB{tag}"
    gw_a, gw_b, gw_c = GatewayId(wh1, "gw-a"), GatewayId(wh2, "gw-b"), GatewayId(wh1, "gw-c")
    with production_broker(workdir / "broker", [gw_a, gw_b, gw_c]) as broker, \
            production_hub(db_url, broker, workdir / "hub.log", hub_root or ROOT,
                           # small enough to see a backlog within a probe (default 60 s)
                           HUB_INGEST_DEGRADED_AFTER_S="2") as hub:
        probe = Probe(broker, hub, db_url, wh1, wh2, gw_a, gw_b, gw_c)
        try:
            _seed(probe)
            yield probe
        finally:
            probe.close()
