"""Issue 18's ingest findings, replayed over MQTT and REST by the holder of ONE gateway's
credentials (gateway A of warehouse 1): poison health, events nested too deep, the hubs'
shared group and client id, far-future moves, oversized messages, unregistered gateways and
big batches with one bad event. Each case says what it saw in its Evidence."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import psycopg

from protocol import MAX_PAYLOAD_BYTES, Channel, encode_batch, encode_event, event_to_dict, topic
from tests.system.probe_kit import SKU, Evidence, Probe, item, pallet, until

POISON_HEALTH = [b'{"queue_depth": 1e30}', b'{"queue_depth": Infinity}',
                 b'{"queue_depth": NaN}', b'{"state": "online", "note": "a\\u0000b"}',
                 ("[" * 10_000 + "]" * 10_000).encode()]


def _own(p: Probe, channel: Channel) -> str:
    return topic(p.gw_a.warehouse, p.gw_a.gateway, channel)


def _move_of_b(p: Probe, ev: Evidence, what: str, timeout: float = 15.0) -> None:
    """Gateway B (warehouse 2) sends one move; it must apply within `timeout`."""
    move = item(p.wh2, SKU, 1, p.bins(p.wh2)[0])
    sender = p.mqtt(p.gw_b)
    sender.result()
    sender.publish(topic(p.wh2, p.gw_b.gateway, Channel.MOVES), encode_event(move))
    count, waited = p.wait_applied(p.wh2, [str(move.event_id)], timeout)
    ev.check(count == 1, f"{what}: warehouse 2's next move applied after {waited:.1f} s")
    sender.close()


def poison_health(p: Probe, ev: Evidence) -> None:
    """Critical 1: heartbeat/status with 1e30, Infinity, NaN, NUL, 10,000 levels (retained
    too) on gateway A's own topics."""
    before = len(p.dead_letters(p.wh1))
    gw = p.mqtt(p.gw_a)
    ev.check(not gw.result().is_failure, "gateway A connects with its own credentials")
    for payload in POISON_HEALTH:
        gw.publish(_own(p, Channel.HEARTBEAT), payload)
        gw.publish(_own(p, Channel.STATUS), payload, retain=True)
    gw.publish(_own(p, Channel.STATUS), b'{"state": "online", "queue_depth": 1e30}',
               retain=True)  # the retained status that sits in the hub's session
    ev.note(f"published {2 * len(POISON_HEALTH) + 1} poison heartbeats/statuses, the last "
            "status retained")
    _move_of_b(p, ev, "after the poison")
    letters = until(lambda: (n := len(p.dead_letters(p.wh1)) - before) >= 11 and n, 15)
    ev.check(letters, f"the poison became dead letters with reasons ({letters or 0} of 11)")
    reasons = " | ".join(sorted({d["reason"][:60] for d in p.dead_letters(p.wh1)}))
    ev.note(f"reasons: {reasons[:400]}")
    health = p.health()
    ev.check(health.get("mqtt") == "connected" and health.get("status") == "ok",
             f"/healthz after the poison: {health}")
    gw.publish(_own(p, Channel.HEARTBEAT), b'{"queue_depth": 4}')

    def depth() -> object:
        with p.http() as admin:
            rows = admin.get("/api/v1/gateways", params={"warehouse": p.wh1}).json()
        return next((r["queue_depth"] for r in rows if r["gateway"] == p.gw_a.gateway), None)

    ev.check(until(lambda: depth() == 4, 10), "the decoder lives on: gateway A's next good "
                                               f"heartbeat is stored (queue_depth {depth()})")
    p.hub.restart()  # the retained poison status is handed to the restarted hub again
    ev.note(f"hub restarted with the same client id {p.hub.client_id}")
    _move_of_b(p, ev, "after a hub restart with the retained poison status")
    gw.publish(_own(p, Channel.STATUS), b"", retain=True)  # clear the retained status
    gw.close()


def backlog_in_healthz(p: Probe, ev: Evidence) -> None:
    """Critical 1: /healthz kept answering ok while ingest stood still. The operator holds
    warehouse 2's apply lock in PostgreSQL (a stalled database, as far as ingest can tell)."""
    move = item(p.wh2, SKU, 1, p.bins(p.wh2)[1])
    with psycopg.connect(p.db_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"stockpulse:wh:{p.wh2}",))
        sender = p.mqtt(p.gw_b)
        sender.result()
        sender.publish(topic(p.wh2, p.gw_b.gateway, Channel.MOVES), encode_event(move))
        degraded = until(lambda: (h := p.health()).get("status") == "degraded" and h, 15)
        ev.check(degraded, f"/healthz while a message waits unacknowledged: "
                           f"{degraded or p.health()}")
    count, waited = p.wait_applied(p.wh2, [str(move.event_id)])
    ev.check(count == 1, f"the waiting move applied {waited:.1f} s after the lock went")
    ev.check(until(lambda: p.health().get("status") == "ok", 15), "/healthz ok again")
    sender.close()


def _batch_with_deep_event(p: Probe, depth: int, size: int = 50, bad: int = 7
                           ) -> tuple[bytes, list[str]]:
    events = [event_to_dict(item(p.wh1, SKU, 1, p.bins(p.wh1)[i % 3])) for i in range(size)]
    events[bad]["extra_note"] = "__DEEP__"
    good = [str(e["event_id"]) for i, e in enumerate(events) if i != bad]
    text = json.dumps({"events": events}).replace('"__DEEP__"', "[" * depth + "]" * depth)
    return text.encode(), good


def deep_extra_field(p: Probe, ev: Evidence) -> None:
    """Critical 2: an extra field nested 255-999 levels stalled its batch (MQTT) and made
    REST answer 500, dropping the good events; 1,000 such messages stalled every warehouse."""
    gw = p.mqtt(p.gw_a)
    gw.result()
    payload, good = _batch_with_deep_event(p, 300)
    gw.publish(_own(p, Channel.MOVES), payload)
    count, waited = p.wait_applied(p.wh1, good)
    ev.check(count == 49, f"MQTT: {count} of the batch's 49 good events applied "
                          f"({waited:.1f} s)")
    letters = len(p.dead_letters(p.wh1))
    started = time.monotonic()
    for depth in range(255, 1000, 3):  # 249 messages, each one event nested that deep
        one, _ = _batch_with_deep_event(p, depth, size=1, bad=0)
        gw.publish(_own(p, Channel.MOVES), one)
    ev.note(f"249 messages with one event nested 255-999 levels sent in "
            f"{time.monotonic() - started:.1f} s")
    _move_of_b(p, ev, "after 249 deeply nested messages")
    more = until(lambda: (n := len(p.dead_letters(p.wh1)) - letters) >= 249 and n, 15)
    ev.check(more, f"each became a dead letter ({more or 0} of 249)")
    with p.http(p.tokens[p.gw_a.username]) as device:
        rest_payload, rest_good = _batch_with_deep_event(p, 300)
        r = device.post("/api/v1/moves", content=rest_payload)
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    invalid = [i.get("index") for i in body.get("invalid", [])]
    ev.check(r.status_code == 200 and body.get("applied") == 49 and invalid == [7],
             f"REST: {r.status_code}, applied {body.get('applied')}, invalid {invalid}")
    ev.check(len(p.applied(p.wh1, rest_good)) == 49, "REST: the 49 good events are in the ledger")
    gw.close()


SHARE_FILTERS = ["$share/hub/stockpulse/v1/+/+/moves", "stockpulse/v1/+/+/moves", "#",
                 "$share/hub/#", "$share/spy/stockpulse/v1/#"]


def shared_group_and_client_id(p: Probe, ev: Evidence) -> None:
    """Critical 3: gateway credentials joined the hubs' shared group (and took half of every
    warehouse's moves) or connected with the hub's guessable client id."""
    spies = []
    for proto, name in ((mqtt.MQTTv311, "3.1.1"), (mqtt.MQTTv5, "5")):
        if spies:  # one client id per gateway: the next spy would take over this one
            spies[-1].close()
        spy = p.mqtt(p.gw_a, protocol=proto)
        spies.append(spy)
        spy.result()
        answers = spy.subscribe(*SHARE_FILTERS, topic(p.wh2, p.gw_b.gateway, Channel.MOVES))
        ev.check(all(rc.is_failure for rc in answers),
                 f"gateway A's SUBACKs (MQTT {name}): {[str(rc) for rc in answers]}")
    for stolen in (p.hub.client_id, p.gw_b.username, "stockpulse-hub-1"):
        thief = p.mqtt(p.gw_a, client_id=stolen)
        ev.check(thief.result().is_failure, f"gateway A connecting as {stolen!r} is refused")
    ev.check(p.health().get("mqtt") == "connected", "the hub stays connected")
    sender = p.mqtt(p.gw_b)
    sender.result()
    moves = [item(p.wh2, SKU, 1, p.bins(p.wh2)[2]) for _ in range(100)]
    for move in moves:
        sender.publish(topic(p.wh2, p.gw_b.gateway, Channel.MOVES), encode_event(move))
    count, waited = p.wait_applied(p.wh2, [str(m.event_id) for m in moves], 20)
    ev.check(count == 100, f"{count} of 100 moves sent by gateway B applied ({waited:.1f} s)")
    stolen_moves = sum(spy.messages.qsize() for spy in spies)
    ev.check(stolen_moves == 0, f"the spies received {stolen_moves} messages")


def far_future_move(p: Probe, ev: Evidence) -> None:
    """High 9: a unit move dated 9999-12-31 froze its pallet; every later move was late."""
    sscc = "106141410000000017"
    bins = p.bins(p.wh1)
    far = datetime(9999, 12, 31, tzinfo=UTC)
    gw = p.mqtt(p.gw_a)
    gw.result()
    gw.publish(_own(p, Channel.MOVES), encode_event(pallet(p.wh1, sscc, bins[0], when=far)))
    with p.http(p.tokens[p.gw_a.username]) as device:
        r = device.post("/api/v1/moves", content=encode_batch([pallet(p.wh1, sscc, bins[0],
                                                                      when=far)]))
    body = r.json()
    ev.check(r.status_code == 200 and body["applied"] == 0 and body["invalid"],
             f"REST: applied {body.get('applied')}, invalid {body.get('invalid')}")
    real = pallet(p.wh1, sscc, bins[1])
    gw.publish(_own(p, Channel.MOVES), encode_event(real))
    count, _ = p.wait_applied(p.wh1, [str(real.event_id)])
    ev.check(count == 1, "a real move of the pallet dated now applies")
    with p.http() as admin:
        where = admin.get(f"/api/v1/units/{sscc}").json()
    ev.check(where.get("location") == bins[1], f"the pallet is where the real move put it: "
                                               f"{where.get('location')}")
    ev.check(any("ahead of the hub's clock" in d["reason"] for d in p.dead_letters(p.wh1)),
             "MQTT: the far-future move is a dead letter with its reason")
    gw.close()


def message_size_limit(p: Probe, ev: Evidence) -> None:
    """Medium: the broker stored a 10 MB move payload whole; GET /dead-letters returned
    172 MB at once."""
    gw = p.mqtt(p.gw_a)
    gw.result()
    gw.client.publish(_own(p, Channel.MOVES), b"x" * (10 * 1024 * 1024), qos=1)
    ev.check(gw.disconnected.wait(15), "the broker cut gateway A off for a 10 MB message")
    gw.close()
    gw = p.mqtt(p.gw_a)
    gw.result()
    gw.client.publish(_own(p, Channel.MOVES), b"y" * (MAX_PAYLOAD_BYTES + 1), qos=1)
    gw.acks.get(timeout=15)
    after = p.mqtt(p.gw_a)
    after.result()
    move = item(p.wh1, SKU, 1, p.bins(p.wh1)[0])
    after.publish(_own(p, Channel.MOVES), encode_event(move))
    ev.check(p.wait_applied(p.wh1, [str(move.event_id)])[0] == 1, "the next move applies")
    sizes = [d["raw_size"] for d in p.dead_letters(p.wh1)]
    ev.check(max(sizes, default=0) <= MAX_PAYLOAD_BYTES,
             f"no dead letter holds more than 64 KiB (largest {max(sizes, default=0)} B)")
    with p.http() as admin:
        page = admin.get("/api/v1/dead-letters", params={"limit": 500})
    ev.check(page.status_code == 200 and len(page.content) < 4 * 1024 * 1024
             and "raw_base64" not in page.text,
             f"GET /dead-letters?limit=500: {len(page.content)} bytes, no payloads")
    ev.check(admin_refuses(p, "/api/v1/dead-letters", {"limit": 100_000}),
             "a page bigger than 500 is refused")
    gw.close()
    after.close()


def admin_refuses(p: Probe, path: str, params: dict[str, object]) -> bool:
    with p.http() as admin:
        return admin.get(path, params=params).status_code == 422  # type: ignore[arg-type]


def unregistered_gateway(p: Probe, ev: Evidence) -> None:
    """Medium: moves on an unregistered gateway's topic were accepted silently; a refused
    batch's good events could not be replayed."""
    gw = p.mqtt(p.gw_c)  # has broker credentials, never registered at the hub
    gw.result()
    moves = [item(p.wh1, SKU, 1, p.bins(p.wh1)[1]) for _ in range(3)]
    gw.publish(topic(p.wh1, p.gw_c.gateway, Channel.MOVES), encode_batch(moves))
    found = until(lambda: [d for d in p.dead_letters(p.wh1)
                           if "not registered" in d["reason"] and p.gw_c.gateway in d["reason"]])
    ev.check(found, f"a dead letter names the unregistered gateway: "
                    f"{found[0]['reason'][:120] if found else None}")
    ids = [str(m.event_id) for m in moves]
    ev.check(not p.applied(p.wh1, ids), "none of its moves applied")
    if not found:
        return
    done = p.hub.cli("gateways", "add", p.wh1, p.gw_c.gateway, "--days", "1")
    ev.check(done.returncode == 0, "the operator registers the gateway")
    with p.http() as admin:
        r = admin.post(f"/api/v1/dead-letters/{found[0]['id']}/replay")
    ev.check(r.status_code == 200 and r.json().get("applied") == 3,
             f"replayed: {r.status_code} {r.text[:160]}")
    ev.check(len(p.applied(p.wh1, ids)) == 3, "the 3 moves are in the ledger")
    gw.close()


def big_batch_one_bad(p: Probe, ev: Evidence) -> None:
    """Medium: a 10,000-event batch with one bad event dead-lettered all 9,999 good ones."""
    events = [event_to_dict(item(p.wh1, SKU, 1, p.bins(p.wh1)[i % 3])) for i in range(10_000)]
    events[4321]["item"]["quantity"] = -1
    with p.http(p.tokens[p.gw_a.username]) as device:
        whole = device.post("/api/v1/moves", content=json.dumps(events).encode())
        ev.note(f"REST, 10,000 events at once: {whole.status_code} {whole.text[:120]}")
        applied, invalid = whole.json().get("applied", 0), []
        if whole.status_code == 413:  # told to send smaller batches: the integrator does
            applied = 0
            for start in range(0, 10_000, 2_500):
                part = device.post("/api/v1/moves",
                                   content=json.dumps(events[start:start + 2_500]).encode())
                applied += part.json().get("applied", 0)
                invalid += [start + i["index"] for i in part.json().get("invalid", [])]
        else:
            invalid = [i["index"] for i in whole.json().get("invalid", [])]
    ev.check(applied == 9_999 and invalid == [4321],
             f"REST: {applied} of 9,999 good events applied, invalid {invalid}")
    gw = p.mqtt(p.gw_a)
    gw.result()
    batch = [event_to_dict(item(p.wh1, SKU, 1, p.bins(p.wh1)[i % 3])) for i in range(150)]
    batch[77]["item"]["quantity"] = -1
    payload = json.dumps({"events": batch}).encode()
    gw.publish(_own(p, Channel.MOVES), payload)
    good = [str(e["event_id"]) for i, e in enumerate(batch) if i != 77]
    count, _ = p.wait_applied(p.wh1, good)
    ev.check(count == 149, f"MQTT ({len(payload)} B batch): {count} of 149 good events applied")
    gw.close()
