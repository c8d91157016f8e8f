"""Keeping CPython's full garbage collections short in the hub.

The hub holds a large, slowly changing working set: the ledger cache (balances, units, the
ids of recent events), settings, routes. A full (generation 2) collection walks every one of
those objects, and while it runs no thread moves: with the cache of a busy warehouse, each
full collection stopped ingest for 80-120 ms (measured with gc.callbacks in the hub during
`bench/ingest.py`), which was the whole p99 of publish -> WebSocket latency.

Rule kept here: after a full collection, everything that survived it is alive, so it is
moved to the permanent generation (`gc.freeze()`), which later collections do not walk; the
next full collection only looks at what was created since. Objects in the permanent
generation are still freed by reference counting as usual; only a reference *cycle* among
them that becomes garbage would be kept, so every `rescan_s` the survivors are put back
(`gc.unfreeze()`) and the next full collection walks everything once.
"""

from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass, field
from typing import Any

# CPython collects its youngest generation every 700 net allocations of tracked objects. The
# apply path allocates a few such objects per event (outcomes, keys, plan rows) that nearly
# all die by reference counting within their batch; with 700, collections came every few
# events, moved what was alive at that moment into the middle generation, and every tenth
# walked that again:
# in an 18 s run of bench/ledger_apply.py (200k events) gc.callbacks counted 1,314 young,
# 119 middle and 11 full collections, 2.3-2.8 s in all with every thread stopped. With 10,000:
# 33 young and 3 middle ones, 1.0-1.3 s, no full one. A young collection then took up to
# ~30 ms there (two cores shared with PostgreSQL): less than the full ones it spares (~55 ms).
YOUNG_THRESHOLD = 10_000


@dataclass
class GcPauses:
    """The installed policy and what it saw (read by /metrics)."""

    rescan_s: float = 3600.0
    full_collections: int = 0
    rescans: int = 0
    last_full_ms: float = 0.0
    max_full_ms: float = 0.0
    _started: float = 0.0
    _last_rescan: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thresholds: tuple[int, ...] = ()  # CPython's thresholds before install, put back after

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
            return
        took_ms = (time.perf_counter() - self._started) * 1000
        with self._lock:
            self.full_collections += 1
            self.last_full_ms = took_ms
            self.max_full_ms = max(self.max_full_ms, took_ms)
            if time.monotonic() - self._last_rescan >= self.rescan_s:
                self._last_rescan = time.monotonic()
                self.rescans += 1
                gc.unfreeze()  # the next full collection walks everything once
            else:
                gc.freeze()


_installed: GcPauses | None = None


def install(rescan_s: float = 3600.0) -> GcPauses:
    """Install the policy for this process (once; later calls return the installed one)."""
    global _installed
    if _installed is None:
        _installed = GcPauses(rescan_s=rescan_s, _thresholds=gc.get_threshold())
        young, *older = _installed._thresholds
        gc.set_threshold(max(young, YOUNG_THRESHOLD), *older)
        gc.callbacks.append(_installed.callback)
    return _installed


def current() -> GcPauses | None:
    return _installed


def uninstall() -> None:
    """Remove the policy and put every frozen object back under collection."""
    global _installed
    if _installed is not None:
        gc.callbacks.remove(_installed.callback)
        gc.set_threshold(*_installed._thresholds)
        _installed = None
    gc.unfreeze()
