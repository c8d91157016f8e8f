"""The `rfid:` YAML section: a good one parses into portal/zone maps, bad ones name the key;
sllurp tag dicts become TagReads or are counted as malformed."""

from __future__ import annotations

from typing import Any

import pytest

from edge.rfid.clock import ClockKind
from edge.rfid.config import RfidConfigError, parse_rfid_config
from edge.rfid.llrp import event_clock, tag_reads

GOOD: dict[str, Any] = {
    "readers": [
        {"id": "gate-1", "host": "10.0.0.5", "port": 5084, "antennas": [
            {"antenna": 1, "portal": "DOCK-1", "side": "outer"},
            {"antenna": 2, "portal": "DOCK-1", "side": "inner"},
            {"antenna": 3, "zone": "RECV"},
        ]},
    ],
    "portals": [
        {"id": "DOCK-1", "door": "WH1-DOCK-1", "inside": "WH1-RECV", "outside": None,
         "params": {"gap_s": 2.5, "lead_margin_db": 5}},
    ],
    "zones": [{"id": "RECV", "location": "WH1-RECV"}],
    "zone_params": {"departure_s": 60},
}


def test_good_section_parses() -> None:
    cfg = parse_rfid_config(GOOD)
    (reader,) = cfg.readers
    assert (reader.reader_id, reader.host, reader.port, reader.antennas) == (
        "gate-1", "10.0.0.5", 5084, (1, 2, 3))
    (portal,) = cfg.portals.portals
    assert (portal.door, portal.inside, portal.outside) == ("WH1-DOCK-1", "WH1-RECV", None)
    assert portal.params.gap_us == 2_500_000 and portal.params.lead_margin_db == 5.0
    assert [(a.antenna_id, a.side) for a in cfg.portals.antennas] == [(1, "outer"), (2, "inner")]
    assert [(a.antenna_id, a.zone_id) for a in cfg.zones.antennas] == [(3, "RECV")]
    assert cfg.zones.params.departure_us == 60_000_000


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    import copy

    doc = copy.deepcopy(GOOD)
    node: Any = doc
    for step in path[:-1]:
        node = node[step]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (["readers", 0, "port"], "5084x", "rfid.readers[0].port"),
        (["readers", 0, "port"], 70000, "rfid.readers[0].port"),
        (["readers", 0, "host"], KeyError, "rfid.readers[0].host"),
        (["readers", 0, "antennas", 1, "side"], "middle", "rfid.readers[0].antennas[1].side"),
        (["readers", 0, "antennas", 1, "portal"], "DOCK-9", "rfid.readers[0].antennas[1].portal"),
        (["readers", 0, "antennas", 2, "zone"], "NOWHERE", "rfid.readers[0].antennas[2].zone"),
        (["readers", 0, "antennas", 1, "antenna"], 1, "rfid.readers[0].antennas[1].antenna"),
        (["readers", 0, "antennas"], [], "rfid.readers[0].antennas"),
        (["readers", 0, "colour"], "red", "rfid.readers[0].colour"),
        (["portals", 0, "params", "gap_s"], "long", "rfid.portals[0].params.gap_s"),
        (["portals", 0, "params", "speed"], 3, "rfid.portals[0].params.speed"),
        (["portals", 0, "inside"], None, "rfid.portals[0].inside"),
        (["portals", 0, "door"], KeyError, "rfid.portals[0].door"),
        (["readers"], [], "rfid.readers"),
        (["zones"], "RECV", "rfid.zones"),
    ],
)
def test_bad_sections_name_the_key(path: list[Any], value: Any, key: str) -> None:
    with pytest.raises(RfidConfigError) as caught:
        parse_rfid_config(_with(path, value))
    assert caught.value.key == key
    assert str(caught.value).startswith(key + ":")


def test_twice_used_ids_are_rejected() -> None:
    doc = _with(["portals"], GOOD["portals"] * 2)
    with pytest.raises(RfidConfigError, match=r"rfid.portals\[1\].id"):
        parse_rfid_config(doc)
    with pytest.raises(RfidConfigError, match="expected a mapping"):
        parse_rfid_config(["not", "a", "mapping"], "gateway.rfid")


def test_sllurp_tag_dicts_become_tag_reads() -> None:
    tags = [
        {"EPC-96": b"3114f4e4e400000001000000", "AntennaID": 2, "PeakRSSI": -52,
         "FirstSeenTimestampUTC": 1_714_982_400_000_000,
         "LastSeenTimestampUTC": 1_714_982_400_250_000, "TagSeenCount": 3},
        {"EPC-96": b"3114F4E4E400000002000000", "AntennaID": 1, "PeakRSSI": -60},  # no time
        {"EPC-96": b"not hex at all!", "AntennaID": 1, "PeakRSSI": -60},
        {"EPC-96": b"3114F4E4E400000002000000", "PeakRSSI": -60},  # antenna not selected
        {"EPC-96": b"\xff\xfe", "AntennaID": 1, "PeakRSSI": -60},
        {"AntennaID": 1, "PeakRSSI": "loud"},
        # a reader with no real-time clock (LLRP 1.0.1 §16.2.7.3): µs since it booted
        {"EPC": b"3074257bf7194e4000001a85", "AntennaID": 1, "PeakRSSI": -70,
         "FirstSeenTimestampUptime": 9_000_000, "LastSeenTimestampUptime": 9_500_000},
    ]
    reads, bad = tag_reads("gate-1", tags, received_us=42)
    assert bad == 4
    assert [(r.epc_hex, r.antenna_id, r.rssi_dbm, r.reader_us, r.kind, r.seen_count)
            for r in reads] == [
        ("3114F4E4E400000001000000", 2, -52.0, 1_714_982_400_250_000, ClockKind.UTC, 3),
        ("3114F4E4E400000002000000", 1, -60.0, 42, ClockKind.UTC, 1),
        ("3074257BF7194E4000001A85", 1, -70.0, 9_500_000, ClockKind.UPTIME, 1),
    ]


def test_a_reader_events_timestamp_is_its_clock() -> None:
    assert event_clock({"UTCTimestamp": {"Microseconds": 1_714_982_400_000_000},
                        "ConnectionAttemptEvent": {"Status": 0}}) == (
        1_714_982_400_000_000, ClockKind.UTC)
    assert event_clock({"Uptime": {"Microseconds": 9_000_000}}) == (9_000_000, ClockKind.UPTIME)
    assert event_clock({"ConnectionCloseEvent": {}}) is None
    assert event_clock({"UTCTimestamp": {"Microseconds": "soon"}}) is None
