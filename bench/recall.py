"""Benchmark: a recall of a lot held in --locations places, over a real hub and PostgreSQL.

A throw-away database and hub (tests/hub_fixtures.py); --locations bins, each receiving the lot
loose, and --locations / 4 pallets of it alone, put away into the first bins — all through
POST /api/v1/moves. Then POST /api/v1/recalls is timed (wall clock, as a client sees it: the
hold moves applied through the ledger as `recalled` and the report), then its release back to
available (POST /api/v1/recalls/RB/release). Prints one JSON line.

    .venv/bin/python bench/recall.py --locations 1000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import scratch_database  # noqa: E402
from tests.hub_fixtures import running_hub  # noqa: E402

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def _move(i: int, reason: str, frm: str | None, to: str, **extra: object) -> dict[str, object]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": (T0 + timedelta(seconds=i)).isoformat(),
            "warehouse": "WH1", "source": {"kind": "pda", "device_id": "pda-1"},
            "from_location": frm, "to_location": to, "reason": reason, **extra}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--locations", type=int, default=1_000)
    args = p.parse_args()
    n, pallets = args.locations, args.locations // 4
    lot = {"sku": "RB-1", "lot": "RCL"}
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as hub, \
            hub.client() as c:
        site = [{"code": "RB-DOCK", "warehouse": "WH1", "kind": "dock_door"}] + [
            {"code": f"RB-{i:05d}", "warehouse": "WH1", "kind": "bin"} for i in range(n)]
        assert c.post("/api/v1/locations", json=site).status_code == 201
        moves = [_move(i, "receive", None, f"RB-{i:05d}", item={**lot, "quantity": 5})
                 for i in range(n)]
        for j in range(pallets):
            unit = {"sscc": f"{370000000000000000 + j}"}
            moves.append(_move(n + 2 * j, "receive", None, "RB-DOCK", unit=unit,
                               contents=[{**lot, "quantity": 8}]))
            moves.append(_move(n + 2 * j + 1, "putaway", "RB-DOCK", f"RB-{j:05d}", unit=unit))
        for start in range(0, len(moves), 500):
            r = c.post("/api/v1/moves", json=moves[start:start + 500])
            assert r.json()["applied"] == len(moves[start:start + 500]), r.text
        started = time.perf_counter()
        r = c.post("/api/v1/recalls", json={"recall_id": "RB", "warehouse": "WH1", **lot,
                                            "reason": "bench"})
        seconds = time.perf_counter() - started
        assert r.status_code == 200, r.text
        report = r.json()
        started = time.perf_counter()
        r = c.post("/api/v1/recalls/RB/release", json={"reason": "bench"})
        release_seconds = time.perf_counter() - started
        assert r.status_code == 200 and r.json()["quantity"] == report["quantity"], r.text
    print(json.dumps({"locations": n, "pallets": pallets, "held": report["quantity"],
                      "hold_moves": len(report["move_ids"]),
                      "recall_seconds": round(seconds, 2),
                      "release_seconds": round(release_seconds, 2),
                      "load_average": round(os.getloadavg()[0], 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
