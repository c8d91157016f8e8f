"""Hub processes killed and doubled: nothing lost, nothing applied twice."""

from __future__ import annotations

import random
import re
import signal

import httpx
import pytest

from cloud_hub.db.database import connect
from protocol import encode_batch, topic
from tests.hub.mqtt_tools import Publisher
from tests.hub.test_ingest import seed_site, wait_for
from tests.hub_fixtures import (
    ensure_admin,
    hub_process,
    hub_settings,
    wait_http,
    wait_mqtt_connected,
)
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration


def _events(wh: str, bins: list[str], n: int, seed: int) -> list[object]:
    rng = random.Random(seed)
    return [item_move(f"S{rng.randint(1, 30)}", rng.randint(1, 9), None, rng.choice(bins),
                      wh=wh, t=i) for i in range(n)]


def _wait_up(settings: object) -> str:
    base = f"http://127.0.0.1:{settings.port}"  # type: ignore[attr-defined]
    wait_http(f"{base}/healthz", timeout=60)
    wait_mqtt_connected(base)
    return base


def test_hub_sigkilled_mid_stream_loses_and_doubles_nothing(
        fresh_db_url: str, mqtt_broker: tuple[str, int]) -> None:
    wh = "KILL" + fresh_db_url[-8:]
    bins = seed_site(fresh_db_url, wh)
    ensure_admin(fresh_db_url)
    settings = hub_settings(fresh_db_url, batch_max_events=200)
    events = _events(wh, bins, 6000, 1)
    pub = Publisher(*mqtt_broker)
    with hub_process(settings) as first:
        _wait_up(settings)
        for i in range(0, len(events), 50):
            pub.publish(topic(wh, "gw-k", "moves"), encode_batch(events[i:i + 50]))
        pub.flush()
        with connect(fresh_db_url) as conn:
            wait_for(conn, "SELECT count(*) > 500 FROM moves", True)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    with connect(fresh_db_url) as conn:
        at_kill = conn.execute("SELECT count(*) FROM moves").fetchone()[0]
    assert at_kill < len(events), "the hub finished before it was killed: test proves nothing"
    with hub_process(settings):  # same client id: the broker kept its session and messages
        _wait_up(settings)
        with connect(fresh_db_url) as conn:
            assert wait_for(conn, "SELECT count(*) FROM moves", 6000, timeout=120) == 6000
            total = conn.execute("SELECT sum(quantity) FROM balances").fetchone()[0]
    pub.close()
    assert total == sum(e.item.quantity for e in events)  # type: ignore[attr-defined]


def test_two_hubs_split_the_stream_and_the_ledger_is_exact(
        fresh_db_url: str, mqtt_broker: tuple[str, int]) -> None:
    wh = "PAIR" + fresh_db_url[-8:]
    bins = seed_site(fresh_db_url, wh)
    ensure_admin(fresh_db_url)
    one = hub_settings(fresh_db_url)
    two = hub_settings(fresh_db_url, mqtt_shared_group=one.mqtt_shared_group)
    events = _events(wh, bins, 5000, 2)
    with hub_process(one), hub_process(two):
        bases = [_wait_up(one), _wait_up(two)]
        pub = Publisher(*mqtt_broker)
        for i in range(0, len(events), 25):
            pub.publish(topic(wh, "gw-p", "moves"), encode_batch(events[i:i + 25]))
        pub.close()
        with connect(fresh_db_url) as conn:
            assert wait_for(conn, "SELECT count(*) FROM moves", 5000, timeout=120) == 5000
            total = conn.execute("SELECT sum(quantity) FROM balances").fetchone()[0]
        shares = []
        for base in bases:
            text = httpx.get(f"{base}/metrics", timeout=10).text
            shares.append(int(float(re.search(r"^stockpulse_events_applied_total (\S+)$", text,
                                              re.M).group(1))))  # type: ignore[union-attr]
    assert total == sum(e.item.quantity for e in events)  # type: ignore[attr-defined]
    assert sum(shares) == 5000 and min(shares) > 0, f"both hubs should apply some: {shares}"
