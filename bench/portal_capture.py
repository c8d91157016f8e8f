"""The portal bench's plumbing: free ports for the player's readers, the broker the gateways
publish to (a private mosquitto unless one is given), and a subscriber that keeps every move
a gateway publishes with the wall time it arrived (the "publish" end of the latency).
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol import Channel, ContractError, decode_message, topic

WAREHOUSE = "BENCH"


class BrokerUnavailable(Exception):
    """No broker to publish to; the message says why."""


# -- ports and broker ------------------------------------------------------------------------
_PORT_LOCK = threading.Lock()
_PORTS_TAKEN: set[int] = set()


def free_ports(count: int) -> int:
    """A base port with `count` consecutive free ports (not handed out before by this run)."""
    with _PORT_LOCK:
        for _ in range(200):
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                base = int(s.getsockname()[1])
            wanted = range(base, base + count)
            if base + count > 65535 or _PORTS_TAKEN.intersection(wanted):
                continue
            if all(_port_free(p) for p in wanted):
                _PORTS_TAKEN.update(wanted)
                return base
    raise RuntimeError(f"no {count} consecutive free ports on 127.0.0.1")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def broker(host: str | None, port: int | None, workdir: Path) -> Iterator[tuple[str, int]]:
    """The broker the gateways publish to: the one given, else a private mosquitto (so no
    hub on the shared broker ingests the bench's moves)."""
    if host is not None:
        yield host, port or 1883
        return
    own = free_ports(1)
    conf = workdir / "mosquitto.conf"
    conf.write_text(f"listener {own} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    try:
        proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    except FileNotFoundError:
        raise BrokerUnavailable("mosquitto is not installed: pass --mqtt HOST:PORT") from None
    try:
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", own), 0.2):
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the private mosquitto did not start")
            time.sleep(0.05)  # polling a port: there is no event to await
        yield "127.0.0.1", own
    finally:
        proc.terminate()
        proc.wait(10)


class MoveCollector:
    """Subscribes to one gateway's moves and heartbeats; keeps each move with its arrival."""

    def __init__(self, host: str, port: int, gateway: str) -> None:
        self.moves: list[tuple[Any, float]] = []
        self.heartbeat: dict[str, Any] | None = None
        self.undecodable = 0
        self._cond = threading.Condition()
        self._moves_topic = topic(WAREHOUSE, gateway, Channel.MOVES)
        self._beat_topic = topic(WAREHOUSE, gateway, Channel.HEARTBEAT)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"bench-{uuid.uuid4().hex[:12]}")
        subscribed = threading.Event()
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_connect = lambda c, *_a: c.subscribe(
            [(self._moves_topic, 1), (self._beat_topic, 0)])
        self.client.connect(host, port)
        self.client.loop_start()
        if not subscribed.wait(10):
            self.close()
            raise RuntimeError(f"no SUBACK from the broker at {host}:{port}")

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        now = time.time()
        with self._cond:
            if msg.topic == self._moves_topic:
                try:
                    self.moves += [(e, now) for e in decode_message(msg.payload).events]
                except ContractError:
                    self.undecodable += 1
            elif msg.topic == self._beat_topic:
                with contextlib.suppress(ValueError):
                    self.heartbeat = json.loads(msg.payload)
            self._cond.notify_all()

    def wait_quiet(self, quiet_s: float, limit_s: float) -> None:
        """Return once no move arrived for quiet_s (at most limit_s)."""
        deadline = time.monotonic() + limit_s
        with self._cond:
            while time.monotonic() < deadline:
                seen = len(self.moves)
                if not self._cond.wait_for(lambda n=seen: len(self.moves) != n, quiet_s):  # type: ignore[misc]
                    return

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
