"""The supervisor's dead-letter queue (issue 18): a refused batch's good events replayed,
payloads stored capped, lists paged and free of payloads."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import pytest

from protocol import encode_event, event_to_dict, topic
from tests.hub.isolation_site import Site, isolation_site
from tests.hub.test_ingest_isolation import letters_in, moves_in
from tests.ledger.factories import item_move

pytestmark = pytest.mark.integration
CAP = 256 * 1024  # HUB_DEAD_LETTER_MAX_BYTES for this module


@pytest.fixture(scope="module")
def site(pg_server_url: str, mqtt_broker: tuple[str, int]) -> Iterator[Site]:
    # the default cap (HUB_DEAD_LETTER_MAX_BYTES, 4 MiB) keeps a 10,000-event batch (~2.2 MB)
    # whole; the capping test lowers it, so as not to send megabytes
    with isolation_site(mqtt_broker) as s:
        yield s


def test_ten_thousand_event_batch_with_one_bad_event_is_replayed_but_the_bad_one(
        site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    events = [event_to_dict(item_move(f"S{i % 40}", 1, None, bins[i % 20], wh=wh, t=i))
              for i in range(10_000)]
    events[4321]["item"]["quantity"] = -1  # type: ignore[index]
    payload = json.dumps({"events": events}).encode()
    site.publish(topic(wh, "gw-a", "moves"), payload)
    assert site.wait(letters_in(wh), 1) == 1  # over one message's 64 KiB: refused whole
    letter = site.value("SELECT id FROM dead_letters WHERE warehouse = %s", wh)
    with site.api() as api:
        first = api.post(f"/api/v1/dead-letters/{letter}/replay")
        assert first.status_code == 200, first.text
        again = api.post(f"/api/v1/dead-letters/{letter}/replay").json()
    report = first.json()
    assert (report["applied"], report["resolved"]) == (9_999, False)
    assert [i["index"] for i in report["invalid"]] == [4321]
    assert "quantity" in report["invalid"][0]["reason"]
    assert (again["applied"], again["duplicates"]) == (0, 9_999)  # nothing applied twice
    assert site.value(moves_in(wh)) == 9_999


def test_an_event_refused_alone_is_replayed_alone(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    good = item_move("S", 2, None, bins[0], wh=wh)
    stray = event_to_dict(item_move("S", 1, None, bins[0], wh=wh))
    stray["warehouse"] = "ELSEWHERE"
    site.publish(topic(wh, "gw-a", "moves"),
                 json.dumps({"events": [event_to_dict(good), stray]}).encode())
    assert site.wait(letters_in(wh), 1) == 1 and site.wait(moves_in(wh), 1) == 1
    letter = site.value("SELECT id FROM dead_letters WHERE warehouse = %s", wh)
    with site.api() as api:
        report = api.post(f"/api/v1/dead-letters/{letter}/replay").json()
    assert report["applied"] == 0 and "ELSEWHERE" in report["invalid"][0]["reason"]
    assert report["resolved"] is False


def test_dead_letters_are_stored_capped_and_listed_in_pages_without_payloads(
        fresh_db_url: str, mqtt_broker: tuple[str, int]) -> None:
    with isolation_site(mqtt_broker, dead_letter_max_bytes=CAP) as site:
        wh, _ = site.warehouse("gw-a")
        huge = (b'{"events": [' + b"7," * 600_000)[:1_200_000]  # 1.2 MB, not JSON
        site.publish(topic(wh, "gw-a", "moves"), huge)
        for i in range(4):
            site.publish(topic(wh, "gw-a", "moves"), b"{not json %d" % i)
        assert site.wait(letters_in(wh), 5) == 5
        with site.api() as api:
            pages, cursor = [], None
            while True:
                params: dict[str, object] = {"warehouse": wh, "limit": 2}
                if cursor is not None:
                    params["cursor"] = cursor
                reply = api.get("/api/v1/dead-letters", params=params)
                assert len(reply.content) < 20_000  # no payloads in lists
                page = reply.json()
                pages.append(page["items"])
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            listed = [item for page in pages for item in page]
            big = next(i for i in listed if i["raw_size"] == len(huge))
            detail = api.get(f"/api/v1/dead-letters/{big['id']}").json()
            replay = api.post(f"/api/v1/dead-letters/{big['id']}/replay")
    assert [len(p) for p in pages][:3] == [2, 2, 1]
    ids = [i["id"] for i in listed]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5  # newest first, each once
    assert all("raw_base64" not in i for i in listed)
    assert (big["raw_stored"], big["raw_truncated"]) == (CAP, True)
    assert big["raw_sha256"] == hashlib.sha256(huge).hexdigest()
    assert base64.b64decode(detail["raw_base64"]) == huge[:CAP]
    assert replay.status_code == 409 and "truncated" in replay.text


def test_a_replayed_letter_is_resolved_and_shown_so(site: Site) -> None:
    wh, bins = site.warehouse("gw-a")
    late_gateway = "gw-new"  # not registered when its move came
    site.publish(topic(wh, late_gateway, "moves"),
                 encode_event(item_move("S", 1, None, bins[0], wh=wh)))
    assert site.wait(letters_in(wh), 1) == 1
    letter = site.value("SELECT id FROM dead_letters WHERE warehouse = %s", wh)
    site.register(wh, late_gateway)
    with site.api() as api:
        assert api.post(f"/api/v1/dead-letters/{letter}/replay").json()["resolved"] is True
        open_ones = api.get("/api/v1/dead-letters", params={"warehouse": wh}).json()["items"]
        every = api.get("/api/v1/dead-letters", params={"warehouse": wh,
                                                        "include_resolved": True}).json()
    assert not [i for i in open_ones if i["warehouse"] == wh]
    assert [i["replay"]["applied"] for i in every["items"] if i["id"] == letter] == [1]
