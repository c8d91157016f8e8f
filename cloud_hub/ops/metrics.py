"""Hub metrics in Prometheus text format (counters and a batch-latency histogram).

Rule kept here: updating a metric is a few integer operations under a lock, safe from any thread.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Callable

BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, float] = {
            "stockpulse_events_applied_total": 0, "stockpulse_events_late_total": 0,
            "stockpulse_events_rejected_total": 0, "stockpulse_events_duplicate_total": 0,
            "stockpulse_dead_letters_total": 0, "stockpulse_mqtt_messages_total": 0,
        }
        self.batch_buckets = [0] * (len(BUCKETS_S) + 1)
        self.batch_sum = 0.0
        self.batch_count = 0
        self.gauges: dict[str, Callable[[], float]] = {}

    def inc(self, name: str, value: float = 1) -> None:
        with self.lock:
            self.counters[name] = self.counters.get(name, 0) + value

    def observe_batch(self, seconds: float) -> None:
        with self.lock:
            self.batch_buckets[bisect_left(BUCKETS_S, seconds)] += 1
            self.batch_sum += seconds
            self.batch_count += 1

    def gauge(self, name: str, read: Callable[[], float]) -> None:
        self.gauges[name] = read

    def render(self) -> str:
        lines: list[str] = []
        with self.lock:
            for name, value in sorted(self.counters.items()):
                lines += [f"# TYPE {name} counter", f"{name} {value:g}"]
            lines.append("# TYPE stockpulse_batch_seconds histogram")
            cumulative = 0
            for bound, count in zip((*BUCKETS_S, float("inf")), self.batch_buckets, strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f'stockpulse_batch_seconds_bucket{{le="{le}"}} {cumulative}')
            lines += [f"stockpulse_batch_seconds_sum {self.batch_sum:.6f}",
                      f"stockpulse_batch_seconds_count {self.batch_count}"]
        for name, read in sorted(self.gauges.items()):
            lines += [f"# TYPE {name} gauge", f"{name} {read():g}"]
        return "\n".join(lines) + "\n"
