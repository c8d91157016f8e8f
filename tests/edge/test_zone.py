"""Zone mode: arrive, move with hysteresis and dwell, depart after silence; time from reads."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from edge.portal.config import ZoneAntenna, ZoneConfig, ZoneParams, ZonesConfig
from edge.portal.events import zone_move_to_event
from edge.portal.zone import ZoneMove, ZoneTracker
from edge.reads import TagRead
from protocol import Reason

EPC = "3114F4E4E400000001000000"
S = 1_000_000
T0 = 1_714_982_400 * S
CONFIG = ZonesConfig(
    zones=(ZoneConfig("RECV", "WH1-RECV"), ZoneConfig("RACK", "WH1-A-01")),
    antennas=(ZoneAntenna("z", 1, "RECV"), ZoneAntenna("z", 2, "RACK")),
)


def reads(rng: random.Random, start_s: float, end_s: float, levels: dict[int, float],
          rate_hz: float = 4.0) -> list[TagRead]:
    out = []
    t = start_s
    while t < end_s:
        for antenna, level in levels.items():
            if rng.random() < 0.8:
                out.append(TagRead(EPC, "z", antenna, round(level + rng.gauss(0, 3.0)),
                                   T0 + int(t * S)))
        t += 1 / rate_hz
    return out


def run(stream: list[TagRead], end_s: float, params: ZoneParams | None = None) -> list[ZoneMove]:
    tracker = ZoneTracker(ZonesConfig(CONFIG.zones, CONFIG.antennas, params or ZoneParams()))
    out: list[ZoneMove] = []
    for read in sorted(stream, key=lambda r: r.time_us):
        out += tracker.feed(read)
    return out + tracker.advance(T0 + int(end_s * S))


def test_arrive_move_depart() -> None:
    rng = random.Random(1)
    stream = (reads(rng, 0, 60, {1: -50, 2: -75})  # in receiving, the rack hears it faintly
              + reads(rng, 60, 120, {1: -74, 2: -52}))  # put away to the rack
    moves = run(stream, 200)
    assert [(m.kind, m.from_location, m.to_location) for m in moves] == [
        ("arrive", None, "WH1-RECV"),
        ("move", "WH1-RECV", "WH1-A-01"),
        ("depart", "WH1-A-01", None),
    ]
    assert moves[1].time_us >= T0 + 60 * S + ZoneParams().move_dwell_us
    departed = moves[2].time_us - ZoneParams().departure_us  # last read + the timeout
    assert T0 + 119 * S <= departed <= T0 + 120 * S
    assert all(0 < m.confidence <= 1 for m in moves)


def test_a_tag_between_two_zones_does_not_flap() -> None:
    rng = random.Random(2)
    moves = run(reads(rng, 0, 600, {1: -60, 2: -61}), 601)  # ten minutes halfway between
    assert [m.kind for m in moves] == ["arrive"]


def test_brief_gaps_are_not_departures_but_long_silence_is() -> None:
    rng = random.Random(3)
    stream = reads(rng, 0, 10, {1: -50}) + reads(rng, 25, 35, {1: -50})  # 15 s gap
    assert [m.kind for m in run(stream, 36)] == ["arrive"]
    assert [m.kind for m in run(stream, 35 + 31)] == ["arrive", "depart"]
    short = ZoneParams(departure_us=5 * S)
    assert [m.kind for m in run(stream, 36, short)] == ["arrive", "depart", "arrive"]


def test_zone_moves_become_sightings() -> None:
    move = ZoneMove(EPC, "move", "RECV", "RACK", "WH1-RECV", "WH1-A-01", T0, 0.8, 12)
    event = zone_move_to_event(move, "WH1", "gw-1", uuid.uuid4(), datetime.now(UTC))
    assert event is not None
    assert (event.reason, event.source.read_point, event.to_location) == (
        Reason.SIGHTING, "RACK", "WH1-A-01")
    assert event.unit is not None and event.unit.sscc is not None
    assert event.occurred_at == datetime.fromtimestamp(T0 / S, UTC)
