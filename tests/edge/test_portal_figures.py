"""The portal bench's pure part: a gateway move as the shared scorer's line, the scorer's
answer as figures, crossing -> publish latency by the player's clock, a trace cut short."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.portal_figures import (
    INSIDE,
    Published,
    cut_trace,
    outside,
    published_move,
    quiet_cut,
    score_line,
    total_figures,
    trace_figures,
)
from protocol import Reason, Source, SourceKind, StockMoved, UnitRef

EPC = "3034257BF400B7800004CB2F"


def _event(frm: str | None, to: str | None, reason: Reason = Reason.PORTAL_PASS,
           read_point: str = "DOCK-2") -> StockMoved:
    return StockMoved(event_id=uuid.uuid4(), occurred_at=datetime(2026, 1, 1, 8, tzinfo=UTC),
                      warehouse="BENCH", source=Source(kind=SourceKind.RFID, device_id="gw",
                                                       read_point=read_point),
                      unit=UnitRef(epc=EPC.lower()), from_location=frm, to_location=to,
                      reason=reason)


def test_a_gateway_move_becomes_the_scorers_door_and_direction() -> None:
    inbound = published_move(_event(outside(2), INSIDE), 5.0)
    assert inbound is not None and (inbound.epc, inbound.door, inbound.direction) == (EPC, 2, "in")
    outbound = published_move(_event(INSIDE, outside(2)), None)
    assert outbound is not None and outbound.direction == "out"
    line = score_line(outbound)
    assert line["clock"] == "wall" and line["t"] == datetime(2026, 1, 1, 8, tzinfo=UTC).timestamp()
    assert published_move(_event(outside(2), INSIDE, Reason.SIGHTING), 5.0) is None
    assert published_move(_event(outside(2), INSIDE, read_point="ZONE-1"), 5.0) is None


def _truth() -> dict[str, Any]:
    return {"passes": [
        {"id": "P1", "epcs": ["A", "B"], "door": 1, "direction": "in", "t_enter": 2.0,
         "t_exit": 10.0},
        {"id": "P2", "epcs": ["C"], "door": 2, "direction": "out", "t_enter": 20.0,
         "t_exit": 24.0},
        {"id": "P3", "epcs": ["D", "E"], "door": 3, "direction": "in", "t_enter": 40.0,
         "t_exit": 44.0}]}


def _score(details: list[dict[str, Any]], missed: list[dict[str, Any]]) -> dict[str, Any]:
    correct = sum(1 for d in details if d["category"] == "correct")
    errors = sum(1 for d in details if d["category"] == "direction_error")
    return {"observable_tag_passes": 4, "tag_passes": 5, "tag_pass_recall": 0.4,
            "moves": len(details), "correct_moves": correct, "direction_errors": errors,
            "phantom_moves": len(details) - correct - errors, "phantom_breakdown": {},
            "moves_detail": details, "missed_tag_passes": missed}


def test_figures_count_pallets_observable_passes_and_latency_by_the_players_clock() -> None:
    session = {"speed": 2.0, "sync_wall_to_trace": [[1000.0, 0.0]]}  # t_exit 10 s -> wall 1005
    moves = [Published("A", 1, "in", 1.0, 1005.5), Published("C", 2, "in", 2.0, 1013.0),
             Published("D", 3, "in", 3.0, 1022.0), Published("E", 3, "in", 4.0, None)]
    details = [{"epc": "A", "door": 1, "direction": "in", "category": "correct", "pass_id": "P1"},
               {"epc": "C", "door": 2, "direction": "in", "category": "direction_error",
                "pass_id": "P2"},
               {"epc": "D", "door": 3, "direction": "in", "category": "correct", "pass_id": "P3"},
               {"epc": "E", "door": 3, "direction": "in", "category": "correct", "pass_id": "P3"}]
    missed = [{"pass_id": "P1", "epc": "B", "observable": True},
              {"pass_id": "P2", "epc": "C", "observable": False}]
    got = trace_figures(_truth(), _score(details, missed), moves, session)
    assert (got["pallets"], got["pallets_moved"]) == (3, 2)  # P2's only tag was missed
    assert (got["observable_recalled"], got["recall_observable"]) == (3, 0.75)
    assert (got["precision"], got["direction_errors"]) == (0.75, 1)
    # A: received 0.5 s after wall(10 s); D: 0 s after wall(44 s) = 1022; E never published
    assert sorted(got["_latencies"]) == [0.0, 0.5]
    assert got["latency_real_time_equiv_s"]["max"] == 1.0  # 0.5 wall s at speed 2
    total = total_figures([got, got, {"error": "player died"}])
    assert (total["traces"], total["pallets_moved"], total["precision"]) == (2, 4, 0.75)


@pytest.mark.parametrize("limit", [5.0, 12.0, 30.0, 42.0, 100.0])
def test_a_trace_is_cut_only_where_no_pass_is_under_way(limit: float) -> None:
    truth = _truth()
    cut = quiet_cut(truth, limit)
    assert cut <= limit
    assert not [p for p in truth["passes"] if p["t_enter"] - 1 < cut < p["t_exit"] + 1]
    trace = {"reads": [[t, 1, 1, 0, -60] for t in range(0, 60, 3)], "outages": []}
    short, short_truth = cut_trace(trace, truth, cut)
    assert all(r[0] < cut for r in short["reads"]) and short["duration_s"] == cut
    assert [p["id"] for p in short_truth["passes"]] == [
        p["id"] for p in truth["passes"] if p["t_exit"] < cut]
