"""Ground truth and site description as JSON, so tests and benchmarks can score the edge."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from firmware_bridge.scenario.model import Simulation


def truth_document(
    sim: Simulation, epoch_us: int, loop_period_us: int | None = None
) -> dict[str, Any]:
    """Passes with scenario-relative `time_us` and absolute `occurred_at_us` (epoch + time)."""
    site = sim.site
    return {
        "scenario": sim.scenario.name,
        "seed": sim.seed,
        "warehouse": site.warehouse,
        "epoch_us": epoch_us,
        "duration_us": sim.duration_us,
        "loop_period_us": loop_period_us,
        "passes": [asdict(p) | {"occurred_at_us": epoch_us + p.time_us} for p in sim.truth],
        "site": {
            "readers": [asdict(r) for r in site.readers],
            "portals": [asdict(p) for p in site.portals],
            "zones": [asdict(z) for z in site.zones],
        },
        "read_count": len(sim.reads),
    }


def truth_json(sim: Simulation, epoch_us: int, loop_period_us: int | None = None) -> str:
    return json.dumps(truth_document(sim, epoch_us, loop_period_us), indent=2, sort_keys=True)
