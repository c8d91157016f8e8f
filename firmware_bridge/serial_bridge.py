"""The serial bridge: small-device frames on a serial port <-> JSON on MQTT.

Rule kept here: every good reading is published (QoS 1) and nothing else from the line is;
a corrupt frame or an invalid command is counted and reported, never fatal. paho's network
thread only queues incoming commands; a worker thread validates and writes them.
Run: python -m firmware_bridge.serial_bridge --port /dev/pts/N --warehouse WH1 --gateway GW
"""

from __future__ import annotations

import argparse
import itertools
import logging
import queue
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import serial

from firmware_bridge.frames import Ack, Decoder, Frame, Reading, encode
from firmware_bridge.frames.messages import (
    CommandRejectedMessage,
    ack_message,
    command_frame,
    parse_command,
    reading_message,
)
from protocol import Channel, ContractError, topic

log = logging.getLogger("firmware_bridge.serial_bridge")
Clock = Callable[[], datetime]


class BridgeError(RuntimeError):
    """The bridge could not start: the serial port or the broker is not there."""


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    port: str
    warehouse: str
    gateway: str
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    baudrate: int = 115200
    client_id: str = ""
    start_timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class BridgeStats:
    frames_in: int = 0
    readings_published: int = 0
    acks_published: int = 0
    corrupt_frames: int = 0
    discarded_bytes: int = 0
    unexpected_frames: int = 0  # commands coming *from* the line
    commands_forwarded: int = 0
    commands_invalid: int = 0
    serial_errors: int = 0
    last_error: str | None = None


class SerialBridge:
    """Owns one serial port and one MQTT client; start(), then stop() (or use `with`)."""

    def __init__(self, settings: BridgeSettings, clock: Clock | None = None) -> None:
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._readings_topic = topic(settings.warehouse, settings.gateway, Channel.READINGS)
        self._commands_topic = topic(settings.warehouse, settings.gateway, Channel.COMMANDS)
        self._decoder = Decoder()
        self._stats = BridgeStats()
        self._lock = threading.Lock()
        self._incoming: queue.Queue[bytes] = queue.Queue(maxsize=10_000)
        self._pending_ids: dict[tuple[int, int], str] = {}  # (device, seq) -> command_id
        self._seq = itertools.count(1)
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._serial: serial.Serial | None = None
        self._threads: list[threading.Thread] = []
        client_id = settings.client_id or f"sp-bridge-{settings.gateway}-{uuid.uuid4().hex[:8]}"
        self._mqtt = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        self._mqtt.on_connect = self._on_connect
        self._mqtt.on_subscribe = self._on_subscribe
        self._mqtt.on_message = self._on_message

    @property
    def readings_topic(self) -> str:
        return self._readings_topic

    @property
    def commands_topic(self) -> str:
        return self._commands_topic

    @property
    def stats(self) -> BridgeStats:
        with self._lock:
            d = self._decoder.stats
            return replace(self._stats, corrupt_frames=d.corrupt,
                           discarded_bytes=d.discarded_bytes,
                           last_error=self._stats.last_error or d.last_error)

    def _count(self, **changes: int | str | None) -> None:
        with self._lock:
            # field names chosen by the caller: dataclasses.replace checks them at run time
            values: dict[str, Any] = {k: (getattr(self._stats, k) + v if isinstance(v, int) else v)
                      for k, v in changes.items()}
            self._stats = replace(self._stats, **values)

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        s = self.settings
        try:
            self._serial = serial.Serial(s.port, s.baudrate, timeout=0.2, write_timeout=2)
        except (serial.SerialException, ValueError) as exc:
            raise BridgeError(f"cannot open serial port {s.port}: {exc}") from None
        try:
            self._mqtt.connect(s.mqtt_host, s.mqtt_port, keepalive=30)
        except OSError as exc:
            self._serial.close()
            raise BridgeError(f"cannot reach MQTT broker {s.mqtt_host}:{s.mqtt_port}: {exc}") \
                from None
        self._mqtt.loop_start()
        if not self._subscribed.wait(s.start_timeout):
            self.stop()
            raise BridgeError(f"no subscription to {self._commands_topic} within "
                              f"{s.start_timeout} s")
        for target, name in ((self._read_serial, "serial-reader"),
                             (self._forward_commands, "command-writer")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._mqtt.disconnect()  # before loop_stop, so the network thread ends at once
        self._mqtt.loop_stop()
        # Break the bridge <-> client cycle so paho's __del__ closes its socket pair now,
        # not in a garbage-collector pass that finalises the sockets first (ResourceWarning).
        self._mqtt.on_connect = self._mqtt.on_subscribe = self._mqtt.on_message = None
        if self._serial is not None:
            self._serial.close()

    def __enter__(self) -> SerialBridge:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- paho's thread: hand over, do nothing else ------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object,
                    reason_code: mqtt.ReasonCode, properties: object) -> None:
        if not reason_code.is_failure:
            client.subscribe(self._commands_topic, qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int,
                      reason_codes: list[mqtt.ReasonCode], properties: object) -> None:
        if reason_codes and not reason_codes[0].is_failure:
            self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object,
                    message: mqtt.MQTTMessage) -> None:
        try:
            self._incoming.put_nowait(bytes(message.payload))
        except queue.Full:
            self._count(commands_invalid=1, last_error="command queue full: command dropped")

    # -- serial -> MQTT -----------------------------------------------------------------------
    def _read_serial(self) -> None:
        while not self._stop.is_set():
            port = self._serial
            try:
                if port is None or not port.is_open:
                    port = self._reopen()
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as exc:
                # pyserial raises TypeError when the port is closed under a read
                self._count(serial_errors=1, last_error=f"serial port failed: {exc}")
                log.error("serial port %s failed: %s; reopening", self.settings.port, exc)
                if port is not None:
                    port.close()
                self._stop.wait(1.0)
                continue
            if data:
                for frame in self._decoder.feed(data):
                    self._publish_frame(frame)

    def _reopen(self) -> serial.Serial:
        s = self.settings
        self._serial = serial.Serial(s.port, s.baudrate, timeout=0.2, write_timeout=2)
        log.info("serial port %s reopened", s.port)
        return self._serial

    def _publish_frame(self, frame: Frame) -> None:
        s, now = self.settings, self._clock()
        self._count(frames_in=1)
        if isinstance(frame.body, Reading):
            body = reading_message(frame, s.warehouse, s.gateway, now).to_json()
            self._mqtt.publish(self._readings_topic, body, qos=1)
            self._count(readings_published=1)
        elif isinstance(frame.body, Ack):
            with self._lock:
                command_id = self._pending_ids.pop((frame.device_id, frame.body.acked_seq), None)
            body = ack_message(frame, s.warehouse, s.gateway, now, command_id).to_json()
            self._mqtt.publish(self._readings_topic, body, qos=1)
            self._count(acks_published=1)
        else:
            self._count(unexpected_frames=1,
                        last_error=f"device {frame.device_id} sent a command frame")

    # -- MQTT -> serial -----------------------------------------------------------------------
    def _forward_commands(self) -> None:
        while not self._stop.is_set():
            try:
                payload = self._incoming.get(timeout=0.2)
            except queue.Empty:
                continue
            self._forward(payload)

    def _forward(self, payload: bytes) -> None:
        try:
            command = parse_command(payload)
            frame = command_frame(command, next(self._seq) & 0xFFFF)
        except ContractError as exc:
            self._reject(f"invalid command: {exc}")
            return
        if command.command_id:
            with self._lock:
                if len(self._pending_ids) > 10_000:  # devices that never ack
                    self._pending_ids.clear()
                self._pending_ids[(frame.device_id, frame.seq)] = command.command_id
        try:
            if self._serial is None or not self._serial.is_open:
                raise serial.SerialException("port is closed")
            self._serial.write(encode(frame))
        except (serial.SerialException, OSError) as exc:
            self._count(serial_errors=1)
            self._reject(f"serial write failed: {exc}", command.command_id)
            return
        self._count(commands_forwarded=1)

    def _reject(self, reason: str, command_id: str | None = None) -> None:
        log.warning("%s", reason)
        self._count(commands_invalid=1, last_error=reason)
        s = self.settings
        message = CommandRejectedMessage(warehouse=s.warehouse, gateway=s.gateway,
                                         reason=reason[:500], received_at=self._clock(),
                                         command_id=command_id)
        self._mqtt.publish(self._readings_topic, message.to_json(), qos=1)



def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.serial_bridge",
                                     description=__doc__)
    parser.add_argument("--port", required=True, help="serial port, e.g. /dev/ttyUSB0")
    parser.add_argument("--baudrate", type=int, default=115200)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--gateway", required=True)
    parser.add_argument("--mqtt-host", default="127.0.0.1")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        settings = BridgeSettings(args.port, args.warehouse, args.gateway, args.mqtt_host,
                                  args.mqtt_port, args.baudrate)
        bridge = SerialBridge(settings)
        bridge.start()
    except (BridgeError, ContractError) as exc:
        print(f"serial_bridge: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"BRIDGE_READY {settings.port} -> {bridge.readings_topic}", flush=True)
    done.wait()
    bridge.stop()
    print(f"serial_bridge: {bridge.stats}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
