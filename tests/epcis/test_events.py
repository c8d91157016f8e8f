"""The EPCIS core without a database: names read back, releases, refused queries, GS1's own
example accepted by the schema the export is judged by."""

from __future__ import annotations

import json

import pytest

from cloud_hub.epcis.events import NO_GLNS, MoveRow, document_head, encode_events, events_of
from cloud_hub.epcis.identifiers import location_of, location_uri, unit_key_of, unit_uri
from cloud_hub.epcis.query import QueryError, parse_query
from tests.epcis.schema import SCHEMA, assert_valid, errors


def _row(**fields: object) -> MoveRow:
    base: dict[str, object] = {field: None for field in MoveRow._fields}
    base.update(seq=1, event_id="7f1c0f64-8a0e-4c7e-9e55-0d6b4f1f0a11",
                event_time="2026-11-01T08:00:00.000000Z",
                record_time="2026-11-01T08:00:01.000000Z", warehouse="WH1",
                source_kind="pda", device_id="pda-1", reason="adjust")
    base.update(fields)
    return MoveRow(**base)  # type: ignore[arg-type]


def _document(events: list[dict[str, object]]) -> dict[str, object]:
    text = document_head("2026-11-01T08:00:00Z") + encode_events(events, True) + b"]}}"
    return json.loads(text)  # type: ignore[no-any-return]


def test_gs1s_own_example_passes_the_schema_and_a_bad_bizstep_does_not() -> None:
    example = json.loads((SCHEMA.parent / "Example_9.6.3-AggregationEvent.jsonld").read_text())
    assert_valid(example)
    example["epcisBody"]["eventList"][0]["bizStep"] = "relocating"
    assert errors(example)


def test_names_read_back_to_what_the_ledger_keys_by() -> None:
    odd = "A:1,B/ü"
    assert location_of(location_uri("WH1", odd)) == ("WH1", odd)
    assert unit_key_of(unit_uri("sscc:340123450000000017")) == "sscc:340123450000000017"
    assert unit_key_of("urn:epc:id:sscc:0614141.1234567890") == "sscc:106141412345678908"
    assert unit_uri("epc:DEADBEEF00112233") == "urn:epc:raw:64.xDEADBEEF00112233"
    assert unit_key_of("urn:epc:raw:64.xDEADBEEF00112233") == "epc:DEADBEEF00112233"
    assert "," not in location_uri("WH1", odd)


def test_a_release_unsets_the_hold_and_weights_keep_their_unit() -> None:
    row = _row(sku="S1", gtin="4012345123456", lot="L1", quantity=2.5, uom="KGM",
               status="quarantine", to_status="available", from_location="B1", to_location="B1")
    [event] = events_of(row, NO_GLNS)
    assert event["bizStep"] == "inspecting"
    assert event["persistentDisposition"] == {"unset": ["non_sellable_other"]}
    assert event["quantityList"] == [{"epcClass": "https://id.gs1.org/01/04012345123456/10/L1",
                                      "quantity": 2.5, "uom": "KGM"}]
    assert_valid(_document([event]))


def test_a_serial_is_an_instance_and_an_unknown_uom_is_left_out() -> None:
    serial = _row(sku="S1", gtin="4012345123456", serial="SN-1", quantity=1.0, status="available",
                  reason="receive", to_location="D1")
    [event] = events_of(serial, NO_GLNS)
    assert event["epcList"] == ["https://id.gs1.org/01/04012345123456/21/SN-1"]
    assert "quantityList" not in event
    boxes = _row(sku="S2", lot="L", quantity=3.0, uom="BOXES", status="available",
                 reason="receive", to_location="D1")
    [event] = events_of(boxes, NO_GLNS)
    assert event["quantityList"] == [{"epcClass": "urn:stockpulse:lot:S2:L", "quantity": 3}]
    assert_valid(_document([event]))


@pytest.mark.parametrize(("params", "word"), [
    ({"EQ_bizstep": ["receiving"]}, "unknown query parameter"),
    ({"LT_eventTime": ["2026-11-01T08:00:00"]}, "time zone"),
    ({"GE_eventTime": ["2026-11-02T00:00:00Z"], "LT_eventTime": ["2026-11-01T00:00:00Z"]},
     "later than"),
    ({"lot": ["a", "b"]}, "once"),
    ({"MATCH_anyEPC": ["x" * 600]}, "longer than"),
    ({"lot": ["L\x00"]}, "control character"),
])
def test_hostile_queries_are_refused_with_what_to_fix(params: dict[str, list[str]],
                                                      word: str) -> None:
    with pytest.raises(QueryError, match=word):
        parse_query(params, "WH1")


def test_bizsteps_are_read_in_any_cbv_spelling() -> None:
    query = parse_query({"EQ_bizStep": ["urn:epcglobal:cbv:bizstep:shipping",
                                        "https://ref.gs1.org/cbv/BizStep-receiving"]}, "WH1")
    assert query.biz_steps == {"shipping", "receiving"}




def test_the_aggregation_id_is_the_rfc_4122_uuid5_of_the_move() -> None:
    import uuid

    from cloud_hub.epcis.events import _AGGREGATION_NS, aggregation_uuid

    for event_id in ("7f1c0f64-8a0e-4c7e-9e55-0d6b4f1f0a11", "", "ü"):
        assert aggregation_uuid(event_id) == str(uuid.uuid5(_AGGREGATION_NS, event_id))


def test_events_of_moves_alike_share_nothing_that_differs() -> None:
    """The fixed parts (bizStep, disposition, places) are made once per kind of move: two
    moves that differ in their place or status still say their own."""
    a = _row(seq=1, reason="putaway", from_location="DOCK", to_location="A-1", sku="S",
             quantity=2.0, status="available")
    b = a._replace(seq=2, to_location="A-2")
    c = a._replace(seq=3, reason="adjust", to_status="quarantine", from_location="A-1")
    [ea], [eb], [ec] = (events_of(r, NO_GLNS) for r in (a, b, c))
    assert ea["bizLocation"]["id"].endswith(":A-1") and eb["bizLocation"]["id"].endswith(":A-2")
    assert ea["bizStep"] == "storing" and ec["bizStep"] == "holding"
    assert ec["persistentDisposition"] == {"set": ["non_sellable_other"]}
    assert "persistentDisposition" not in ea
    assert events_of(a, NO_GLNS) == [ea]


def test_event_times_are_iso_8601_utc_under_any_datestyle(pg_server_url: str) -> None:
    """The export writes times from the timestamp's text form under DateStyle ISO (faster)
    and with to_char under any other: both give the same ISO 8601 UTC instant."""
    import psycopg

    from cloud_hub.epcis.pg.export import _UTC, _UTC_ANY_STYLE

    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        said = []
        for style, form in (("ISO, MDY", _UTC), ("SQL, DMY", _UTC_ANY_STYLE)):
            conn.execute(f"SET DateStyle = '{style}'")
            said.append(conn.execute(
                f"SELECT {form.format('t')} FROM (SELECT timestamptz "
                "'2026-11-01 09:00:00.25+01' AS t) m").fetchone()[0])  # type: ignore[index]
    assert said[0] == "2026-11-01T08:00:00.25Z" and said[1] == "2026-11-01T08:00:00.250000Z"
