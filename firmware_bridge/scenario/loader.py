"""Scenario files (YAML) into validated Scenario values; generators expand to plain events.

Rule kept: a scenario that loads is self-consistent (every reference resolves, every EPC is
96 bits, every time range is ordered); anything else is a ScenarioError naming the key.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from firmware_bridge.scenario.epc import is_epc96_hex
from firmware_bridge.scenario.fields import Fields, ScenarioError
from firmware_bridge.scenario.generate import expand_generator
from firmware_bridge.scenario.model import (
    AntennaRef,
    Dwell,
    Event,
    Linger,
    PalletPass,
    Parked,
    Portal,
    PortalAntenna,
    ReaderSpec,
    ReadModel,
    Scenario,
    Site,
    Stray,
    Zone,
)

SIDES = ("inner", "outer")
DIRECTIONS = ("inbound", "outbound")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ScenarioError("", f"{path}: {exc.strerror}") from exc
    return parse_scenario(raw)


def parse_scenario(raw: Any) -> Scenario:
    """Validate a parsed scenario mapping."""
    top = Fields(raw, "")
    name = top.text("name", "scenario")
    seed = int(top.get("seed", int, 0))
    start = _start_time(top)
    site = _site(top)
    model = _read_model(top)
    events = [_event(f, site) for f in top.items("events")]
    rng = random.Random(seed)
    for gen in top.items("generate"):
        events.extend(_event(f, site) for f in expand_generator(gen, site, rng))
    events.sort(key=_event_start)
    last = max((_event_end(e) for e in events), default=0.0)
    duration = top.number("duration", last + 5.0, minimum=0.0)
    top.done()
    return Scenario(name, site, tuple(events), model, seed, start, duration)


def _start_time(top: Fields) -> int | None:
    value = top.get("start_time", (str, datetime), None)
    if value is None:
        return None
    try:
        stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError as exc:
        raise ScenarioError(top.at("start_time"), "not an ISO 8601 date-time") from exc
    if stamp.tzinfo is None:
        raise ScenarioError(top.at("start_time"), "needs a time zone, e.g. 2024-05-06T08:00:00Z")
    return int(stamp.timestamp() * 1_000_000)


def _site(top: Fields) -> Site:
    warehouse = top.text("warehouse")
    readers = [_reader(f) for f in top.items("readers")]
    if not readers:
        raise ScenarioError(top.at("readers"), "at least one reader is required")
    _unique([r.id for r in readers], top.at("readers"))
    known = {(r.id, a) for r in readers for a in r.antenna_ids}
    portals = [_portal(f, known) for f in top.items("portals")]
    zones = [_zone(f, known) for f in top.items("zones")]
    _unique([p.id for p in portals] + [z.id for z in zones], "portals/zones")
    used = [(a.reader_id, a.antenna_id) for p in portals for a in p.antennas]
    used += [(a.reader_id, a.antenna_id) for z in zones for a in z.antennas]
    _unique([f"{r}:{a}" for r, a in used], "antennas (each covers one portal side or zone)")
    return Site(warehouse, tuple(readers), tuple(portals), tuple(zones))


def _unique(ids: list[str], path: str) -> None:
    seen: set[str] = set()
    for value in ids:
        if value in seen:
            raise ScenarioError(path, f"duplicate id {value!r}")
        seen.add(value)


def _reader(f: Fields) -> ReaderSpec:
    rid = f.text("id")
    antennas = f.get("antennas", list)
    if not antennas or not all(isinstance(a, int) and 1 <= a <= 0xFFFF for a in antennas):
        raise ScenarioError(f.at("antennas"), "a list of antenna port numbers 1..65535")
    f.done()
    return ReaderSpec(rid, tuple(antennas))


def _antenna(f: Fields, known: set[tuple[str, int]]) -> tuple[str, int]:
    ref = (f.text("reader"), int(f.get("antenna", int)))
    if ref not in known:
        raise ScenarioError(f.path, f"reader {ref[0]!r} has no antenna {ref[1]}")
    return ref


def _portal(f: Fields, known: set[tuple[str, int]]) -> Portal:
    antennas = []
    for a in f.items("antennas"):
        reader_id, antenna_id = _antenna(a, known)
        antennas.append(PortalAntenna(reader_id, antenna_id, a.choice("side", SIDES)))
        a.done()
    portal = Portal(f.text("id"), f.text("door"), f.text("inner", None), f.text("outer", None),
                    f.number("x", 0.0), tuple(antennas))
    if {a.side for a in antennas} != set(SIDES):
        raise ScenarioError(f.at("antennas"), "needs at least one inner and one outer antenna")
    f.done()
    return portal


def _zone(f: Fields, known: set[tuple[str, int]]) -> Zone:
    antennas = []
    for a in f.items("antennas"):
        antennas.append(AntennaRef(*_antenna(a, known)))
        a.done()
    zone = Zone(f.text("id"), f.text("location"), f.number("x"), f.number("y"), tuple(antennas))
    f.done()
    return zone


def _read_model(top: Fields) -> ReadModel:
    raw = top.get("read_model", dict, {})
    f = Fields(raw, top.at("read_model"))
    defaults = ReadModel()
    signed = ("rssi_at_1m_dbm", "multipath_db")
    values = {name: f.number(name, getattr(defaults, name),
                             minimum=None if name in signed else 0.0)
              for name in defaults.__dataclass_fields__}
    f.done()
    if values["p_max"] > 1 or values["miss_rate"] > 1:
        raise ScenarioError(f.path, "p_max and miss_rate are probabilities (0..1)")
    if values["rounds_per_s"] <= 0 or values["falloff_m"] <= 0 or values["beamwidth_deg"] <= 0:
        raise ScenarioError(f.path, "rounds_per_s, falloff_m and beamwidth_deg must be > 0")
    return ReadModel(**values)


def _epc(f: Fields) -> str:
    epc: str = f.text("epc")
    if not is_epc96_hex(epc):
        raise ScenarioError(f.at("epc"), f"must be 24 hex digits (EPC-96), got {epc!r}")
    return epc.upper()


def _window(f: Fields) -> tuple[float, float]:
    start, end = f.number("from", minimum=0.0), f.number("until", minimum=0.0)
    if end <= start:
        raise ScenarioError(f.at("until"), "must be after 'from'")
    return start, end


def _portal_ref(f: Fields, site: Site) -> str:
    pid: str = f.text("portal")
    if pid not in {p.id for p in site.portals}:
        raise ScenarioError(f.at("portal"), f"unknown portal {pid!r}")
    return pid


def _event(f: Fields, site: Site) -> Event:
    kind = f.choice("type", ("pass", "park", "linger", "dwell", "stray"))
    event: Event
    if kind == "pass":
        event = PalletPass(_epc(f), _portal_ref(f, site), f.choice("direction", DIRECTIONS),
                           f.number("at", minimum=0.0), f.number("speed", 1.2, minimum=0.05),
                           f.number("approach", 5.0, minimum=0.5), f.number("lateral", 0.0))
    elif kind == "park":
        event = Parked(_epc(f), _portal_ref(f, site), f.choice("side", SIDES), *_window(f),
                       f.number("distance", 2.0, minimum=0.0), f.number("lateral", 0.0),
                       f.number("approach", 5.0, minimum=0.0),
                       f.number("speed", 1.0, minimum=0.05))
    elif kind == "linger":
        event = Linger(_epc(f), _portal_ref(f, site), *_window(f),
                       f.number("amplitude", 1.5, minimum=0.0), f.number("period", 8.0, 0.5),
                       f.choice("side", SIDES, "inner"), f.number("through", 0.5, minimum=0.0),
                       f.number("approach", 5.0, minimum=0.0),
                       f.number("speed", 1.0, minimum=0.05))
    elif kind == "dwell":
        zid = f.text("zone")
        if zid not in {z.id for z in site.zones}:
            raise ScenarioError(f.at("zone"), f"unknown zone {zid!r}")
        event = Dwell(_epc(f), zid, *_window(f), f.number("distance", 1.5, minimum=0.0))
    else:
        ref = _antenna(f, {(r.id, a) for r in site.readers for a in r.antenna_ids})
        event = Stray(_epc(f), *ref, *_window(f), f.number("rate", 0.3, minimum=0.0),
                      f.number("rssi", -72.0))
    f.done()
    return event


def _travel_s(event: Event) -> float:
    """How long a tag takes to come into (or leave) the scene around its event window."""
    if isinstance(event, PalletPass):
        return event.approach_m / event.speed_mps
    if isinstance(event, Parked):
        return event.approach_m / event.speed_mps
    if isinstance(event, Linger):
        reach = max(event.approach_m, event.amplitude_m) + event.through_m
        return reach / event.speed_mps
    return 0.0


def _event_start(event: Event) -> float:
    if isinstance(event, PalletPass):
        return event.at_s - _travel_s(event)
    return event.from_s - _travel_s(event)


def _event_end(event: Event) -> float:
    if isinstance(event, PalletPass):
        return event.at_s + _travel_s(event)
    return event.until_s + _travel_s(event)
