"""Scenario generators: `generate:` entries that expand into many plain events, deterministically.

A generator draws from the scenario's own seed, so the ground truth of a file never changes;
only the read model's seed (simulate) varies which reads happen.
"""

from __future__ import annotations

import random
from typing import Any

from firmware_bridge.scenario.epc import sgtin96_hex, sscc96_hex
from firmware_bridge.scenario.fields import Fields, ScenarioError
from firmware_bridge.scenario.model import Site


def _epcs(gen: Fields, count: int) -> list[str]:
    spec = Fields(gen.get("epc", dict), gen.at("epc"))
    scheme = spec.choice("scheme", ("sscc96", "sgtin96"), "sscc96")
    prefix = spec.text("company_prefix")
    first = int(spec.get("first_serial", int, 1))
    item = spec.text("item_reference", None)
    spec.done()
    try:
        if scheme == "sscc96":
            width = 17 - len(prefix)
            return [sscc96_hex(prefix, str(first + i).zfill(width)) for i in range(count)]
        if item is None:
            raise ScenarioError(spec.at("item_reference"), "is required for sgtin96")
        return [sgtin96_hex(prefix, item, first + i) for i in range(count)]
    except ValueError as exc:
        raise ScenarioError(spec.path, str(exc)) from exc


def _range(gen: Fields, key: str, default: float) -> tuple[float, float]:
    value = gen.get(key, (float, list), default)
    if isinstance(value, float):
        return value, value
    if len(value) != 2 or not all(isinstance(v, int | float) for v in value):
        raise ScenarioError(gen.at(key), "a number or [min, max]")
    low, high = float(value[0]), float(value[1])
    if high < low:
        raise ScenarioError(gen.at(key), "max is below min")
    return low, high


def _pick_list(gen: Fields, key: str, default: list[str]) -> list[str]:
    values: list[str] = gen.get(key, list, default)
    if not values or not all(isinstance(v, str) for v in values):
        raise ScenarioError(gen.at(key), "a non-empty list of names")
    return values


def expand_generator(gen: Fields, site: Site, rng: random.Random) -> list[Fields]:
    """Plain event mappings (validated later like hand-written ones)."""
    kind = gen.choice("type", ("passes", "parks", "lingers", "strays"))
    count = int(gen.get("count", int))
    if not 0 <= count <= 100_000:
        raise ScenarioError(gen.at("count"), "must be 0..100000")
    epcs = _epcs(gen, count)
    portals = _pick_list(gen, "portals", [p.id for p in site.portals]) if site.portals else []
    out: list[dict[str, Any]] = []
    if kind == "passes":
        start, every = gen.number("start", 5.0, 0.0), gen.number("every", 4.0, 0.0)
        jitter, speed = gen.number("jitter", 0.0, 0.0), _range(gen, "speed", 1.2)
        directions = _pick_list(gen, "directions", ["inbound", "outbound"])
        for i, epc in enumerate(epcs):
            out.append({
                "type": "pass", "epc": epc, "portal": rng.choice(portals),
                "direction": rng.choice(directions),
                "at": round(start + i * every + rng.uniform(0, jitter), 3),
                "speed": round(rng.uniform(*speed), 2),
                "lateral": round(rng.uniform(-0.4, 0.4), 2),
            })
    else:
        window_from, window_until = gen.number("from", 0.0, 0.0), gen.number("until")
        for epc in epcs:
            a = rng.uniform(window_from, window_until)
            b = rng.uniform(window_from, window_until)
            event: dict[str, Any] = {"epc": epc, "from": round(min(a, b), 3),
                                     "until": round(max(a, b) + 1.0, 3)}
            out.append(event | _placement(kind, gen, site, portals, rng, epc))
    gen.done()
    return [Fields(e, f"{gen.path}(#{i})") for i, e in enumerate(out)]


def _placement(kind: str, gen: Fields, site: Site, portals: list[str],
               rng: random.Random, epc: str) -> dict[str, Any]:
    if kind == "parks":
        low, high = _range(gen, "distance", 2.0)
        return {"type": "park", "portal": rng.choice(portals),
                "side": rng.choice(["inner", "outer"]),
                "distance": round(rng.uniform(low, high), 2),
                "lateral": round(rng.uniform(-1.0, 1.0), 2)}
    if kind == "lingers":
        placed = {"type": "linger", "portal": rng.choice(portals),
                  "amplitude": round(rng.uniform(0.8, 2.0), 2),
                  "period": round(rng.uniform(5.0, 12.0), 1)}
        # drawn apart from the file's stream, so the events generated after are unchanged
        side = random.Random(epc).choice(["inner", "outer"])
        return placed | {"side": side}
    antennas = [(r.id, a) for r in site.readers for a in r.antenna_ids]
    reader, antenna = rng.choice(antennas)
    return {"type": "stray", "reader": reader, "antenna": antenna,
            "rate": gen.number("rate", 0.3, 0.0), "rssi": gen.number("rssi", -72.0)}
