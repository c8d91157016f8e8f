"""One bad message never stops the hub (issue 18): poison gateway health, events nested too deep
or refused by the database, far-future dates, unregistered gateways — each costs only itself,
on MQTT (through the real hub, Mosquitto and PostgreSQL) and on REST."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from cloud_hub.db.database import connect
from protocol import encode_batch, encode_event, event_to_dict, topic
from tests.hub.isolation_site import (
    POISON_SKU,
    Site,
    dumps,
    isolation_site,
    nested,
    until,
    with_field,
)
from tests.hub.mqtt_tools import Publisher
from tests.hub.test_ingest import seed_site, wait_for
from tests.hub_fixtures import running_hub
from tests.ledger.factories import item_move, unit_move

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def site(pg_server_url: str, mqtt_broker: tuple[str, int]) -> Iterator[Site]:
    with isolation_site(mqtt_broker, ingest_degraded_after_s=0.5) as s:
        yield s


def moves_in(wh: str) -> str:
    return f"SELECT count(*) FROM moves WHERE warehouse = '{wh}'"  # wh: made by the test


def letters_in(wh: str) -> str:
    return f"SELECT count(*) FROM dead_letters WHERE warehouse = '{wh}'"


POISON_HEALTH = [b'{"queue_depth": 1e30}', b'{"queue_depth": Infinity}',
                 b'{"queue_depth": NaN}', b'{"state": "online", "note": "a\\u0000b"}',
                 nested(10_000).encode()]


def test_poison_heartbeat_or_status_of_one_gateway_stops_no_warehouse(site: Site) -> None:
    bad_wh, _ = site.warehouse("gw-bad")
    other, bins = site.warehouse("gw-ok")
    for payload in POISON_HEALTH:
        for channel in ("heartbeat", "status"):
            site.publish(topic(bad_wh, "gw-bad", channel), payload)
    site.publish(topic(other, "gw-ok", "moves"),
                 encode_event(item_move("S", 3, None, bins[0], wh=other)))
    assert site.wait(moves_in(other), 1) == 1
    assert site.wait(letters_in(bad_wh), 10) == 10
    with connect(site.url) as conn:
        reasons = " | ".join(r for (r,) in conn.execute(
            "SELECT reason FROM dead_letters WHERE warehouse = %s", (bad_wh,)))
    assert "nested 10000 levels" in reasons and "finite" in reasons and "NUL" in reasons
    # the decoding thread lives on: the same gateway's next good heartbeat is stored
    site.publish(topic(bad_wh, "gw-bad", "heartbeat"), b'{"queue_depth": 4}')
    assert site.wait(f"SELECT queue_depth FROM gateways WHERE warehouse = '{bad_wh}'", 4) == 4


def test_retained_poison_status_does_not_stall_a_restarted_hub(
        fresh_db_url: str, mqtt_broker: tuple[str, int]) -> None:
    wh = f"R{uuid.uuid4().hex[:8]}"
    bins = seed_site(fresh_db_url, wh)
    tag = uuid.uuid4().hex[:8]
    same_session = {"mqtt_client_id": f"hub-test-{tag}", "mqtt_shared_group": f"hubtest{tag}"}
    publisher = Publisher(*mqtt_broker)
    poison = topic(wh, "gw-bad", "status")
    publisher.publish(poison, b'{"state": "online", "queue_depth": 1e30}', retain=True)
    publisher.flush()
    try:
        for start in (1, 2):  # the broker hands the retained status to each start again
            with running_hub(fresh_db_url, **same_session) as hub:
                publisher.publish(topic(wh, "gw-a", "moves"),
                                  encode_event(item_move("S", 1, None, bins[0], wh=wh)))
                publisher.flush()
                with connect(fresh_db_url) as conn:
                    assert wait_for(conn, moves_in(wh), start, timeout=20) == start
                    assert wait_for(conn, letters_in(wh), start, timeout=20) == start
                metrics = httpx.get(f"{hub.base_url}/metrics", timeout=10).text
                # development's rule: an unregistered gateway's moves apply, flagged
                assert re.search(r"^stockpulse_unregistered_gateway_messages_total [1-9]",
                                 metrics, re.M)
    finally:
        publisher.publish(poison, b"", retain=True)  # leave the shared broker clean
        publisher.close()


def _batch_with(wh: str, bins: list[str], bad: dict[int, dict[str, object]]) -> bytes:
    events = [event_to_dict(item_move("S", 1, None, bins[i % len(bins)], wh=wh, t=i))
              for i in range(50)]
    for index, body in bad.items():
        events[index] = body
    return dumps({"events": events})


def test_an_event_nested_too_deep_costs_only_itself_in_its_batch(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    for depth in (300, 10_000):  # 255-999: pydantic read it, then could not write it
        deep = with_field(item_move("S", 1, None, bins[0], wh=wh), "deep", nested(depth))
        site.publish(topic(wh, "gw-a", "moves"), _batch_with(wh, bins, {7: deep}))
    assert site.wait(moves_in(wh), 98) == 98
    assert site.wait(letters_in(wh), 2) == 2
    with connect(site.url) as conn:
        reasons = [r for (r,) in conn.execute(
            "SELECT reason FROM dead_letters WHERE warehouse = %s ORDER BY id", (wh,))]
    assert all(r.startswith("event 7 of batch") and "nested" in r for r in reasons), reasons


def test_an_event_the_database_refuses_is_split_out_of_its_window(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    poison = event_to_dict(item_move(POISON_SKU, 1, None, bins[0], wh=wh))
    site.publish(topic(wh, "gw-a", "moves"), _batch_with(wh, bins, {20: poison}))
    assert site.wait(moves_in(wh), 49) == 49
    assert site.wait(letters_in(wh), 1) == 1
    reason, raw = site.value("SELECT ARRAY[reason, convert_from(raw, 'UTF8')] FROM dead_letters "
                             "WHERE warehouse = %s", wh)
    assert "SQLSTATE 22003" in reason and json.loads(raw)["event_id"] == poison["event_id"]
    # ... and nothing is retried forever: later moves of the warehouse apply
    site.publish(topic(wh, "gw-a", "moves"), encode_event(item_move("S", 1, None, bins[1],
                                                                    wh=wh)))
    assert site.wait(moves_in(wh), 50) == 50


def test_rest_batch_applies_its_good_events_and_reports_each_bad_one(site: Site) -> None:
    wh, bins = site.warehouse()
    good = [item_move("S", 2, None, bins[0], wh=wh, t=i) for i in range(2)]
    deep = with_field(item_move("S", 1, None, bins[0], wh=wh), "deep", nested(300))
    refused = event_to_dict(item_move(POISON_SKU, 1, None, bins[0], wh=wh))
    body = dumps([event_to_dict(good[0]), deep, refused, event_to_dict(good[1])])
    with site.api() as api:
        reply = api.post("/api/v1/moves", content=body)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["applied"] == 2
    assert [i["index"] for i in answer["invalid"]] == [1, 2]
    assert "nested" in answer["invalid"][0]["reason"]
    assert "database refused" in answer["invalid"][1]["reason"]
    assert site.value(moves_in(wh)) == 2


def test_a_move_dated_beyond_the_clock_tolerance_is_refused(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    far = unit_move("106141410000000017", None, bins[1], wh=wh).model_copy(
        update={"occurred_at": datetime(9999, 12, 31, tzinfo=UTC)})
    site.publish(topic(wh, "gw-a", "moves"), encode_event(far))
    assert site.wait(letters_in(wh), 1) == 1
    assert "ahead of the hub's clock" in site.value(
        "SELECT reason FROM dead_letters WHERE warehouse = %s", wh)
    real = unit_move("106141410000000017", None, bins[2], wh=wh).model_copy(
        update={"occurred_at": datetime.now(UTC)})
    site.publish(topic(wh, "gw-a", "moves"), encode_event(real))
    assert site.wait(moves_in(wh), 1) == 1
    assert site.value("SELECT location FROM units WHERE warehouse = %s", wh) == bins[2]
    # REST: refused with its reason, while a clock a minute fast is within tolerance
    soon = item_move("S", 1, None, bins[0], wh=wh).model_copy(
        update={"occurred_at": datetime.now(UTC) + timedelta(minutes=1)})
    with site.api() as api:
        answer = api.post("/api/v1/moves", content=encode_batch([far, soon])).json()
    assert answer["applied"] == 1 and answer["invalid"][0]["index"] == 0
    assert "ahead of the hub's clock" in answer["invalid"][0]["reason"]


def test_moves_of_an_unregistered_gateway_are_dead_letters_until_registered(
        site: Site) -> None:
    wh, bins = site.warehouse("gw-known")
    site.publish(topic(wh, "gw-known", "moves"),
                 encode_event(item_move("S", 1, None, bins[0], wh=wh)))
    site.publish(topic(wh, "gw-rogue", "moves"),
                 encode_batch([item_move("S", 5, None, bins[1], wh=wh, t=i) for i in range(3)]))
    assert site.wait(letters_in(wh), 1) == 1
    assert site.wait(moves_in(wh), 1) == 1
    letter, reason = site.value("SELECT ARRAY[id::text, reason] FROM dead_letters "
                                "WHERE warehouse = %s", wh)
    assert "'gw-rogue'" in reason and "not registered" in reason
    with site.api() as api:
        refused = api.post(f"/api/v1/dead-letters/{letter}/replay")
        assert refused.status_code == 409 and "still not registered" in refused.text
        site.register(wh, "gw-rogue")
        replayed = api.post(f"/api/v1/dead-letters/{letter}/replay").json()
        assert (replayed["applied"], replayed["resolved"]) == (3, True)
        shown = api.get(f"/api/v1/dead-letters/{letter}").json()
    assert shown["resolved_at"] is not None and shown["replay"]["applied"] == 3
    assert site.value(moves_in(wh)) == 4


def test_healthz_degrades_while_a_message_waits_unacknowledged(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    base = site.hub.base_url

    def health() -> dict[str, object]:
        return httpx.get(f"{base}/healthz", timeout=10).json()  # type: ignore[no-any-return]

    with connect(site.url) as holder:  # the warehouse's apply lock: its moves must wait
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"stockpulse:wh:{wh}",))
        site.publish(topic(wh, "gw-a", "moves"),
                     encode_event(item_move("S", 1, None, bins[0], wh=wh)))
        degraded = until(lambda: health()["status"] == "degraded" and health())
        assert degraded, "healthz never said degraded while a message waited"
        assert degraded["mqtt_oldest_unacked_s"] > 0.5  # type: ignore[index,operator]
        metrics = httpx.get(f"{base}/metrics", timeout=10).text
        waited = re.search(r"^stockpulse_mqtt_oldest_unacked_seconds (\S+)$", metrics, re.M)
        assert waited and float(waited.group(1)) > 0.5
    assert site.wait(moves_in(wh), 1) == 1  # the lock is gone with its connection
    assert until(lambda: health()["status"] == "ok")
