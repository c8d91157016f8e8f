"""LlrpEmulator: the scenario's readers served on TCP ports, with playback; also in a thread.

Port rule: readers are served in scenario order (or `--reader` order) on `port`, `port + 1`,
...; with port 0 each reader gets a free port. `ports` maps reader id -> port.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from typing import Any, TypeVar

from firmware_bridge.llrp_emulator.faults import ReaderFaults
from firmware_bridge.llrp_emulator.playback import Playback, PlaybackSettings
from firmware_bridge.llrp_emulator.reader import ReaderIdentity
from firmware_bridge.llrp_emulator.server import (
    DEFAULT_REPLY_DELAY_S,
    LlrpReaderServer,
    wall_clock_us,
)
from firmware_bridge.scenario import ReaderSpec, Simulation

T = TypeVar("T")


def identity_for(spec: ReaderSpec) -> ReaderIdentity:
    """A stable identity per reader id: antenna count and a MAC derived from the id."""
    digest = hashlib.sha1(spec.id.encode()).digest()[:3]
    return ReaderIdentity(spec.id, antennas=max(spec.antenna_ids), mac=b"\x00\x16\x25" + digest)


class LlrpEmulator:
    """Owns one LlrpReaderServer per served reader and the playback task."""

    def __init__(self, sim: Simulation, settings: PlaybackSettings | None = None,
                 readers: list[str] | None = None, epoch_us: int | None = None,
                 clock_us: Callable[[], int] = wall_clock_us,
                 reply_delay_s: float = DEFAULT_REPLY_DELAY_S,
                 faults: Mapping[str, ReaderFaults] | None = None) -> None:
        known = {r.id: r for r in sim.site.readers}
        chosen = readers or list(known)
        unknown = [r for r in chosen if r not in known]
        if unknown:
            raise ValueError(f"unknown reader id(s) {unknown}; scenario has {sorted(known)}")
        self.sim = sim
        self.settings = settings or PlaybackSettings()
        self._clock = clock_us
        self._epoch = epoch_us
        self._changed = asyncio.Event()
        faults = faults or {}
        self.servers = {r: LlrpReaderServer(identity_for(known[r]), self.reader_clock_us,
                                            self._changed, reply_delay_s, faults.get(r))
                        for r in chosen}
        self.ports: dict[str, int] = {}
        self.playback: Playback | None = None

    @property
    def epoch_us(self) -> int | None:
        return self._epoch

    def reader_clock_us(self) -> int:
        """The readers' clock, which stamps their events as well as their reads: the epoch
        until playback starts (ours if the epoch is to be now), then the playback's position,
        so a client can learn the readers' clock from their ConnectionAttemptEvent."""
        if self.playback is not None:
            return self.playback.reader_now_us()
        if self._epoch is not None:
            return self._epoch
        return self.sim.scenario.start_time_us or self._clock()  # what play() will take

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> dict[str, int]:
        for i, (reader_id, server) in enumerate(self.servers.items()):
            self.ports[reader_id] = await server.start(host, port + i if port else 0)
        return self.ports

    async def play(self, on_start: Callable[[int], None] | None = None) -> None:
        """Wait for the readers to inventory, then play the reads (once, or forever on loop)."""
        probe = Playback(self.sim, self.servers, 0, self.settings, self._changed)
        await probe.wait_for_readers()
        from_clock = self._epoch is None and not self.sim.scenario.start_time_us
        if self._epoch is None:
            self._epoch = self.sim.scenario.start_time_us or self._clock()
        if on_start is not None:
            on_start(self._epoch)  # e.g. writes the truth file: takes a while
        self.playback = Playback(self.sim, self.servers, self._epoch, self.settings,
                                 self._changed)
        if from_clock:  # reads are stamped epoch + t: play them at that wall time, not later
            self.playback.behind_s = max(0.0, (self._clock() - self._epoch) / 1e6)
        await self.playback.run()

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.servers.values()))

    async def finish(self, linger_s: float) -> None:
        """End a playback the way a reader does: clients still connected get `linger_s` to
        read the last reports and close their session themselves; only then is the reader
        closed (ConnectionCloseEvent). Hanging up at once raced the client's own disconnect."""
        await asyncio.gather(*(s.wait_idle(linger_s) for s in self.servers.values()))
        await self.close()

    @property
    def reports_sent(self) -> int:
        return sum(s.reports_sent for s in self.servers.values())


class EmulatorThread:
    """Runs an LlrpEmulator on its own event loop in a daemon thread (for tests and benches)."""

    def __init__(self, emulator_factory: Callable[[], LlrpEmulator], host: str = "127.0.0.1",
                 port: int = 0, finish_linger_s: float | None = None) -> None:
        self._factory = emulator_factory
        self._host, self._port = host, port
        self._linger = finish_linger_s  # set: after one playback, finish() (like --exit-when-done)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="llrp-emulator")
        self.emulator: LlrpEmulator | None = None
        self.playback_done: Future[None] = Future()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Run `coro` on the emulator's loop (e.g. a test making a reader misbehave)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self, timeout: float = 10.0) -> dict[str, int]:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout)

    async def _start(self) -> dict[str, int]:
        self.emulator = self._factory()
        ports = await self.emulator.start(self._host, self._port)
        task = asyncio.get_running_loop().create_task(self._play())
        task.add_done_callback(self._finished)
        return ports

    async def _play(self) -> None:
        assert self.emulator is not None
        await self.emulator.play()
        if self._linger is not None:
            await self.emulator.finish(self._linger)

    def _finished(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            self.playback_done.cancel()
        elif (failure := task.exception()) is not None:
            self.playback_done.set_exception(failure)
        else:
            self.playback_done.set_result(None)

    def stop(self, timeout: float = 10.0) -> None:
        """Close the readers (clients see ConnectionCloseEvent), end playback, end the thread."""
        if self._loop.is_closed():
            return
        if self.emulator is not None and self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._loop.is_running():
            self._loop.close()

    async def _stop(self) -> None:
        assert self.emulator is not None
        await self.emulator.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
