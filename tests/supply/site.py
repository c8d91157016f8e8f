"""A warehouse whose SKU S1 sells 20 a day and is nearly out: planning must suggest it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cloud_hub.db.database import connect
from tests.planning.ledger_site import apply, move, site


def seed(db_url: str, wh: str, wh2: str | None = None) -> None:
    """56 days of 20 picked a day, 40 left on hand in `wh`."""
    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) \
        - timedelta(days=57)
    with connect(db_url) as conn:
        site(conn, wh, wh2)
        moves = [move(wh, "S1", 20 * 56 + 40, None, f"{wh}-BIN-A", "receive", start)]
        moves += [move(wh, "S1", 20, f"{wh}-BIN-A", None, "pick", start + timedelta(days=d))
                  for d in range(1, 57)]
        apply(conn, moves)


def ok(r: httpx.Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def problem(r: httpx.Response, status: int, words: str) -> None:
    """A clear refusal: the status, problem+json, and a detail that says why."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    assert words in r.json()["detail"], r.json()


def open_suggestion(api: httpx.Client, wh: str, sku: str = "S1") -> dict[str, Any] | None:
    found = [s for s in ok(api.get("/api/v1/planning/suggestions", params={"warehouse": wh}))
             if s["sku"] == sku and s["state"] in ("proposed", "edited")]
    assert len(found) <= 1, found
    return found[0] if found else None
