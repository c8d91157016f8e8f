"""A stand-in hub for the map benchmark: the real pages, a synthetic site and a synthetic live
stream of moves at a chosen rate. No database, no broker: it measures the browser alone.

Run by hand: python bench/synthetic_hub.py --bins 20000 --pallets 5000 --port 8765
(sign in with any name and password; POST /_synthetic/stream?rate=200&seconds=10 starts moves).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from cloud_hub.web.api.pages import router as pages_router
from cloud_hub.web.payloads import layout_payload, location_dict, location_layout_row
from cloud_hub.web.sitegen import Site, generate_site


def _json(value: object) -> Response:
    return Response(json.dumps(value, separators=(",", ":")), media_type="application/json")


@dataclass
class SyntheticFloor:
    """Pallets on a generated site, moved at random between free bins."""

    site: Site
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(11))
    seq: int = 0

    def __post_init__(self) -> None:
        self.units = {f"sscc:{u.sscc}": u for u in self.site.units}
        self.where = {k: u.location for k, u in self.units.items()}
        self.since = {k: self.now - timedelta(seconds=u.age_s) for k, u in self.units.items()}
        taken = set(self.where.values())
        self.free = [c for c in self.site.codes("bin") if c not in taken]

    def state(self) -> dict[str, object]:
        units = [[k, self.where[k], round(self.since[k].timestamp() * 1000), u.status]
                 for k, u in self.units.items()]
        balances = [[self.where[k], u.sku, u.lot, u.status, u.quantity]
                    for k, u in self.units.items()]
        return {"warehouse": self.site.warehouse, "as_of": self.now.isoformat(),
                "last_seq": self.seq, "units": units, "balances": balances}

    def find(self, query: str) -> list[dict[str, object]]:
        q = query.strip().upper()
        hits = []
        for key, u in self.units.items():
            kind = ("sscc" if u.sscc == q else "sku" if u.sku.upper() == q
                    else "lot" if u.lot.upper() == q else None)
            if kind:
                hits.append({"kind": kind, "match": query.strip(), "location": self.where[key],
                             "unit_key": key, "sku": u.sku, "lot": u.lot, "status": u.status,
                             "quantity": u.quantity})
        return hits

    def detail(self, code: str) -> dict[str, object] | None:
        loc = next((x for x in self.site.locations if x.code == code), None)
        if loc is None:
            return None
        here = [k for k, at in self.where.items() if at == code]
        lines = [{"sku": self.units[k].sku, "lot": self.units[k].lot,
                  "status": self.units[k].status, "quantity": self.units[k].quantity}
                 for k in here]
        return {"location": location_dict(loc), "scope": "here", "contents": lines,
                "units": [{"unit_key": k, "epc": None, "sscc": self.units[k].sscc,
                           "location": code, "since": self.since[k].isoformat(),
                           "contents": [line]} for k, line in zip(here, lines, strict=True)],
                "moves": [{"seq": 0, "event_id": str(uuid4()),
                           "occurred_at": self.since[k].isoformat(), "source_kind": "rfid",
                           "device_id": "gw-dock-1", "unit_key": k, "sku": None, "lot": None,
                           "quantity": None, "from_location": "DD01", "to_location": code,
                           "reason": "putaway", "user_id": "maria", "applied_by": "gw-dock-1",
                           "outcome": "applied", "note": None} for k in here]}

    def next_move(self, when: datetime) -> list[dict[str, object]]:
        """One pallet to a free bin: the move and the two balances it changes."""
        key = self.rng.choice(list(self.units))
        unit = self.units[key]
        src = self.where[key]
        slot = self.rng.randrange(len(self.free))
        dst = self.free[slot]
        self.free[slot] = src
        self.where[key] = dst
        self.since[key] = when
        self.seq += 1
        common = {"warehouse": self.site.warehouse, "sku": unit.sku, "lot": unit.lot,
                  "status": unit.status}
        return [
            {"type": "move", "seq": self.seq, "event_id": str(uuid4()),
             "occurred_at": when.isoformat(), "outcome": "applied", "unit_key": key,
             "quantity": unit.quantity, "from_location": src, "to_location": dst,
             "reason": "transfer", "source_kind": "rfid", "device_id": "bench",
             "user_id": None, "zones": [], **{k: v for k, v in common.items() if k != "status"}},
            {"type": "balance", "location": src, "quantity": 0, **common},
            {"type": "balance", "location": dst, "quantity": unit.quantity, **common},
        ]


def build_app(bins: int, pallets: int) -> FastAPI:
    now = datetime.now(UTC)
    floor = SyntheticFloor(generate_site("BENCH", bins, pallets), now)
    layout = json.dumps(layout_payload("BENCH", [location_layout_row(x)
                                                  for x in floor.site.locations]))
    app = FastAPI()
    app.include_router(pages_router)
    app.state.stream = asyncio.Event()
    app.state.rate, app.state.seconds = 0, 0.0

    @app.post("/api/v1/auth/token")
    def token() -> dict[str, object]:
        expires = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        return {"access_token": "synthetic", "token_type": "bearer", "expires_at": expires,
                "roles": ["manager"], "username": "bench"}

    @app.post("/api/v1/live/tickets", status_code=201)
    def ticket() -> dict[str, object]:  # the page opens the feed with one, as on the real hub
        expires = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
        return {"ticket": "synthetic", "expires_at": expires, "warehouse": "BENCH"}

    @app.get("/api/v1/map/warehouses")
    def warehouses() -> dict[str, object]:
        return {"warehouses": ["BENCH"]}

    @app.get("/api/v1/map/layout")
    def plan() -> Response:
        return Response(layout, media_type="application/json")

    @app.get("/api/v1/map/state")
    def state() -> Response:
        return _json(floor.state())

    @app.get("/api/v1/map/find")
    def find(q: str) -> dict[str, object]:
        return {"query": q, "hits": floor.find(q), "truncated": False}

    @app.get("/api/v1/map/location/{code}")
    def location(code: str) -> Response:
        detail = floor.detail(code)
        return _json(detail) if detail else Response(status_code=404)

    @app.get("/api/v1/gateways")
    def gateways() -> list[dict[str, object]]:
        beat = datetime.now(UTC).isoformat()
        return [{"warehouse": "BENCH", "gateway": g, "state": "offline" if i == 1 else "online",
                 "last_heartbeat": beat, "queue_depth": 0, "info": {}}
                for i, g in enumerate(floor.site.gateways)]

    @app.post("/_synthetic/stream")
    def stream(rate: int = 200, seconds: float = 10.0) -> dict[str, object]:
        app.state.rate, app.state.seconds = rate, seconds
        app.state.stream.set()
        return {"rate": rate, "seconds": seconds}

    @app.websocket("/api/v1/live")
    async def live(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await app.state.stream.wait()
                app.state.stream.clear()
                await _send_moves(ws, floor, app.state.rate, app.state.seconds)
        except WebSocketDisconnect:
            return

    return app


async def _send_moves(ws: WebSocket, floor: SyntheticFloor, rate: int, seconds: float) -> None:
    tick = 0.02
    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = 0
    while (elapsed := loop.time() - start) < seconds:
        due = int(elapsed * rate)
        for _ in range(due - sent):
            for msg in floor.next_move(datetime.now(UTC)):
                await ws.send_text(json.dumps(msg))
        sent = max(sent, due)
        await asyncio.sleep(tick)


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bins", type=int, default=20000)
    ap.add_argument("--pallets", type=int, default=5000)
    ap.add_argument("--port", type=int, default=8765)
    args = ap.parse_args()
    uvicorn.run(build_app(args.bins, args.pallets), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
