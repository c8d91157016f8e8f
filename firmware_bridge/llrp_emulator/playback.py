"""Plays a Simulation to the reader servers: real time (scaled by a speed) or as fast as possible.

Reads go to the server of the reader that made them; timestamps are epoch + scenario time,
plus one scenario duration per loop. Playback starts once the served readers inventory.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from firmware_bridge.llrp_emulator.reader import TagSighting
from firmware_bridge.llrp_emulator.server import LlrpReaderServer
from firmware_bridge.scenario import SimRead, Simulation

log = logging.getLogger(__name__)


def sighting(read: SimRead, epoch_us: int) -> TagSighting:
    stamp = epoch_us + read.time_us
    return TagSighting(bytes.fromhex(read.epc_hex), read.antenna_id, read.rssi_dbm, stamp, stamp)


def batches(reads: list[SimRead], window_us: int, max_reads: int) -> Iterator[list[SimRead]]:
    """Consecutive reads cut at every `window_us` of scenario time or every `max_reads`."""
    batch: list[SimRead] = []
    for read in reads:
        if batch and (read.time_us - batch[0].time_us >= window_us or len(batch) >= max_reads):
            yield batch
            batch = []
        batch.append(read)
    if batch:
        yield batch


@dataclass
class PlaybackSettings:
    speed: float | None = 1.0  # None: as fast as possible
    loop: bool = False
    start_when: str = "all"  # "all" served readers inventorying, or "any"
    window_us: int = 100_000  # real-time reports gather this much scenario time


class Playback:
    def __init__(self, sim: Simulation, servers: dict[str, LlrpReaderServer], epoch_us: int,
                 settings: PlaybackSettings, state_changed: asyncio.Event) -> None:
        self.sim = sim
        self.servers = servers
        self.epoch_us = epoch_us
        self.settings = settings
        self._changed = state_changed
        self.reads = [r for r in sim.reads if r.reader_id in servers]
        self.loops_done = 0
        self.behind_s = 0.0  # how far the epoch lay behind the wall clock when play began
        self._position = (0.0, epoch_us, 0.0)  # (loop time, reader µs then, reader s per s)

    async def wait_for_readers(self) -> None:
        check = all if self.settings.start_when == "all" else any
        while not check(s.inventorying for s in self.servers.values()):
            self._changed.clear()
            await self._changed.wait()

    async def run(self) -> None:
        await self.wait_for_readers()
        log.info("playback of %d reads starts", len(self.reads))
        period = max(self.sim.duration_us, 1)
        while True:
            offset = self.epoch_us + self.loops_done * period
            if self.settings.speed is None:
                await self._fast(offset)
            else:
                await self._real_time(offset, self.settings.speed)
            self.loops_done += 1
            if not self.settings.loop:
                return

    def reader_now_us(self) -> int:
        """What the readers' clock reads now: the playback's position (it runs `speed` times
        as fast as ours; in fast playback it is where the last batch was)."""
        at, reader_us, rate = self._position
        return reader_us + int((asyncio.get_running_loop().time() - at) * rate * 1_000_000)

    async def _send(self, batch: list[SimRead], epoch_us: int) -> None:
        by_reader: dict[str, list[TagSighting]] = {}
        for read in batch:
            by_reader.setdefault(read.reader_id, []).append(sighting(read, epoch_us))
        for reader_id, sightings in by_reader.items():
            self.servers[reader_id].deliver(sightings)
        await asyncio.gather(*(self.servers[r].drain() for r in by_reader))

    async def _fast(self, epoch_us: int) -> None:
        loop = asyncio.get_running_loop()
        for batch in batches(self.reads, 1 << 62, 2000):
            self._position = (loop.time(), epoch_us + batch[-1].time_us, 0.0)
            await self._send(batch, epoch_us)

    async def _real_time(self, epoch_us: int, speed: float) -> None:
        loop = asyncio.get_running_loop()
        # The first pass starts as late as the epoch lies behind now: a read stamped
        # epoch + t goes out at that wall time, never stamped before it is played.
        started = loop.time() - (self.behind_s if self.loops_done == 0 else 0.0)
        self._position = (started, epoch_us, speed)
        for batch in batches(self.reads, self.settings.window_us, 5000):
            due = started + batch[-1].time_us / 1_000_000 / speed
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self._send(batch, epoch_us)
        end = started + self.sim.duration_us / 1_000_000 / speed
        await asyncio.sleep(max(0.0, end - loop.time()))
