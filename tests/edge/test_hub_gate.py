"""The edge publishes moves only while a hub has announced its subscription: while no hub is
there the events stay in the outbox, and they drain once one announces; across a broker
restart that lost the hub's subscription nothing is published into the void."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from gateway_helpers import Collector, PrivateBroker, make_event, private_broker
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cloud_hub.ingest.mqtt.presence import HubAnnouncer
from edge.hub_gate import HubGate
from edge.outbox import SqliteOutbox
from edge.publisher import MqttPublisher
from edge.settings import MqttSettings
from protocol import Channel, decode_message, subscription
from protocol.topics import HubPresence, hub_presence_id, hub_presence_topic

GATED = MqttSettings(host="127.0.0.1", backoff_min_s=0.1, backoff_max_s=0.5,
                     connect_timeout_s=5, wait_for_hub=True)
MOVES = subscription(Channel.MOVES, "hub")


# -- the gate itself (pure) -------------------------------------------------------------------
def online(hub: str) -> tuple[str, bytes]:
    return hub_presence_topic(hub), HubPresence(hub, True, "hub", (MOVES,)).encode()


def test_the_gate_opens_on_an_online_hub_and_closes_when_none_is_left() -> None:
    gate = HubGate()
    assert not gate.open
    gate.observe(*online("hub-1"))
    gate.observe(*online("hub-2"))
    assert gate.open and set(gate.online) == {"hub-1", "hub-2"}
    gate.observe(hub_presence_topic("hub-1"), b"")  # hub-1's will deletes its claim
    assert gate.open
    gate.observe(hub_presence_topic("hub-2"), HubPresence("hub-2", False).encode())
    assert not gate.open


@pytest.mark.parametrize("topic, payload", [
    ("stockpulse/hub/presence/hub-1", b"not json"),
    ("stockpulse/hub/presence/hub-1", b'{"state": "maybe"}'),
    ("stockpulse/hub/presence/hub-1", b"[1, 2]"),
    ("stockpulse/hub/presence/hub-1", b"[" * 10_000 + b"]" * 10_000),  # no RecursionError
    ("stockpulse/v1/WH1/gw/status", b'{"state": "online"}'),
])
def test_a_message_that_is_not_a_presence_never_opens_the_gate(topic: str,
                                                                payload: bytes) -> None:
    gate = HubGate()
    assert gate.observe(topic, payload) is None
    assert not gate.open and gate.ignored == 1


def test_a_new_connection_forgets_every_hub() -> None:
    gate = HubGate()
    gate.observe(*online("hub-1"))
    gate.reset()
    assert not gate.open


def test_a_client_id_becomes_one_topic_level() -> None:
    assert hub_presence_id("stockpulse-hub-box.local-1") == "stockpulse-hub-box.local-1"
    assert hub_presence_id("hub/a+b#c") == "hub-a-b-c"
    assert hub_presence_id("x" * 100) == "x" * 64


# -- against a real Mosquitto -----------------------------------------------------------------

class StandInHub:
    """A hub replica as the broker sees it: a persistent MQTT 5 session on the shared moves
    subscription, announced by the hub's own HubAnnouncer once the SUBACK is in."""

    def __init__(self, port: int, client_id: str | None = None) -> None:
        self.port = port
        self.client_id = client_id or f"hub-{uuid.uuid4().hex[:8]}"
        self.ids: set[str] = set()
        self._cond = threading.Condition()
        self.client = self._new_client()

    def _new_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5)
        self.announcer = HubAnnouncer(client, self.client_id, "hub", MOVES)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        return client

    def _on_connect(self, client: mqtt.Client, *_a: object) -> None:
        _rc, mid = client.subscribe(MOVES, qos=1)
        self.announcer.expect(mid)

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.ids.update(str(e.event_id) for e in decode_message(msg.payload).events)
            self._cond.notify_all()

    def connect(self) -> StandInHub:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        self.client.loop_start()
        return self

    def reconnect(self) -> None:
        """The same replica again (same session), as after its reconnect delay."""
        self.client.loop_stop()
        self.client = self._new_client()
        self.connect()

    def vanish(self) -> None:
        """The connection dies without DISCONNECT: the broker sends the will."""
        sock = self.client.socket()
        assert sock is not None
        sock.shutdown(2)
        self.client.loop_stop()

    def wait_for(self, ids: set[str], timeout: float = 30) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: ids <= self.ids, timeout)

    def stop(self) -> None:
        self.announcer.leave()
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)


def beats(sub: Collector, after: int = 0, more: int = 5, **having: object
          ) -> Callable[[Collector], bool]:
    """`more` heartbeats after the first `after` (each one a turn of the publisher's loop),
    the last one showing `having`."""
    def check(s: Collector) -> bool:
        got = s.payloads("/heartbeat")
        return len(got) >= after + more and all(got[-1].get(k) == v for k, v in having.items())
    return check


def gated_publisher(box: SqliteOutbox, broker: PrivateBroker, wh: str, gw: str
                    ) -> MqttPublisher:
    holder: list[MqttPublisher] = []

    def gate_state() -> dict[str, object]:
        stats = holder[0].stats()
        return {"hubs_online": stats.hubs_online, "waiting_for_hub": stats.waiting_for_hub}
    pub = MqttPublisher(box, replace(GATED, port=broker.port), wh, gw, heartbeat=gate_state,
                        heartbeat_s=0.1)
    holder.append(pub)
    return pub


@pytest.mark.integration
def test_the_outbox_holds_while_no_hub_is_there_and_drains_when_one_announces(
        tmp_path: Path) -> None:
    wh, gw = f"WH{uuid.uuid4().hex[:8]}", "gw1"
    with private_broker(tmp_path) as broker:
        # sees everything the gateway publishes, moves included; it announces no presence
        sub = Collector("127.0.0.1", broker.port, f"stockpulse/v1/{wh}/#")
        box = SqliteOutbox(tmp_path / "o.sqlite")
        events = [make_event(wh, i) for i in range(350)]
        box.enqueue(events[:300])
        pub = gated_publisher(box, broker, wh, gw)
        pub.start()
        hub = StandInHub(broker.port)
        try:
            assert sub.wait_for(beats(sub, waiting_for_hub=True), timeout=20)
            assert not sub.events and box.depth == 300  # held: nothing published

            hub.connect()
            first = {str(e.event_id) for e in events[:300]}
            assert hub.wait_for(first)
            assert sub.wait_for(lambda s: s.event_ids() == first)

            seen = len(sub.payloads("/heartbeat"))
            hub.vanish()  # its will deletes the claim: no hub left
            assert sub.wait_for(beats(sub, seen, more=1, hubs_online=0), timeout=20)
            seen = len(sub.payloads("/heartbeat"))
            box.enqueue(events[300:])
            pub.wake()
            assert sub.wait_for(beats(sub, seen, waiting_for_hub=True), timeout=20)
            assert sub.event_ids() == first and box.depth == 50  # held again

            hub.reconnect()  # the same replica back: the held events follow
            assert hub.wait_for({str(e.event_id) for e in events})
        finally:
            pub.stop()
            hub.stop()
            sub.close()
        assert box.depth == 0


@pytest.mark.integration
def test_after_a_broker_restart_nothing_is_published_until_the_hub_subscribed_again(
        tmp_path: Path) -> None:
    """The broker keeps the hub's session across the restart but not its shared subscription
    (Mosquitto 2.0): what a gateway publishes before the hub subscribes again reaches nobody.
    The gate holds it until the hub's new announcement."""
    wh, gw = f"WH{uuid.uuid4().hex[:8]}", "gw1"
    with private_broker(tmp_path) as broker:
        hub = StandInHub(broker.port).connect()
        sub = Collector("127.0.0.1", broker.port, f"stockpulse/v1/{wh}/#")
        box = SqliteOutbox(tmp_path / "o.sqlite")
        events = [make_event(wh, i) for i in range(200)]
        pub = gated_publisher(box, broker, wh, gw)
        pub.start()
        try:
            box.enqueue(events[:100])
            pub.wake()
            assert hub.wait_for({str(e.event_id) for e in events[:100]})
            connects = pub.stats().connects
            broker.stop()
            hub.client.loop_stop()  # the hub is slow to come back: the gateway is first
            broker.start()
            assert sub.wait_for(lambda s: pub.stats().connects > connects, timeout=20)
            seen = len(sub.payloads("/heartbeat"))
            box.enqueue(events[100:])
            pub.wake()
            assert sub.wait_for(beats(sub, seen, waiting_for_hub=True), timeout=20)
            assert box.depth == 100 and not set(sub.event_ids()) - {
                str(e.event_id) for e in events[:100]}  # nothing went to the broker

            hub.reconnect()
            assert hub.wait_for({str(e.event_id) for e in events})  # none lost
        finally:
            pub.stop()
            hub.stop()
            sub.close()
        assert box.depth == 0
