"""Frame codec and serial bridge throughput: .venv/bin/python bench/frame_bridge.py.

Prints one JSON line last: codec encode/decode frames per second, and readings per second
from a pty device through the bridge to an MQTT subscriber on the real Mosquitto.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as mqtt

from firmware_bridge.device_emulator import PtyDevice
from firmware_bridge.frames import Decoder, Frame, Reading, SensorKind, Unit, encode
from firmware_bridge.serial_bridge import BridgeSettings, SerialBridge
from protocol import Channel, topic


def codec_figures(count: int) -> dict[str, float]:
    frames = [Frame(n % 500, n & 0xFFFF, Reading(SensorKind.WEIGHT, Decimal(n) / 10,
                                                 Unit.KILOGRAM)) for n in range(count)]
    started = time.perf_counter()
    wire = b"".join(encode(f) for f in frames)
    encoded = time.perf_counter() - started
    started = time.perf_counter()
    decoder = Decoder()
    got = [f for i in range(0, len(wire), 64) for f in decoder.feed(wire[i : i + 64])]
    decoded = time.perf_counter() - started
    assert got == frames
    return {"encode_frames_per_s": round(count / encoded), "decode_frames_per_s":
            round(count / decoded)}


def bridge_figures(count: int, host: str, port: int) -> dict[str, float]:
    warehouse = f"WH-bench-{uuid.uuid4().hex[:6]}"
    done = threading.Event()
    subscribed = threading.Event()
    seen = [0]

    def on_message(_c: object, _u: object, _m: object) -> None:
        seen[0] += 1
        if seen[0] == count:
            done.set()

    client_id = f"sp-bench-{uuid.uuid4().hex[:8]}"
    listener = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    listener.on_connect = lambda c, *_: c.subscribe(topic(warehouse, "GW", Channel.READINGS), 1)
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = on_message
    listener.connect(host, port)
    listener.loop_start()
    subscribed.wait(10)
    try:
        with PtyDevice(1) as device, SerialBridge(BridgeSettings(device.path, warehouse, "GW",
                                                                 host, port)) as bridge:
            device.power_up()
            started = time.perf_counter()
            for n in range(count):
                device.send_reading(SensorKind.TEMPERATURE, Decimal(n % 100) / 10)
            last = -1
            while not done.wait(2.0) and seen[0] != last:  # stop when nothing more arrives
                last = seen[0]
            elapsed = time.perf_counter() - started - (0 if done.is_set() else 2.0)
            stats = bridge.stats
    finally:
        listener.loop_stop()  # before disconnect: paho's loop_stop races the loop thread
        listener.disconnect()  # ending itself after one (eclipse-paho/paho.mqtt.python#872)
    # Mosquitto drops QoS 1 messages beyond max_queued_messages (default 1000) queued for a
    # subscriber that falls behind: `lost_at_broker` counts those, not bridge losses.
    return {"bridge_readings_per_s": round(seen[0] / elapsed), "readings_sent": count,
            "readings_published": stats.readings_published, "readings_received": seen[0],
            "lost_at_broker": stats.readings_published - seen[0],
            "corrupt_frames": stats.corrupt_frames}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--readings", type=int, default=5_000)
    parser.add_argument("--mqtt-host", default="127.0.0.1")
    parser.add_argument("--mqtt-port", type=int, default=1883)
    args = parser.parse_args()
    figures = codec_figures(args.frames)
    figures.update(bridge_figures(args.readings, args.mqtt_host, args.mqtt_port))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
