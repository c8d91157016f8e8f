"""HubAnnouncer: the hub replica's retained presence, which gateways wait for before publishing.

Rule kept here: presence says "online" only after the broker granted this connection's
subscription to the moves (its SUBACK), on every (re)connect; the MQTT will and a clean stop
delete it. A broker that restarts without the subscriptions therefore shows no hub until the
hub has subscribed again, and gateways hold their outboxes meanwhile (edge/hub_gate.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

import paho.mqtt.client as mqtt

from protocol.topics import HubPresence, hub_presence_id, hub_presence_topic

log = logging.getLogger("stockpulse.ingest.presence")


class HubAnnouncer:
    """Arms the will on `client` (before connect); `expect` the moves SUBSCRIBE's mid."""

    def __init__(self, client: mqtt.Client, client_id: str, group: str | None,
                 moves_filter: str) -> None:
        self.client = client
        self.hub = hub_presence_id(client_id)
        self.topic = hub_presence_topic(self.hub)
        self.group = group or None
        self.moves_filter = moves_filter
        self._lock = threading.Lock()
        self._expected: int | None = None
        # An empty retained will deletes our claim when the broker loses us (or stops: Mosquitto
        # sends the wills of connected clients on shutdown, before it saves its state).
        client.will_set(self.topic, b"", qos=1, retain=True)
        client.on_subscribe = self._on_subscribe

    def expect(self, mid: int | None) -> None:
        """Announce when the SUBACK of this SUBSCRIBE (the one carrying the moves) arrives."""
        with self._lock:
            self._expected = mid

    def _on_subscribe(self, client: mqtt.Client, _u: object, mid: int,
                      reasons: Sequence[object], _p: object) -> None:
        # paho's thread: one non-blocking publish is all that happens here.
        with self._lock:
            if mid != self._expected:
                return
            self._expected = None
        if not reasons or getattr(reasons[0], "is_failure", False):
            log.error("broker refused the moves subscription %s (%s): not announcing this "
                      "hub; gateways keep their events", self.moves_filter,
                      reasons[0] if reasons else "no reason code")
            return
        presence = HubPresence(self.hub, online=True, group=self.group,
                               subscribed=(self.moves_filter,),
                               at=datetime.now(UTC).isoformat())
        info = client.publish(self.topic, presence.encode(), qos=1, retain=True)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            log.warning("could not announce presence on %s (rc=%s)", self.topic, info.rc)

    def leave(self, timeout: float = 2.0) -> None:
        """A clean stop sends no will: delete the claim ourselves (while paho's loop runs)."""
        if not self.client.is_connected():
            return
        info = self.client.publish(self.topic, b"", qos=1, retain=True)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:  # disconnected meanwhile: the will deletes it
            log.info("presence not withdrawn cleanly: %s", exc)
