"""Zone facts on real PostgreSQL (issue 25): the temperature and humidity of the last 15
minutes per zone, from the stored readings of located devices, and the cold-chain rule
"above 8 °C for 15 minutes" firing on a full excursion only — not below the threshold, not on
an excursion just under 15 minutes, not across a gap in the readings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg
import pytest

from cloud_hub.db.database import connect
from cloud_hub.devices.pg.readings import put_device, store_readings
from cloud_hub.planning.pg import store
from cloud_hub.planning.pg.actions import ActionSinks
from cloud_hub.planning.pg.runs import facts_for, on_moves_applied
from cloud_hub.planning.rules import load_rules
from protocol.devices import ReadingMessage
from tests.planning.ledger_site import site

pytestmark = pytest.mark.integration
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
COLD_CHAIN = """
rules:
  - name: cold chain
    when: temperature_min_15m > 8 and temperature_minutes >= 14
    then: [alert: supervisors]
    message: "{subject} above 8 °C for 15 min (lowest {temperature_min_15m})"
"""


@pytest.fixture
def conn(fresh_db_url: str, wh: str) -> Iterator[psycopg.Connection]:
    with connect(fresh_db_url) as c:
        site(c, wh)
        yield c


def probe(conn: psycopg.Connection, wh: str, device: int, *, zone: str | None = "cold",
          location: str | None = None) -> None:
    put_device(conn, wh, "gw", device, location=location, zone=zone, label=f"probe {device}")


def read(conn: psycopg.Connection, wh: str, series: Sequence[tuple[float, float]], *,
         device: int = 1, kind: str = "temperature", unit: str = "celsius") -> None:
    """`series`: (seconds before NOW, value)."""
    store_readings(conn, [ReadingMessage(
        warehouse=wh, gateway="gw", device_id=device, seq=i % 65535,
        received_at=NOW - timedelta(seconds=ago), kind=kind, value=Decimal(str(value)),
        unit=unit) for i, (ago, value) in enumerate(series)])


def every_30s(value_at: dict[range, float]) -> list[tuple[float, float]]:
    """Readings every 30 s over the last 15 min (895 s … 15 s ago), valued by the range of
    seconds-ago each falls in; seconds in no range have no reading (a gap)."""
    out = []
    for ago in range(895, 0, -30):
        for seconds, value in value_at.items():
            if ago in seconds:
                out.append((float(ago), value))
    return out


ALL = range(0, 901)
CASES = {
    "below threshold": ({ALL: 7.5}, 7.5, 15, False),
    "excursion just under 15 min": ({range(866, 901): 6.0, range(0, 866): 9.5}, 6.0, 15, False),
    "excursion of 15 min": ({ALL: 9.5}, 9.5, 15, True),
    "gap in readings": ({range(600, 901): 9.5, range(0, 300): 9.5}, 9.5, 10, False),
}


@pytest.mark.parametrize("name", list(CASES))
def test_cold_chain_rule_fires_on_a_full_excursion_only(conn: psycopg.Connection, wh: str,
                                                        name: str) -> None:
    series, lowest, minutes, fires = CASES[name]
    probe(conn, wh, 1)
    read(conn, wh, every_30s(series))
    read(conn, wh, [(1200, 2.0)])  # older than the window: not counted
    (fact,) = facts_for(conn, [], NOW.date(), {"temperature_min_15m"}, warehouses=[wh],
                        now=NOW)
    assert (fact.subject, fact.values["temperature_min_15m"],
            fact.values["temperature_minutes"]) == ("zone:cold", lowest, minutes)
    evaluation, _ = on_moves_applied(conn, [], load_rules(COLD_CHAIN), ActionSinks(conn), NOW,
                                     [wh])
    assert bool(evaluation.actions) is fires
    alerts = store.list_alerts(conn, warehouse=wh)
    assert [(a.subject, a.audience) for a in alerts] == ([("zone:cold", "supervisors")]
                                                         if fires else [])


def test_zone_values_from_several_probes_zones_and_locations(conn: psycopg.Connection,
                                                             wh: str) -> None:
    probe(conn, wh, 1)
    probe(conn, wh, 2)
    probe(conn, wh, 3, zone=None, location=f"{wh}-BIN-A")  # no zone: its location is one
    probe(conn, wh, 4, zone=None)  # nowhere: its readings belong to no zone
    read(conn, wh, [(600, 3.0), (60, 4.0)], device=1)
    read(conn, wh, [(300, 6.0), (120, 5.0)], device=2)
    read(conn, wh, [(100, 70.0), (30, 65.0)], device=2, kind="humidity", unit="percent")
    read(conn, wh, [(10, -18.0)], device=3)
    read(conn, wh, [(10, 30.0)], device=4)
    read(conn, wh, [(-60, 40.0)], device=1)  # from a clock ahead: not yet
    facts = {f.subject: dict(f.values) for f in facts_for(conn, [], NOW.date(), None,
                                                          warehouses=[wh], now=NOW)}
    assert facts == {
        "zone:cold": {"temperature_now": 5.0, "temperature_min_15m": 3.0,
                      "temperature_max_15m": 6.0, "temperature_minutes": 4,
                      "humidity_now": 65.0, "humidity_max_15m": 70.0},
        f"zone:{wh}-BIN-A": {"temperature_now": -18.0, "temperature_min_15m": -18.0,
                             "temperature_max_15m": -18.0, "temperature_minutes": 1}}
    # a rule that names no zone fact reads no readings
    assert facts_for(conn, [], NOW.date(), {"on_hand"}, warehouses=[wh], now=NOW) == []
