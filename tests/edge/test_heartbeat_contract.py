"""The gateway's heartbeat and status are built from the protocol's models (issue 18): whatever
a source reports, what goes on the wire is what the hub reads without refusing it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.outbox import SqliteOutbox
from edge.publisher import MqttPublisher
from edge.settings import MqttSettings
from protocol.gateway import decode_heartbeat, decode_status


def _boom() -> Mapping[str, object]:
    raise RuntimeError("stats broke")


@pytest.mark.parametrize(("stats", "error"), [
    (lambda: {"read_rates": {"cam": 0.5}, "sources": {"rfid": {"readers": {
        "gate-1": {"connected": True, "reads_per_s": 3.0}}}}}, None),
    (lambda: {"sources": {"cam": {"since": datetime(2026, 12, 7, tzinfo=UTC)}}}, None),
    (lambda: {"read_rates": {"cam": float("nan")}}, "finite"),
    (lambda: {"sources": {"cam": {"note": "x" * 5000}}}, "longer"),
    (_boom, "stats broke"),
])
def test_heartbeat_always_meets_the_contract(tmp_path: Path,
                                             stats: Callable[[], Mapping[str, object]],
                                             error: str | None) -> None:
    box = SqliteOutbox(tmp_path / "o.sqlite")
    publisher = MqttPublisher(box, MqttSettings(), "WH1", "gw-1", heartbeat=stats)
    beat = decode_heartbeat(publisher._heartbeat_body())
    assert beat.queue_depth == 0
    if error is None:
        assert beat.heartbeat_error is None and beat.sources
    else:
        assert error in (beat.heartbeat_error or "") and not beat.sources
    status = decode_status(publisher._status("online"))
    assert (status.state, status.warehouse, status.gateway) == ("online", "WH1", "gw-1")
    box.close()
