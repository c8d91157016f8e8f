"""A small serial device (sensor and/or pick-to-light) on a pty, speaking the frame protocol.

Rule kept here: a command frame addressed to this device is applied and acked exactly once,
with the command's sequence number; frames for other devices and corrupt bytes are ignored.
Run: python -m firmware_bridge.device_emulator --device-id 7 --kind temperature --interval 1
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import queue
import select
import signal
import sys
import threading
import tty
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from firmware_bridge.frames import (
    DELIMITER,
    Ack,
    AckStatus,
    Colour,
    Command,
    Decoder,
    DecoderStats,
    Frame,
    FrameError,
    LightAction,
    Reading,
    SensorKind,
    Unit,
    encode,
)

DEFAULT_UNITS = {
    SensorKind.DOOR: Unit.STATE, SensorKind.PRESENCE: Unit.STATE,
    SensorKind.WEIGHT: Unit.KILOGRAM, SensorKind.TEMPERATURE: Unit.CELSIUS,
    SensorKind.HUMIDITY: Unit.PERCENT, SensorKind.BUTTON: Unit.COUNT,
}


@dataclass(frozen=True, slots=True)
class LightState:
    on: bool = False
    colour: Colour = Colour.NONE
    quantity: int | None = None
    blink: bool = False


def apply_command(
    state: LightState, command: Command, has_light: bool
) -> tuple[LightState, AckStatus]:
    """What a pick-to-light does with a command, and the status it acks with."""
    if not has_light:
        return state, AckStatus.UNSUPPORTED
    if command.action is LightAction.OFF:
        return LightState(), AckStatus.OK
    if command.colour is Colour.NONE:
        return state, AckStatus.INVALID  # 'on' in no colour: refuse rather than guess
    return LightState(True, command.colour, command.quantity, command.blink), AckStatus.OK


class PtyDevice:
    """The emulated device; a bridge opens `path` as its serial port."""

    def __init__(self, device_id: int, has_light: bool = True) -> None:
        self.device_id = device_id
        self.has_light = has_light
        self.light = LightState()
        self.commands: queue.Queue[tuple[Command, AckStatus]] = queue.Queue()
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._decoder = Decoder()
        self._seq = itertools.count(1)
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read_loop, name=f"device-{device_id}",
                                         daemon=True)
        self._reader.start()

    @property
    def decoder_stats(self) -> DecoderStats:
        return self._decoder.stats

    def _next_seq(self) -> int:
        return next(self._seq) & 0xFFFF

    def send_reading(self, kind: SensorKind, value: Decimal, unit: Unit | None = None) -> Frame:
        frame = Frame(self.device_id, self._next_seq(),
                      Reading(kind, value, unit if unit is not None else DEFAULT_UNITS[kind]))
        self.write_raw(encode(frame))
        return frame

    def write_raw(self, data: bytes) -> None:
        """Put bytes on the line as they are (tests use it for noise and broken frames)."""
        with self._write_lock:
            os.write(self._master, data)

    def power_up(self) -> None:
        """A lone delimiter, as firmware sends at boot so the first frame starts clean."""
        self.write_raw(DELIMITER)

    def play(self, readings: Iterable[tuple[SensorKind, Decimal]], interval: float) -> int:
        """Send readings `interval` seconds apart until they run out or close() is called."""
        sent = 0
        for kind, value in readings:
            if sent and self._stop.wait(interval):
                break
            self.send_reading(kind, value)
            sent += 1
        return sent

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.2)
                if not ready:
                    continue
                data = os.read(self._master, 4096)
            except (OSError, ValueError):  # closed under us
                return
            for frame in self._decoder.feed(data):
                self._handle(frame)

    def _handle(self, frame: Frame) -> None:
        if frame.device_id != self.device_id or not isinstance(frame.body, Command):
            return
        self.light, status = apply_command(self.light, frame.body, self.has_light)
        ack = Frame(self.device_id, self._next_seq(), Ack(frame.seq, status))
        with contextlib.suppress(OSError):
            self.write_raw(encode(ack))
        self.commands.put((frame.body, status))

    def wait_closed(self, timeout: float | None = None) -> bool:
        return self._stop.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._reader.join(timeout=2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyDevice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _values(text: str) -> list[Decimal]:
    try:
        return [Decimal(v) for v in text.split(",") if v.strip()]
    except InvalidOperation:
        raise FrameError(f"--values must be comma-separated numbers, not {text!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firmware_bridge.device_emulator",
                                     description=__doc__)
    parser.add_argument("--device-id", type=int, default=1)
    parser.add_argument("--kind", default="temperature",
                        choices=[k.name.lower() for k in SensorKind])
    parser.add_argument("--values", default="4.0,4.1,4.3,4.2", help="readings, cycled")
    parser.add_argument("--interval", type=float, default=1.0, metavar="SECONDS")
    parser.add_argument("--count", type=int, default=0, help="stop after N readings (0: never)")
    parser.add_argument("--no-light", action="store_true", help="a sensor without a light")
    args = parser.parse_args(argv)
    try:
        values = _values(args.values)
        device = PtyDevice(args.device_id, has_light=not args.no_light)
    except (FrameError, OSError) as exc:
        print(f"device_emulator: {exc}", file=sys.stderr)
        return 2
    kind = SensorKind[args.kind.upper()]
    signal.signal(signal.SIGTERM, lambda *_: device.close())
    with device:
        print(f"DEVICE_PORT={device.path}", flush=True)
        readings = ((kind, v) for v in itertools.cycle(values or [Decimal(0)]))
        try:
            device.play(itertools.islice(readings, args.count or None), args.interval)
            device.wait_closed()
        except (KeyboardInterrupt, FrameError) as exc:
            if isinstance(exc, FrameError):
                print(f"device_emulator: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
