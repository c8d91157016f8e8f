"""The live feed's messages on a real hub are what protocol.live describes, key for key."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import websockets

from protocol.live import BalanceMessage, read_live
from tests.conftest import scratch_database
from tests.hub_fixtures import Hub, running_hub

pytestmark = pytest.mark.integration
WH = "WH1"
SITE = [{"code": c, "warehouse": WH, "kind": "bin"} for c in ("LP-DOCK", "LP-A", "LP-B")]


@pytest.fixture(scope="module")
def hub(pg_server_url: str) -> Iterator[Hub]:
    with scratch_database() as url, running_hub(url, mqtt_enabled=False) as h:
        with h.client() as c:
            assert c.post("/api/v1/locations", json=SITE).status_code == 201
        yield h


def _move(to: str, frm: str | None = None, **what: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "occurred_at": datetime.now(UTC).isoformat(),
            "warehouse": WH, "source": {"kind": "rfid", "device_id": "portal-1"},
            "from_location": frm, "to_location": to,
            "reason": "receive" if frm is None else "transfer", **what}


def test_every_live_message_reads_back_as_the_hub_sent_it(hub: Hub) -> None:
    sscc = f"{uuid.uuid4().int % 10**18:018d}"
    moves = [_move("LP-A", item={"sku": "S-LIVE", "lot": "L1", "quantity": 5}),
             _move("LP-B", "LP-A", item={"sku": "S-LIVE", "lot": "L1", "quantity": 5}),
             _move("LP-DOCK", unit={"sscc": sscc},
                   contents=[{"sku": "S-LIVE", "lot": "L2", "quantity": 2.5}])]

    async def watch() -> list[str]:
        async with websockets.connect(hub.live_url(WH)) as ws:
            with hub.client() as c:
                posted = await asyncio.to_thread(c.post, "/api/v1/moves", json=moves)
            assert posted.json()["applied"] == 3, posted.text
            texts: list[str] = []
            kinds: list[str] = []
            # three moves, and the three balances the batch left (LP-A emptied: zero)
            while kinds.count("move") < 3 or kinds.count("balance") < 3:
                texts.append(str(await asyncio.wait_for(ws.recv(), 10)))
                kinds.append(json.loads(texts[-1])["type"])
            return texts

    texts = asyncio.run(watch())
    for text in texts:
        message = read_live(text)
        assert message.as_json() == json.loads(text), text
    emptied = [m for m in map(read_live, texts) if isinstance(m, BalanceMessage)
               and m.location == "LP-A"]
    assert emptied and emptied[-1].quantity == 0
