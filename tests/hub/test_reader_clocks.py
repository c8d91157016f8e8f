"""The dashboard's reader clocks, read from what gateways' heartbeats left in `gateways.info`
(stored by the ingest's own code): wrong ones first, hostile JSON ignored, bounded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cloud_hub.db.database import connect
from cloud_hub.ingest.messages import sort_messages
from cloud_hub.ingest.pg.gateways import upsert_gateway
from cloud_hub.web.pg import dashboard
from protocol import topic

pytestmark = pytest.mark.integration


def beat(readers: object) -> bytes:
    return json.dumps({"at": datetime.now(UTC).isoformat(), "queue_depth": 0,
                       "sources": {"rfid": {"readers": readers}}}).encode()


def store(db_url: str, messages: list[tuple[str, bytes]]) -> None:
    with connect(db_url) as conn:
        for news in sort_messages(messages).news:
            upsert_gateway(conn, news, datetime.now(UTC))
        conn.commit()


def clock(state: str, offset: Any = 1.0, **more: Any) -> dict[str, Any]:
    return {"clock": {"kind": "utc", "offset_s": offset, "state": state, "jumps": 0, **more}}


def test_wrong_clocks_come_first_and_only_the_warehouses_own(fresh_db_url: str) -> None:
    store(fresh_db_url, [
        (topic("WH1", "gw-a", "heartbeat"), beat({"r-ok": clock("ok", 0.002),
                                                   "r-old": clock("offset", 8.1e7)})),
        (topic("WH1", "gw-b", "heartbeat"), beat({"r-jump": clock("jumped", 3600.0, jumps=2)})),
        (topic("WH2", "gw-c", "heartbeat"), beat({"r-there": clock("offset", -7200.0)})),
    ])
    with connect(fresh_db_url) as conn:
        got = dashboard.reader_clocks(conn, "WH1")
        everywhere = dashboard.reader_clocks(conn, None)
    assert [(r["gateway"], r["reader"], r["state"]) for r in got["readers"]] == [  # type: ignore[index]
        ("gw-a", "r-old", "offset"), ("gw-b", "r-jump", "jumped"), ("gw-a", "r-ok", "ok")]
    assert got["wrong"] == 2 and everywhere["wrong"] == 3
    assert got["readers"][1]["jumps"] == 2  # type: ignore[index]


def test_a_newer_heartbeat_replaces_the_readers_it_reported(fresh_db_url: str) -> None:
    store(fresh_db_url, [(topic("WH1", "gw-a", "heartbeat"), beat({"r": clock("offset", 9e7)}))])
    store(fresh_db_url, [(topic("WH1", "gw-a", "heartbeat"), beat({"r": clock("ok", 0.01)}))])
    with connect(fresh_db_url) as conn:
        assert dashboard.reader_clocks(conn, "WH1")["wrong"] == 0


@pytest.mark.parametrize("readers", [
    "not a mapping", ["a", "list"], {"r": "text"}, {"r": {"clock": "text"}},
    {"r": clock("sideways")}, {"r": {"clock": {"state": ["ok"]}}},
])
def test_malformed_reader_entries_are_left_out(fresh_db_url: str, readers: object) -> None:
    store(fresh_db_url, [(topic("WH1", "gw-x", "heartbeat"), beat(readers))])
    with connect(fresh_db_url) as conn:
        assert dashboard.reader_clocks(conn, "WH1") == {"readers": [], "wrong": 0}


def test_odd_values_are_not_passed_on_and_the_list_is_bounded(fresh_db_url: str) -> None:
    many = {f"r{i:03d}": clock("offset", True if i == 0 else "x" if i == 1 else 1e300)
            for i in range(100)}
    store(fresh_db_url, [(topic("WH1", f"gw-{g}", "heartbeat"), beat(many)) for g in range(5)])
    with connect(fresh_db_url) as conn:
        got = dashboard.reader_clocks(conn, "WH1")
    readers = got["readers"]
    assert len(readers) == dashboard.MAX_CLOCKS  # type: ignore[arg-type]
    assert {r["offset_s"] for r in readers} == {None}  # type: ignore[union-attr]
