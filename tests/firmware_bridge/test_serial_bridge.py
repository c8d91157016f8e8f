"""The serial bridge against real Mosquitto: devices on a pty, readings and commands over MQTT."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal

import paho.mqtt.client as mqtt
import pytest

from firmware_bridge.device_emulator import PtyDevice
from firmware_bridge.frames import (
    Colour,
    Command,
    Frame,
    LightAction,
    Reading,
    SensorKind,
    Unit,
    encode,
)
from firmware_bridge.serial_bridge import BridgeError, BridgeSettings, SerialBridge
from protocol import Channel, topic

pytestmark = pytest.mark.integration
WAIT = 10.0


class Listener:
    """A real MQTT client subscribed to one topic; messages land in a queue."""

    def __init__(self, host: str, port: int, topic_filter: str) -> None:
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._subscribed = queue.Queue[bool]()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=f"sp-test-{uuid.uuid4().hex[:10]}")
        self.client.on_connect = lambda c, *_: c.subscribe(topic_filter, qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.put(True)
        self.client.on_message = lambda _c, _u, m: self.messages.put(m)
        self.client.connect(host, port)
        self.client.loop_start()
        self._subscribed.get(timeout=WAIT)

    def next_json(self, timeout: float = WAIT) -> dict:
        message = self.messages.get(timeout=timeout)
        assert message.qos == 1
        return json.loads(message.payload)

    def publish(self, topic_name: str, payload: bytes) -> None:
        self.client.publish(topic_name, payload, qos=1).wait_for_publish(WAIT)

    def close(self) -> None:
        self.client.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        self.client.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
        self.client.on_connect = self.client.on_subscribe = self.client.on_message = None


@pytest.fixture
def dev_site(mqtt_broker: tuple[str, int]) -> Iterator[tuple[PtyDevice, SerialBridge, Listener]]:
    """A pick-to-light/temperature device (id 7) on a pty, a running bridge, a listener."""
    host, port = mqtt_broker
    warehouse, gateway = f"WH-{uuid.uuid4().hex[:8]}", "GW-bridge"
    with PtyDevice(7) as device:
        bridge = SerialBridge(BridgeSettings(device.path, warehouse, gateway, host, port))
        listener = Listener(host, port, topic(warehouse, gateway, Channel.READINGS))
        try:
            with bridge:
                device.power_up()
                yield device, bridge, listener
        finally:
            listener.close()


def test_readings_arrive_on_mqtt_as_json(dev_site) -> None:
    device, bridge, listener = dev_site
    device.send_reading(SensorKind.TEMPERATURE, Decimal("-18.25"))
    device.send_reading(SensorKind.DOOR, Decimal(1))
    device.send_reading(SensorKind.WEIGHT, Decimal("812.5"), Unit.KILOGRAM)
    got = [listener.next_json() for _ in range(3)]
    assert [(m["type"], m["kind"], m["value"], m["unit"]) for m in got] == [
        ("reading", "temperature", -18.25, "celsius"), ("reading", "door", 1, "state"),
        ("reading", "weight", 812.5, "kilogram")]
    assert {m["device_id"] for m in got} == {7}
    assert [m["seq"] for m in got] == [1, 2, 3]
    assert got[0]["warehouse"] == bridge.settings.warehouse
    assert got[0]["received_at"].endswith("Z")
    assert bridge.stats.readings_published == 3


def test_corrupted_frames_are_counted_not_published(dev_site) -> None:
    device, bridge, listener = dev_site
    good = [Frame(7, n, Reading(SensorKind.HUMIDITY, Decimal(40 + n), Unit.PERCENT))
            for n in (100, 101, 102)]
    flipped = bytearray(encode(good[1]))
    flipped[5] ^= 0x01
    device.write_raw(encode(good[0]))
    device.write_raw(bytes(flipped))  # CRC mismatch
    device.write_raw(encode(good[1])[:6] + b"\x00")  # cut short by a delimiter
    device.write_raw(b"\xff\x13\x37 line noise \x00")
    device.write_raw(encode(good[2]))
    values = [listener.next_json()["value"] for _ in range(2)]
    assert values == [40 + 100, 40 + 102]
    stats = bridge.stats
    assert stats.corrupt_frames == 3 and stats.readings_published == 2
    with pytest.raises(queue.Empty):
        listener.messages.get(timeout=0.3)


def test_a_command_over_mqtt_reaches_the_device_and_its_ack_comes_back(dev_site) -> None:
    device, bridge, listener = dev_site
    command = {"device_id": 7, "action": "on", "colour": "green", "quantity": 12,
               "command_id": "pick-42"}
    listener.publish(bridge.commands_topic, json.dumps(command).encode())
    received, status = device.commands.get(timeout=WAIT)
    assert received == Command(LightAction.ON, Colour.GREEN, 12)
    assert status.name == "OK" and device.light.on and device.light.quantity == 12
    ack = listener.next_json()
    assert (ack["type"], ack["status"], ack["command_id"], ack["device_id"]) == (
        "ack", "ok", "pick-42", 7)
    listener.publish(bridge.commands_topic, b'{"device_id": 7, "action": "off"}')
    device.commands.get(timeout=WAIT)
    assert listener.next_json()["status"] == "ok"
    assert not device.light.on
    assert bridge.stats.commands_forwarded == 2 and bridge.stats.acks_published == 2


def test_invalid_commands_are_counted_and_reported_not_fatal(dev_site) -> None:
    device, bridge, listener = dev_site
    for bad in (b"not json", b'{"device_id": 7, "action": "purple"}', b"[1, 2]",
                b'{"device_id": 70000, "action": "on", "colour": "red"}', b"\xff\xfe"):
        listener.publish(bridge.commands_topic, bad)
    reasons = [listener.next_json() for _ in range(5)]
    assert {m["type"] for m in reasons} == {"command_rejected"}
    assert "action" in reasons[1]["reason"] and "device_id" in reasons[3]["reason"]
    listener.publish(bridge.commands_topic, b'{"device_id": 7, "action": "on", "colour": "red"}')
    assert device.commands.get(timeout=WAIT)[0].colour is Colour.RED
    assert listener.next_json()["type"] == "ack"
    assert bridge.stats.commands_invalid == 5 and bridge.stats.commands_forwarded == 1


def test_a_missing_serial_port_is_a_clear_error(mqtt_broker: tuple[str, int]) -> None:
    settings = BridgeSettings("/dev/does-not-exist", "WH1", "GW", *mqtt_broker)
    with pytest.raises(BridgeError, match="cannot open serial port"):
        SerialBridge(settings).start()


def test_command_line_bridge_publishes_and_stops_on_sigterm(
    mqtt_broker: tuple[str, int],
) -> None:
    host, port = mqtt_broker
    warehouse = f"WH-{uuid.uuid4().hex[:8]}"
    listener = Listener(host, port, topic(warehouse, "GW", Channel.READINGS))
    command = [sys.executable, "-m", "firmware_bridge.serial_bridge", "--warehouse", warehouse,
               "--gateway", "GW", "--mqtt-host", host, "--mqtt-port", str(port), "--port"]
    try:
        with PtyDevice(3) as device, subprocess.Popen(
            [*command, device.path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None
            assert proc.stdout.readline().startswith("BRIDGE_READY")
            device.power_up()
            device.send_reading(SensorKind.PRESENCE, Decimal(1))
            message = listener.next_json()
            assert (message["device_id"], message["kind"]) == (3, "presence")
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=WAIT)
            assert proc.returncode == 0
            assert "readings_published=1" in err
    finally:
        listener.close()


def test_a_vanished_device_is_counted_and_the_bridge_stops_cleanly(
    mqtt_broker: tuple[str, int],
) -> None:
    device = PtyDevice(5)
    bridge = SerialBridge(BridgeSettings(device.path, f"WH-{uuid.uuid4().hex[:8]}", "GW",
                                         *mqtt_broker))
    bridge.start()
    try:
        device.close()  # the USB cable is pulled
        deadline = time.monotonic() + WAIT
        while bridge.stats.serial_errors == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert bridge.stats.serial_errors >= 1
        assert "serial port failed" in (bridge.stats.last_error or "")
    finally:
        bridge.stop()
