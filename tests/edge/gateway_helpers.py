"""Test helpers for the gateway tests: events, a collecting subscriber, a private Mosquitto."""

from __future__ import annotations

import contextlib
import getpass
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from protocol import Reason, Source, SourceKind, StockMoved, UnitRef, decode_message
from protocol.labels import with_check_digit


def make_event(warehouse: str, n: int, unit: str | None = None) -> StockMoved:
    sscc = unit or f"{n % 10**17:017d}0"
    return StockMoved(
        event_id=uuid.uuid4(), occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        warehouse=warehouse, source=Source(kind=SourceKind.BARCODE, device_id="t"),
        unit=UnitRef(sscc=sscc), to_location=f"LOC-{n}", reason=Reason.SIGHTING)


class Collector:
    """A paho subscriber that keeps every decoded event and raw message per topic."""

    def __init__(self, host: str, port: int, topic_filter: str, *,
                 persistent: bool = False) -> None:
        self.events: list[StockMoved] = []
        self.messages: list[mqtt.MQTTMessage] = []
        self._cond = threading.Condition()
        # called on the network thread as each message arrives, before it is decoded and
        # before a waiting test wakes
        self.on_each: Callable[[mqtt.MQTTMessage], None] | None = None
        # persistent: the broker keeps our session and queues QoS 1 messages while we are
        # away, so nothing published between a broker restart and our reconnect is missed.
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"test-sub-{uuid.uuid4().hex[:10]}",
                                  clean_session=not persistent)
        self.client.reconnect_delay_set(0.1, 1)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_connect = lambda c, *_a: c.subscribe(topic_filter, qos=1)
        self.client.connect(host, port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise TimeoutError("subscriber did not get SUBACK")

    def _on_message(self, _c: object, _u: object, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(msg)
            if self.on_each is not None:
                self.on_each(msg)
            if msg.topic.endswith("/moves"):
                self.events.extend(decode_message(msg.payload).events)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Collector], bool], timeout: float = 30) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    def event_ids(self) -> set[str]:
        with self._cond:
            return {str(e.event_id) for e in self.events}

    def payloads(self, suffix: str) -> list[dict[str, object]]:
        with self._cond:
            return [json.loads(m.payload) for m in self.messages if m.topic.endswith(suffix)]

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateBroker:
    """Our own mosquitto on a free port, so a test may stop and restart it; sessions and
    queued messages persist across a (graceful) stop, as on a production broker."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             f"persistence true\npersistence_location {workdir}/\n"
                             f"persistence_file mosquitto-{self.port}.db\n"
                             # as root, mosquitto would drop to a user that cannot write here
                             f"user {getpass.getuser()}\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.2):
                return
            time.sleep(0.05)  # polling a port that has no event to await
        raise TimeoutError("private mosquitto did not start")

    def stop(self) -> None:
        """SIGTERM: mosquitto saves its sessions and stops listening."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


@contextlib.contextmanager
def private_broker(workdir: Path) -> Iterator[PrivateBroker]:
    broker = PrivateBroker(workdir)
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def sscc(n: int, prefix: str = "10614141") -> str:
    """A valid SSCC (GS1 mod-10 check digit) numbered n."""
    return with_check_digit(f"{prefix}{n:09d}")


class GatewayProcess:
    """`python -m edge run --config ...` as a real child process."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        import os
        import sys

        env = {**os.environ, "EDGE_LOG_LEVEL": "INFO"}
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "edge", "run", "--config",
                                          str(self.config)], stdout=log, stderr=log, env=env)

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.terminate()
        code = self.proc.wait(20)
        self.proc = None
        return code
